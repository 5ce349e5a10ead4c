"""`guarded()`: open, wait, claim, run the body with the grant, report executed or failed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from .call import Call, Grant
from .errors import AlreadyClaimed, CountersignError, TimedOut, error_for

if TYPE_CHECKING:
    from .client import Countersign

P = ParamSpec("P")
R = TypeVar("R")


def failure_detail(error: BaseException) -> str:
    """What a failed outcome says about the exception: its type's name only. An exception's message
    can carry what the body handled (a connection string, a query's rows, the grant's credentials);
    the server scrubs known secret shapes, but the safest detail holds none of it."""
    return f"raised {type(error).__name__}"


class Guarded:
    """A guarded action, as a context manager or a decorator.

    `with cs.guarded(...) as grant:` runs the block only once the call is allowed or approved and its
    grant claimed; `@cs.guarded(...)` does the same on every call of the function, passing the grant
    as its first argument. A denial raises Denied (Expired for a lapsed deadline) and nothing runs; so
    does any failure to open, wait or claim. When the body returns, the outcome `executed` is recorded;
    when it raises, `failed` (with the exception's type name only) is recorded and the exception goes
    on unchanged. If recording the outcome fails, the server closes the call as failed when the grant
    expires: after a failing body that error is added as a note, after a succeeding body it is raised.
    One `with` at a time per object; a decorated function may run concurrently.
    """

    def __init__(self, client: Countersign, open_call: Callable[[], Call], timeout: float | None) -> None:
        self._client = client
        self._open_call = open_call
        self._timeout = timeout
        self._active: str | None = None

    def _begin(self) -> tuple[str, Grant]:
        call = self._open_call()
        if call.status == "pending":
            call = self._client.wait(call.call_id, self._timeout)
        if call.status == "denied":
            raise error_for(None, call.code or "denied", call.message)
        if call.status == "pending":
            raise TimedOut("wait_timeout", f"still pending after {self._timeout}s: {call.message}")
        if call.status not in ("allowed", "approved"):
            raise AlreadyClaimed("already_claimed", f"the call is already {call.status}")
        claimed = self._client.claim(call.call_id)
        if claimed.grant is None:  # claim() checks this; kept so the type is narrowed without an assert
            raise AlreadyClaimed("already_claimed", "the claim carried no grant")
        return call.call_id, claimed.grant

    def _finish(self, call_id: str, error: BaseException | None) -> None:
        if error is None:
            try:
                self._client.outcome(call_id, "executed")
            except CountersignError as failure:
                failure.add_note(f"the action ran; call {call_id} will be closed as failed when its grant expires")
                raise
            return
        try:
            self._client.outcome(call_id, "failed", failure_detail(error))
        except CountersignError as failure:
            error.add_note(f"countersign: the failed outcome of call {call_id} was not recorded: {failure}")

    def __enter__(self) -> Grant:
        if self._active is not None:
            raise RuntimeError("this guarded block is already running: call guarded() again for another")
        call_id, grant = self._begin()
        self._active = call_id
        return grant

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        call_id, self._active = self._active, None
        if call_id is not None:
            self._finish(call_id, error)

    def __call__(self, function: Callable[Concatenate[Grant, P], R]) -> Callable[P, R]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            call_id, grant = self._begin()
            try:
                result = function(grant, *args, **kwargs)
            except BaseException as error:
                self._finish(call_id, error)
                raise
            self._finish(call_id, None)
            return result

        return run
