"""`Countersign`: the agent API's four routes (open, get, claim, outcome) and waiting in between."""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Mapping
from typing import Literal

from .call import CALL_STATUSES, Call, parse_call
from .errors import InvalidInput, MalformedAnswer
from .guarded import Guarded
from .http import Token, TokenSource, base_url, request_json
from .opening import opening_body

MAX_WAIT_SECONDS = 60
CALL_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _call_id(call_id: object) -> str:
    # Checked before it becomes a path segment: no "..", "/" or "?" reaches the URL.
    if not isinstance(call_id, str) or CALL_ID.fullmatch(call_id) is None:
        raise InvalidInput("invalid_input", "call_id must be 1-100 letters, digits, _ or -", field="call_id")
    return call_id


class Countersign:
    """A client of an approval server's `/v1/calls`.

    `token` is the workload's OIDC token, or a callable returning one: it is called on every request,
    so a short-lived token read from a file or an environment stays fresh. The token is sent only as
    `Authorization: Bearer` to `server` (redirects are refused) and is never logged or put in an error.
    `timeout` bounds each network exchange, in seconds (a long-poll gets its wait on top).
    """

    def __init__(
        self,
        server: str,
        token: str | TokenSource,
        *,
        timeout: float = 10.0,
        insecure_http: bool = False,
    ) -> None:
        if not callable(token) and not isinstance(token, str):
            raise InvalidInput("invalid_input", "token must be a string or a callable returning one", field="token")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
            raise InvalidInput("invalid_input", "timeout must be a positive number of seconds", field="timeout")
        self._base = base_url(server, insecure_http=insecure_http)
        self._token = Token(token)
        self._timeout = float(timeout)

    def __repr__(self) -> str:
        return f"Countersign({self._base!r})"

    def _send(self, method: str, path: str, body: Mapping[str, object] | None = None, *, extra: float = 0) -> Call:
        answer = request_json(method, self._base + path, self._token, body=body, timeout=self._timeout + extra)
        return parse_call(answer)

    @staticmethod
    def _same(call: Call, call_id: str) -> Call:
        if call.call_id != call_id:
            raise MalformedAnswer("malformed_answer", f"asked for call {call_id}, the server answered another")
        return call

    def open(
        self,
        action: str,
        reason: str,
        session_id: str,
        *,
        resource: str | None = None,
        params: Mapping[str, object] | None = None,
        risk: str | None = None,
        idempotency_key: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Call:
        """Opens a call (or re-attaches to the one opened with the same `idempotency_key`). The
        answer's status is `allowed`, `pending`, `approved` or `denied` (a re-attached call may be
        further along); a denial is an answer here, not an error. The actor is whoever the token
        says, never an argument."""
        body = opening_body(
            action,
            reason,
            session_id,
            resource=resource,
            params=params,
            risk=risk,
            idempotency_key=idempotency_key,
            on_behalf_of=on_behalf_of,
        )
        return self._open(body)

    def _open(self, body: Mapping[str, object]) -> Call:
        call = self._send("POST", "/v1/calls", body)
        # Re-attaching (same idempotency key) can find the call running or finished; never with a grant.
        if call.grant is not None:
            raise MalformedAnswer("malformed_answer", "opening a call answered with a grant")
        return call

    def get(self, call_id: str, wait: int | None = None, *, unless: str | None = None) -> Call:
        """The call's state. With `wait` (1-60 seconds) the server holds the request until the status
        differs from `unless` (default: the status when the request arrived) or the wait ends."""
        path = f"/v1/calls/{_call_id(call_id)}"
        query = []
        if wait is not None:
            if isinstance(wait, bool) or not isinstance(wait, int) or not 1 <= wait <= MAX_WAIT_SECONDS:
                raise InvalidInput("invalid_input", f"wait must be 1-{MAX_WAIT_SECONDS} seconds", field="wait")
            query.append(f"wait={wait}s")
        if unless is not None:
            if unless not in CALL_STATUSES:
                raise InvalidInput("invalid_input", "unless must be a call status", field="unless")
            query.append(f"status={unless}")
        if query:
            path += "?" + "&".join(query)
        return self._same(self._send("GET", path, extra=wait or 0), call_id)

    def wait(self, call_id: str, timeout: float | None = None) -> Call:
        """Long-polls (at most 60 s a request) until the call is no longer pending, and returns it.
        With `timeout` (seconds), returns the still-pending call once it runs out; without, waits
        until the server settles it (a pending request always expires by its deadline)."""
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0):
            raise InvalidInput("invalid_input", "timeout must be a non-negative number of seconds", field="timeout")
        deadline = None if timeout is None else time.monotonic() + timeout
        call = self.get(call_id)
        while call.status == "pending":
            left = MAX_WAIT_SECONDS if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return call
            asked = time.monotonic()
            call = self.get(call_id, wait=max(1, min(MAX_WAIT_SECONDS, math.ceil(left))), unless="pending")
            # A busy server answers a long-poll at once: pause, rather than ask again in a tight loop.
            if call.status == "pending" and time.monotonic() - asked < 1:
                time.sleep(min(1.0, max(0.0, left - (time.monotonic() - asked))))
        return call

    def claim(self, call_id: str) -> Call:
        """Claims the single-use grant of an `allowed` or `approved` call: the answer is `running`
        with `grant` (its token and credentials are shown this once). A second claim raises
        AlreadyClaimed; a denied or expired call raises Denied or Expired."""
        call = self._same(self._send("POST", f"/v1/calls/{_call_id(call_id)}/claim", {}), call_id)
        if call.status != "running" or call.grant is None:
            raise MalformedAnswer("malformed_answer", f"a claim answered a {call.status} call without a grant")
        return call

    def outcome(self, call_id: str, status: Literal["executed", "failed"], detail: str | None = None) -> Call:
        """Records how the action ended; the server revokes the grant and its credentials. `detail`
        is scrubbed of secrets and cut to 500 characters by the server: still, put no secret in it."""
        if status not in ("executed", "failed"):
            raise InvalidInput("invalid_input", 'status must be "executed" or "failed"', field="status")
        body: dict[str, object] = {"status": status}
        if detail is not None:
            if not isinstance(detail, str):
                raise InvalidInput("invalid_input", "detail must be a string", field="detail")
            body["detail"] = detail
        call = self._same(self._send("POST", f"/v1/calls/{_call_id(call_id)}/outcome", body), call_id)
        if call.status != status:
            raise MalformedAnswer("malformed_answer", f"recorded {status}, the server answered {call.status}")
        return call

    def guarded(
        self,
        *,
        action: str,
        reason: str,
        session_id: str,
        resource: str | None = None,
        params: Mapping[str, object] | None = None,
        risk: str | None = None,
        idempotency_key: str | None = None,
        on_behalf_of: str | None = None,
        timeout: float | None = None,
    ) -> Guarded:
        """The whole path around a block or a function: open, wait, claim, run with the grant, report.
        See `Guarded`."""
        body = opening_body(
            action,
            reason,
            session_id,
            resource=resource,
            params=params,
            risk=risk,
            idempotency_key=idempotency_key,
            on_behalf_of=on_behalf_of,
        )
        return Guarded(self, functools.partial(self._open, body), timeout)
