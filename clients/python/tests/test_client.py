"""The client against a scripted server: refusals first, then what a well-formed exchange sends."""

from __future__ import annotations


import pytest
from fake_server import FakeServer, call, grant

from countersign import (
    AlreadyClaimed,
    Countersign,
    CountersignError,
    Denied,
    Expired,
    InvalidInput,
    MalformedAnswer,
    Unauthenticated,
    Unavailable,
)
from countersign.http import Token

TOKEN = "agent-token-abc"


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "unauthenticated", Unauthenticated),
        (503, "keys_unavailable", Unavailable),
        (503, "store_failed", Unavailable),
        (503, "credential_failed", Unavailable),
        (400, "invalid_input", InvalidInput),
        (409, "already_claimed", AlreadyClaimed),
        (409, "approval_denied", Denied),
        (409, "policy_denied", Denied),
        (409, "approval_expired", Expired),
        (409, "call_expired", Expired),
        (409, "call_not_held", CountersignError),
        (404, "call_not_found", CountersignError),
        (409, "not_approved", CountersignError),
        (429, "too_many_pending", CountersignError),
    ],
)
def test_problem_answers_raise_their_typed_error(
    fake: FakeServer, client: Countersign, status: int, code: str, kind: type[CountersignError]
) -> None:
    fake.problem(status, code, "what happened", field="action.name" if status == 400 else None)
    with pytest.raises(CountersignError) as raised:
        client.claim("req_1")
    assert type(raised.value) is kind
    assert (raised.value.status, raised.value.code, raised.value.detail) == (status, code, "what happened")
    assert raised.value.field == ("action.name" if status == 400 else None)
    assert TOKEN not in str(raised.value)


def test_an_expiry_is_a_denial_too(fake: FakeServer, client: Countersign) -> None:
    fake.problem(409, "approval_expired")
    with pytest.raises(Denied) as raised:
        client.claim("req_1")
    assert raised.value.code == "approval_expired"


def test_a_proxy_error_page_is_unavailable_and_other_statuses_are_errors(fake: FakeServer, client: Countersign) -> None:
    fake.raw(502, b"<html>bad gateway</html>", "text/html")
    fake.raw(418, b"teapot", "text/plain")
    with pytest.raises(Unavailable) as down:
        client.get("req_1")
    assert down.value.status == 502
    with pytest.raises(CountersignError) as odd:
        client.get("req_1")
    assert (odd.value.status, odd.value.code) == (418, "unexpected_status")


def test_an_unreachable_server_is_unavailable() -> None:
    fake = FakeServer()
    url = fake.url
    fake.close()
    with pytest.raises(Unavailable) as raised:
        Countersign(url, TOKEN).open("db.migrate", "ship it", "run-1")
    assert raised.value.status is None and raised.value.code == "unreachable"


def test_a_server_that_never_answers_is_unavailable_after_the_timeout(fake: FakeServer) -> None:
    fake.hang()
    with pytest.raises(Unavailable):
        Countersign(fake.url, TOKEN, timeout=0.2).get("req_1")


@pytest.mark.parametrize(
    "answer",
    [
        call(callId=...),
        call(callId=""),
        call(status="maybe"),
        call(expiresAt="soon"),
        call(expiresAt=True),
        call(expiresAt=-1),
        call(message=None),
        call(approvals={"count": 0}),
        call(status="denied", code=None),
        call(approvalUrl=3),
        call(grant=...),
        [call()],
        "pending",
    ],
)
def test_a_malformed_call_raises(fake: FakeServer, client: Countersign, answer: object) -> None:
    fake.json(answer)
    with pytest.raises(MalformedAnswer):
        client.get("req_1")


@pytest.mark.parametrize(
    "bad_grant",
    [
        grant(token=...),
        grant(token=""),
        grant(credentials=...),
        grant(credentials={"PGPASSWORD": 3}),
        grant(credentials=["PGPASSWORD"]),
        grant(expiresAt=None),
        None,
    ],
)
def test_a_claim_without_a_well_formed_grant_raises(fake: FakeServer, client: Countersign, bad_grant: object) -> None:
    fake.json(call(status="running", grant=bad_grant))
    with pytest.raises(MalformedAnswer):
        client.claim("req_1")


def test_answers_that_are_not_json_calls_raise(fake: FakeServer, client: Countersign) -> None:
    fake.raw(200, b"<html>login</html>", "text/html")
    fake.raw(200, b"{not json", "application/json")
    fake.raw(200, b" " * (1 << 20) + b"{}", "application/json")
    for _ in range(3):
        with pytest.raises(MalformedAnswer):
            client.get("req_1")


def test_an_answer_about_another_call_or_state_raises(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(callId="req_2"))
    fake.json(call(status="running", grant=grant(), callId="req_2"))
    fake.json(call(status="failed"))
    fake.json(call(status="running", grant=grant()))
    with pytest.raises(MalformedAnswer):
        client.get("req_1")
    with pytest.raises(MalformedAnswer):
        client.claim("req_1")
    with pytest.raises(MalformedAnswer):
        client.outcome("req_1", "executed")
    with pytest.raises(MalformedAnswer):
        client.open("db.migrate", "ship it", "run-1")


def test_redirects_are_refused_so_the_token_goes_nowhere_else(fake: FakeServer, client: Countersign) -> None:
    elsewhere = FakeServer()
    try:
        fake.raw(302, b"", "text/plain", location=f"{elsewhere.url}/v1/calls/req_1")
        fake.raw(303, b"", "text/plain", location=f"{elsewhere.url}/v1/calls/req_1")
        with pytest.raises(CountersignError) as followed_get:
            client.get("req_1")
        with pytest.raises(CountersignError) as followed_post:
            client.open("db.migrate", "ship it", "run-1")
        assert (followed_get.value.status, followed_post.value.status) == (302, 303)
        assert elsewhere.received == []
    finally:
        elsewhere.close()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"action": ""}, "action"),
        ({"reason": 3}, "reason"),
        ({"session_id": " "}, "session_id"),
        ({"params": {"argv": ("psql",)}}, "params.argv"),
        ({"params": {"n": float("nan")}}, "params.n"),
        ({"params": {1: "one"}}, "params"),
        ({"params": {"when": object()}}, "params.when"),
        ({"params": ["not", "a", "dict"]}, "params"),
        ({"resource": ""}, "resource"),
        ({"idempotency_key": 7}, "idempotency_key"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    fake: FakeServer, client: Countersign, arguments: dict[str, object], field: str
) -> None:
    given: dict[str, object] = {"action": "db.migrate", "reason": "ship it", "session_id": "run-1"} | arguments
    with pytest.raises(InvalidInput) as raised:
        client.open(**given)  # type: ignore[arg-type]
    assert raised.value.field == field and raised.value.status is None
    assert fake.received == []


@pytest.mark.parametrize("call_id", ["", "../admin", "req_1/claim", "req?x=1", "a" * 101, None])
def test_call_ids_that_would_change_the_url_are_refused(fake: FakeServer, client: Countersign, call_id: object) -> None:
    for method in (client.get, client.claim, lambda i: client.outcome(i, "executed")):
        with pytest.raises(InvalidInput):
            method(call_id)  # type: ignore[operator]
    assert fake.received == []


def test_waits_and_outcomes_outside_the_contract_are_refused(fake: FakeServer, client: Countersign) -> None:
    for wait in (0, 61, True, 1.5):
        with pytest.raises(InvalidInput):
            client.get("req_1", wait=wait)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        client.outcome("req_1", "done")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        client.wait("req_1", timeout=-1)
    assert fake.received == []


@pytest.mark.parametrize("server", ["ftp://example.com", "example.com", "http://approvals.example.com", "https://u:p@x.test"])
def test_servers_that_would_expose_the_token_are_refused(server: str) -> None:
    with pytest.raises(InvalidInput):
        Countersign(server, TOKEN)


def test_plain_http_to_another_host_needs_consent() -> None:
    assert repr(Countersign("http://approvals.internal/", TOKEN, insecure_http=True)) == (
        "Countersign('http://approvals.internal')"
    )


@pytest.mark.parametrize("bad", ["", "two words", "line\nbreak", "tökén", 42])
def test_a_bad_token_is_refused_without_being_quoted_or_sent(fake: FakeServer, bad: object) -> None:
    client = Countersign(fake.url, lambda: bad)  # type: ignore[arg-type,return-value]
    with pytest.raises(Unauthenticated) as raised:
        client.get("req_1")
    assert raised.value.status is None
    assert fake.received == []
    if isinstance(bad, str) and bad:
        assert bad not in str(raised.value)


def test_a_token_callable_is_asked_on_every_request(fake: FakeServer) -> None:
    issued = iter(["token-1", "token-2"])
    client = Countersign(fake.url, lambda: next(issued))
    fake.json(call())
    fake.json(call())
    client.get("req_1")
    client.get("req_1")
    assert [r.headers["authorization"] for r in fake.received] == ["Bearer token-1", "Bearer token-2"]


def test_open_sends_the_wire_body_with_absent_members_left_out(fake: FakeServer, client: Countersign) -> None:
    fake.json(call())
    fake.json(call(callId="call_2", status="allowed", requestId=None, approvals=None, message="allowed"))
    first = client.open(
        "db.migrate",
        "ship migration 42",
        "run-8812",
        resource="db:prod",
        params={"argv": ["psql", "-f", "m.sql"], "dry": False},
        risk="high",
        idempotency_key="run-8812-migrate",
        on_behalf_of="user:alice",
    )
    second = client.open("db.read", "look", "run-8812")
    assert fake.received[0].method == "POST" and fake.received[0].path == "/v1/calls"
    assert fake.received[0].headers["content-type"] == "application/json"
    assert fake.received[0].body == {
        "action": {"name": "db.migrate", "resource": "db:prod", "params": {"argv": ["psql", "-f", "m.sql"], "dry": False}, "risk": "high"},
        "reason": "ship migration 42",
        "sessionId": "run-8812",
        "idempotencyKey": "run-8812-migrate",
        "onBehalfOf": "user:alice",
    }
    assert fake.received[1].body == {"action": {"name": "db.read"}, "reason": "look", "sessionId": "run-8812"}
    assert (first.status, first.approvals and first.approvals.required) == ("pending", 1)
    assert (second.call_id, second.status, second.approvals) == ("call_2", "allowed", None)


def test_wait_long_polls_until_the_call_is_no_longer_pending(fake: FakeServer, client: Countersign) -> None:
    fake.json(call())
    fake.json(call())
    fake.json(call(status="approved"))
    settled = client.wait("req_1")
    assert settled.status == "approved"
    assert [r.path for r in fake.received] == [
        "/v1/calls/req_1",
        "/v1/calls/req_1?wait=60s&status=pending",
        "/v1/calls/req_1?wait=60s&status=pending",
    ]


def test_wait_with_a_spent_timeout_returns_the_pending_call(fake: FakeServer, client: Countersign) -> None:
    fake.json(call())
    assert client.wait("req_1", timeout=0).status == "pending"
    assert len(fake.received) == 1


def test_claim_returns_the_grant_and_keeps_its_secrets_out_of_repr(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="running", grant=grant()))
    claimed = client.claim("req_1")
    assert fake.received[0].method == "POST" and fake.received[0].path == "/v1/calls/req_1/claim"
    assert claimed.grant is not None
    assert (claimed.grant.token, dict(claimed.grant.credentials or {})) == ("cs_grant_secret", {"PGPASSWORD": "hunter2"})
    for shown in (repr(claimed), repr(claimed.grant), str(claimed)):
        assert "cs_grant_secret" not in shown and "hunter2" not in shown
    with pytest.raises(TypeError):
        claimed.grant.credentials["PGPASSWORD"] = "changed"  # type: ignore[index]


def test_outcome_sends_status_and_detail(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(status="failed"))
    assert client.outcome("req_1", "failed", "exit status 3").status == "failed"
    assert fake.received[0].path == "/v1/calls/req_1/outcome"
    assert fake.received[0].body == {"status": "failed", "detail": "exit status 3"}


def test_unknown_members_of_an_answer_are_ignored(fake: FakeServer, client: Countersign) -> None:
    fake.json(call(addedLater={"x": 1}))
    assert client.get("req_1").status == "pending"


def test_the_token_is_not_in_any_repr_a_traceback_would_print(fake: FakeServer) -> None:
    client = Countersign(fake.url, TOKEN)
    assert TOKEN not in repr(client) and TOKEN not in repr(vars(client))
    assert repr(Token(TOKEN)) == "<token>"
