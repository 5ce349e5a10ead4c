"""A call as `/v1/calls` answers it, checked member by member before anything uses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, cast, get_args

from .errors import MalformedAnswer

CallStatus = Literal["allowed", "pending", "approved", "denied", "running", "executed", "failed"]
CALL_STATUSES: frozenset[str] = frozenset(get_args(CallStatus))


@dataclass(frozen=True)
class Approvals:
    count: int
    required: int


@dataclass(frozen=True)
class Grant:
    """The single-use grant a claim issues. Its token and credentials are secrets: they are kept out
    of `repr()` so that printing or logging a grant shows neither."""

    id: str
    token: str = field(repr=False)
    expires_at: int
    """Milliseconds since the epoch."""
    credentials: Mapping[str, str] | None = field(repr=False)
    """Just-in-time credentials by the broker's names; None when the rule names no broker."""


@dataclass(frozen=True)
class Call:
    call_id: str
    status: CallStatus
    request_id: str | None
    expires_at: int | None
    """Decision deadline while pending, claim deadline once approved, grant expiry while running (ms)."""
    approvals: Approvals | None
    code: str | None
    """Why a call is denied (`approval_denied`, `approval_expired`, ...); else None."""
    message: str
    """What to tell the model or the person, as it is."""
    approval_url: str | None
    grant: Grant | None
    """Only in a claim's answer."""


def _bad(what: str) -> MalformedAnswer:
    return MalformedAnswer("malformed_answer", f"the server's call is malformed: {what}", status=200)


def _member(body: Mapping[str, object], name: str) -> object:
    if name not in body:
        raise _bad(f'"{name}" is missing')
    return body[name]


def _optional_string(body: Mapping[str, object], name: str) -> str | None:
    value = _member(body, name)
    if value is None:
        return None
    if not isinstance(value, str) or value == "":
        raise _bad(f'"{name}" must be a non-empty string or null')
    return value


def _string(body: Mapping[str, object], name: str, *, empty: bool = False) -> str:
    value = _member(body, name)
    if not isinstance(value, str) or (value == "" and not empty):
        raise _bad(f'"{name}" must be a string' if empty else f'"{name}" must be a non-empty string')
    return value


def _optional_integer(body: Mapping[str, object], name: str) -> int | None:
    return None if _member(body, name) is None else _integer(body, name)


def _integer(body: Mapping[str, object], name: str) -> int:
    value = _member(body, name)
    # bool is an int in Python; JSON true is not a number.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad(f'"{name}" must be a non-negative integer')
    return value


def _object(value: object, name: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _bad(f'"{name}" must be an object')
    return cast(Mapping[str, object], value)


def _approvals(value: object) -> Approvals | None:
    if value is None:
        return None
    body = _object(value, "approvals")
    return Approvals(count=_integer(body, "count"), required=_integer(body, "required"))


def _credentials(value: object) -> Mapping[str, str] | None:
    if value is None:
        return None
    body = _object(value, "grant.credentials")
    if not all(isinstance(v, str) for v in body.values()):
        raise _bad('"grant.credentials" must map names to strings')
    return MappingProxyType(cast(dict[str, str], dict(body)))


def _grant(value: object) -> Grant | None:
    if value is None:
        return None
    body = _object(value, "grant")
    if "credentials" not in body:
        raise _bad('"grant.credentials" is missing')
    return Grant(
        id=_string(body, "id"),
        token=_string(body, "token"),
        expires_at=_integer(body, "expiresAt"),
        credentials=_credentials(body["credentials"]),
    )


def parse_call(value: object) -> Call:
    """The call in a decoded JSON answer; MalformedAnswer if any member is missing or of the wrong
    kind. Members this client does not know are ignored, so a newer server does not break it."""
    body = _object(value, "the answer")
    status = _member(body, "status")
    if status not in CALL_STATUSES:
        raise _bad(f'"status" must be one of {", ".join(sorted(CALL_STATUSES))}')
    code = _optional_string(body, "code")
    if status == "denied" and code is None:
        raise _bad('a denied call must carry a "code"')
    return Call(
        call_id=_string(body, "callId"),
        status=cast(CallStatus, status),
        request_id=_optional_string(body, "requestId"),
        expires_at=_optional_integer(body, "expiresAt"),
        approvals=_approvals(_member(body, "approvals")),
        code=code,
        message=_string(body, "message", empty=True),
        approval_url=_optional_string(body, "approvalUrl"),
        grant=_grant(_member(body, "grant")),
    )
