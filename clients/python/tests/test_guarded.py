"""guarded() against a scripted server: the body runs only with a claimed grant, and its end is reported."""

from __future__ import annotations

from typing import TypedDict

import pytest
from fake_server import FakeServer, call, grant

from countersign import (
    AlreadyClaimed,
    Countersign,
    Denied,
    Expired,
    Grant,
    MalformedAnswer,
    TimedOut,
    Unavailable,
)

class Args(TypedDict):
    action: str
    reason: str
    session_id: str


ARGS: Args = {"action": "db.migrate", "reason": "ship migration 42", "session_id": "run-1"}


def paths(fake: FakeServer) -> list[str]:
    return [f"{r.method} {r.path.split('?')[0]}" for r in fake.received]


def test_a_denied_call_raises_and_nothing_runs(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="denied", code="policy_denied", message="db.migrate is not allowed"))
    ran = []
    with pytest.raises(Denied) as raised:
        with client.guarded(**ARGS):
            ran.append(True)
    assert (raised.value.code, raised.value.detail) == ("policy_denied", "db.migrate is not allowed")
    assert ran == [] and paths(fake) == ["POST /v1/calls"]


def test_a_call_denied_while_waiting_raises_and_nothing_runs(fake: FakeServer, client: Countersign) -> None:
    fake.json(call())
    fake.json(call(status="denied", code="approval_denied", message="bob denied it"))
    ran = []

    @client.guarded(**ARGS)
    def migrate(grant: Grant) -> None:
        ran.append(grant)

    with pytest.raises(Denied) as raised:
        migrate()
    assert raised.value.code == "approval_denied" and ran == []
    assert "claim" not in " ".join(paths(fake))


def test_a_lapsed_deadline_raises_expired(fake: FakeServer, client: Countersign) -> None:
    fake.json(call())
    fake.json(call(status="denied", code="approval_expired", message="nobody decided in time"))
    with pytest.raises(Expired):
        with client.guarded(**ARGS):
            pytest.fail("the body ran")


def test_the_callers_timeout_raises_timed_out_and_nothing_is_claimed(fake: FakeServer, client: Countersign) -> None:
    fake.json(call())
    fake.json(call())
    with pytest.raises(TimedOut):
        with client.guarded(**ARGS, timeout=0):
            pytest.fail("the body ran")
    assert paths(fake) == ["POST /v1/calls", "GET /v1/calls/req_1"]


def test_a_call_already_running_is_not_run_again(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="approved"))
    fake.problem(409, "already_claimed", "the grant was issued already")
    with pytest.raises(AlreadyClaimed):
        with client.guarded(**ARGS, idempotency_key="run-1-migrate"):
            pytest.fail("the body ran")


def test_a_malformed_claim_answer_runs_nothing(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="approved"))
    fake.json(call(status="running", grant=grant(token=...)))
    with pytest.raises(MalformedAnswer):
        with client.guarded(**ARGS):
            pytest.fail("the body ran")
    assert paths(fake) == ["POST /v1/calls", "POST /v1/calls/req_1/claim"]


def test_an_unreachable_server_runs_nothing() -> None:
    down = FakeServer()
    url = down.url
    down.close()
    with pytest.raises(Unavailable):
        with Countersign(url, "agent-token").guarded(**ARGS):
            pytest.fail("the body ran")


def test_a_failing_body_records_failed_with_the_type_name_only_and_reraises(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="allowed", callId="call_1", requestId=None))
    fake.json(call(status="running", callId="call_1", grant=grant()))
    fake.json(call(status="failed", callId="call_1"))
    boom = ValueError("password=hunter2 rejected")
    with pytest.raises(ValueError) as raised:
        with client.guarded(**ARGS):
            raise boom
    assert raised.value is boom
    assert paths(fake)[-1] == "POST /v1/calls/call_1/outcome"
    assert fake.received[-1].body == {"status": "failed", "detail": "raised ValueError"}


def test_an_interrupted_body_is_recorded_failed_too(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="allowed"))
    fake.json(call(status="running", grant=grant()))
    fake.json(call(status="failed"))

    @client.guarded(**ARGS)
    def migrate(grant: Grant) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        migrate()
    assert fake.received[-1].body == {"status": "failed", "detail": "raised KeyboardInterrupt"}


def test_an_unrecorded_failure_keeps_the_bodys_exception_with_a_note(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="allowed"))
    fake.json(call(status="running", grant=grant()))
    fake.problem(503, "store_failed")
    with pytest.raises(RuntimeError) as raised:
        with client.guarded(**ARGS):
            raise RuntimeError("disk full")
    assert any("not recorded" in note for note in raised.value.__notes__)


def test_an_unrecorded_success_raises(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="allowed"))
    fake.json(call(status="running", grant=grant()))
    fake.problem(503, "store_failed")
    with pytest.raises(Unavailable) as raised:
        with client.guarded(**ARGS):
            pass
    assert any("the action ran" in note for note in raised.value.__notes__)


def test_an_approved_call_runs_with_its_grant_and_records_executed(fake: FakeServer, client: Countersign) -> None:
    fake.json(call())
    fake.json(call(status="approved", approvals={"count": 1, "required": 1}))
    fake.json(call(status="running", grant=grant()))
    fake.json(call(status="executed"))

    @client.guarded(**ARGS, params={"file": "m.sql"})
    def migrate(grant: Grant, path: str) -> str:
        return f"{path} with {grant.id} as {(grant.credentials or {})['PGPASSWORD']}"

    assert migrate("m.sql") == "m.sql with grt_1 as hunter2"
    assert paths(fake) == [
        "POST /v1/calls",
        "GET /v1/calls/req_1",
        "POST /v1/calls/req_1/claim",
        "POST /v1/calls/req_1/outcome",
    ]
    assert fake.received[0].body == {
        "action": {"name": "db.migrate", "params": {"file": "m.sql"}},
        "reason": "ship migration 42",
        "sessionId": "run-1",
    }
    assert fake.received[-1].body == {"status": "executed"}


def test_a_with_block_is_not_reentrant(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="allowed"))
    fake.json(call(status="running", grant=grant()))
    fake.json(call(status="failed"))
    guarded = client.guarded(**ARGS)
    with pytest.raises(RuntimeError, match="already running"):
        with guarded:
            with guarded:
                pytest.fail("the inner body ran")
    assert fake.received[-1].body == {"status": "failed", "detail": "raised RuntimeError"}


def test_bad_arguments_are_refused_when_guarded_is_called(fake: FakeServer, client: Countersign) -> None:
    with pytest.raises(ValueError):
        client.guarded(action="db.migrate", reason="", session_id="run-1")
    assert fake.received == []
