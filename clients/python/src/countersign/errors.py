"""The errors the client raises: one base with the server's `status`, `code`, `detail` and `field`."""

from __future__ import annotations

# Codes a denied call carries (docs/agent-api.md); a claim of such a call answers 409 with one of them.
DENIAL_CODES = frozenset(
    {
        "policy_denied",
        "no_eligible_approvers",
        "approval_denied",
        "approval_expired",
        "approval_cancelled",
        "delivery_failed",
        "already_started",
    }
)


class CountersignError(Exception):
    """Any refusal or failure. `status` is the HTTP status, or None when no answer was received
    (or the client refused the input before sending). Messages never carry a token."""

    def __init__(self, code: str, detail: str, *, status: int | None = None, field: str | None = None):
        where = f" ({field})" if field else ""
        super().__init__(f"[countersign] {code}{where}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field


class Denied(CountersignError):
    """The call is denied, finally: `code` says why (`approval_denied`, `policy_denied`, ...)."""


class Expired(Denied):
    """Nobody decided before the request's deadline, or the grant was not claimed in time
    (`approval_expired`; `call_expired` for an allowed call). A denial, so `except Denied` catches it too."""


class AlreadyClaimed(CountersignError):
    """The call's single-use grant was issued already (a second claim, or a racing one)."""


class Unauthenticated(CountersignError):
    """No token, or a forged, expired or foreign one (401)."""


class Unavailable(CountersignError):
    """The server could not be reached, timed out, or answered 502/503/504 (`keys_unavailable`,
    `store_failed`, `credential_failed`, `outcome_not_recorded`): try again later."""


class InvalidInput(CountersignError, ValueError):
    """A field is missing, malformed or unknown (`field` names it): refused by the server (400) or
    by this client before anything was sent (`status` None)."""


class TimedOut(CountersignError):
    """The call was still pending when the caller's own `timeout` ran out (the request stays open)."""


class MalformedAnswer(CountersignError):
    """The server's answer is not what the contract says: nothing is run on such an answer."""


def error_for(status: int | None, code: str, detail: str, field: str | None = None) -> CountersignError:
    """The typed error for a problem answer (or a failure with no answer, `status` None)."""
    kind: type[CountersignError]
    if status == 401 or code == "unauthenticated":
        kind = Unauthenticated
    elif status in (502, 503, 504):
        kind = Unavailable
    elif status == 400 or code == "invalid_input":
        kind = InvalidInput
    elif code == "already_claimed":
        kind = AlreadyClaimed
    elif code in ("approval_expired", "call_expired"):
        kind = Expired
    elif code in DENIAL_CODES:
        kind = Denied
    else:
        kind = CountersignError
    return kind(code, detail, status=status, field=field)
