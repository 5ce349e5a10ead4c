"""A client of countersign's agent API: ask a human before a privileged action, from Python."""

from .call import Approvals, Call, CallStatus, Grant
from .client import MAX_WAIT_SECONDS, Countersign
from .errors import (
    DENIAL_CODES,
    AlreadyClaimed,
    CountersignError,
    Denied,
    Expired,
    InvalidInput,
    MalformedAnswer,
    TimedOut,
    Unauthenticated,
    Unavailable,
)
from .guarded import Guarded

__all__ = [
    "DENIAL_CODES",
    "MAX_WAIT_SECONDS",
    "AlreadyClaimed",
    "Approvals",
    "Call",
    "CallStatus",
    "Countersign",
    "CountersignError",
    "Denied",
    "Expired",
    "Grant",
    "Guarded",
    "InvalidInput",
    "MalformedAnswer",
    "TimedOut",
    "Unauthenticated",
    "Unavailable",
]
