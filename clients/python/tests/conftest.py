"""Fixtures: a scripted fake server and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
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
