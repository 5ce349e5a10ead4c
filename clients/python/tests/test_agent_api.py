"""The client against a real approval server (tests/server.ts): what an agent in Python meets."""

from __future__ import annotations

import uuid

import pytest
from approval_server import ApprovalServer
from fake_server import FakeServer

from countersign import (
    AlreadyClaimed,
    Countersign,
    CountersignError,
    Denied,
    Expired,
    Grant,
    Unauthenticated,
    Unavailable,
)


# Each wait is bounded (timeout=60) so that a decider that never decides fails the test, not hangs it.


def session() -> str:
    return f"py-{uuid.uuid4().hex[:12]}"


def test_a_forged_token_is_unauthenticated(approval_server: ApprovalServer) -> None:
    forged = Countersign(approval_server.url, approval_server.forged_token)
    with pytest.raises(Unauthenticated) as raised:
        forged.open("db.read", "look", session())
    assert raised.value.status == 401
    assert approval_server.forged_token not in str(raised.value)


def test_an_approvers_token_cannot_open_calls(approval_server: ApprovalServer) -> None:
    with pytest.raises(CountersignError) as raised:
        Countersign(approval_server.url, approval_server.approver_token).open("db.read", "look", session())
    assert raised.value.code == "not_an_agent"


def test_a_server_that_is_down_is_unavailable_and_nothing_runs() -> None:
    down = FakeServer()
    url = down.url
    down.close()
    ran = []
    with pytest.raises(Unavailable):
        with Countersign(url, "any-token").guarded(action="db.read", reason="look", session_id=session()):
            ran.append(True)
    assert ran == []


def test_a_policy_denial_raises_denied_and_nothing_runs(agent: Countersign) -> None:
    ran = []
    with pytest.raises(Denied) as raised:
        with agent.guarded(action="db.drop", reason="clean up", session_id=session()):
            ran.append(True)
    assert raised.value.code == "policy_denied" and ran == []


def test_an_approvers_denial_raises_denied_and_nothing_runs(approval_server: ApprovalServer, agent: Countersign) -> None:
    run = session()
    bob = approval_server.decide_when_pending(run, "deny")
    ran = []

    @agent.guarded(action="db.migrate", reason="ship migration 42", session_id=run, resource="db:prod", timeout=60)
    def migrate(grant: Grant) -> None:
        ran.append(grant)

    with pytest.raises(Denied) as raised:
        migrate()
    assert raised.value.code == "approval_denied" and ran == []
    assert agent.get(bob.request_id()).status == "denied"


def test_a_request_nobody_decides_expires_and_nothing_runs(agent: Countersign) -> None:
    with pytest.raises(Expired) as raised:
        with agent.guarded(action="db.hurry", reason="nobody will look", session_id=session(), timeout=60):
            pytest.fail("the body ran")
    assert raised.value.code == "approval_expired"


def test_a_second_claim_is_already_claimed(approval_server: ApprovalServer, agent: Countersign) -> None:
    opened = agent.open("db.read", "look", session())
    assert opened.status == "allowed"
    claimed = agent.claim(opened.call_id)
    assert claimed.grant is not None
    approval_server.secrets.append(claimed.grant.token)
    with pytest.raises(AlreadyClaimed) as raised:
        agent.claim(opened.call_id)
    assert raised.value.status == 409
    assert agent.outcome(opened.call_id, "executed").status == "executed"


def test_a_pending_call_cannot_be_claimed(approval_server: ApprovalServer, agent: Countersign) -> None:
    run = session()
    opened = agent.open("db.migrate", "ship migration 42", run)
    assert opened.status == "pending" and opened.call_id == opened.request_id
    with pytest.raises(CountersignError) as raised:
        agent.claim(opened.call_id)
    assert raised.value.code == "not_approved"
    approval_server.decide(opened.call_id, "deny")
    assert agent.wait(opened.call_id).status == "denied"


def test_another_agents_call_is_not_found(approval_server: ApprovalServer, agent: Countersign) -> None:
    opened = agent.open("db.read", "look", session())
    with pytest.raises(CountersignError) as raised:
        Countersign(approval_server.url, approval_server.approver_token).get(opened.call_id)
    assert raised.value.status in (403, 404)


def test_an_exception_in_the_body_records_failed_and_is_reraised(
    approval_server: ApprovalServer, agent: Countersign
) -> None:
    run, key = session(), f"key-{uuid.uuid4().hex[:8]}"
    opened = agent.open("db.migrate", "ship migration 42", run, idempotency_key=key)
    approval_server.decide(opened.call_id, "approve")
    boom = RuntimeError("psql: password authentication failed for hunter2")
    with pytest.raises(RuntimeError) as raised:
        with agent.guarded(action="db.migrate", reason="ship migration 42", session_id=run, idempotency_key=key) as grant:
            approval_server.secrets.append(grant.token)
            raise boom
    assert raised.value is boom
    failed = agent.get(opened.call_id)
    assert failed.status == "failed" and failed.grant is None


def test_an_approved_call_runs_once_with_its_grant_and_records_executed(
    approval_server: ApprovalServer, agent: Countersign
) -> None:
    run = session()
    bob = approval_server.decide_when_pending(run, "approve")
    seen: list[Grant] = []

    @agent.guarded(action="db.migrate", reason="ship migration 42", session_id=run, params={"file": "m.sql"}, timeout=60)
    def migrate(grant: Grant, path: str) -> str:
        seen.append(grant)
        approval_server.secrets.append(grant.token)
        return f"migrated {path}"

    assert migrate("m.sql") == "migrated m.sql"
    # Compared first, so that a failing assert cannot print the grant token.
    fresh = seen[0].token not in ("", approval_server.agent_token)
    assert len(seen) == 1 and fresh
    executed = agent.get(bob.request_id())
    assert executed.status == "executed" and executed.grant is None
