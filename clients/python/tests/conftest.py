"""Fixtures: a scripted fake server and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from approval_server import ApprovalServer, start
from fake_server import FakeServer

from countersign import Countersign


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


@pytest.fixture
def client(fake: FakeServer) -> Countersign:
    return Countersign(fake.url, "agent-token-abc")


@pytest.fixture(scope="session")
def approval_server() -> Iterator[ApprovalServer]:
    """One real approval server for the session; at the end, no token or grant secret may be in its log."""
    server = start()
    yield server
    logged = server.close()
    server.log.unlink()
    secrets = [server.agent_token, server.approver_token, server.forged_token, *server.secrets]
    # Positions only: an assert over the values would print them.
    leaked = [i for i, secret in enumerate(secrets) if secret in logged]
    assert leaked == [], f"secrets at {leaked} (0 agent, 1 approver, 2 forged, then grants) reached the server's log"


@pytest.fixture
def agent(approval_server: ApprovalServer) -> Countersign:
    return Countersign(approval_server.url, approval_server.agent_token)
