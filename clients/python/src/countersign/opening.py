"""The body of `POST /v1/calls`, checked before anything is sent: bad input sends nothing."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import InvalidInput
from .plain_json import check_plain_json


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or value.strip() == "":
        raise InvalidInput("invalid_input", f"{name} must be a non-empty string", field=name)
    return value


def opening_body(
    action: str,
    reason: str,
    session_id: str,
    *,
    resource: str | None,
    params: Mapping[str, object] | None,
    risk: str | None,
    idempotency_key: str | None,
    on_behalf_of: str | None,
) -> dict[str, object]:
    """The wire body (camelCase, absent members left out), or InvalidInput naming the argument."""
    wire_action: dict[str, object] = {"name": _text(action, "action")}
    if resource is not None:
        wire_action["resource"] = _text(resource, "resource")
    if params is not None:
        if type(params) is not dict:
            raise InvalidInput("invalid_input", "params must be a dict", field="params")
        check_plain_json(params, "params")
        wire_action["params"] = params
    if risk is not None:
        wire_action["risk"] = _text(risk, "risk")
    body: dict[str, object] = {
        "action": wire_action,
        "reason": _text(reason, "reason"),
        "sessionId": _text(session_id, "session_id"),
    }
    if idempotency_key is not None:
        body["idempotencyKey"] = _text(idempotency_key, "idempotency_key")
    if on_behalf_of is not None:
        body["onBehalfOf"] = _text(on_behalf_of, "on_behalf_of")
    return body
