"""A scripted HTTP server on 127.0.0.1 for the client's unit tests: it answers what a test queues
and records every request it receives."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: object


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


def call(**overrides: object) -> dict[str, object]:
    """A well-formed call answer, with members replaced (or removed, given ...)."""
    body: dict[str, object] = {
        "callId": "req_1",
        "status": "pending",
        "requestId": "req_1",
        "expiresAt": 1765140000000,
        "approvals": {"count": 0, "required": 1},
        "code": None,
        "message": "waiting for approval by user:bob (1 of 1 needed)",
        "approvalUrl": None,
        "grant": None,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def grant(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "grt_1",
        "token": "cs_grant_secret",
        "expiresAt": 1765140300000,
        "credentials": {"PGPASSWORD": "hunter2"},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


class FakeServer:
    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.received: list[Received] = []
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.received.append(
                    Received(
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(raw) if raw else None,
                    )
                )
                answer = fake.answers.popleft() if fake.answers else Answer(500, b'{"code":"unscripted","detail":"-"}')
                if answer.hang:
                    fake._release.wait()
                    return
                self.send_response(answer.status)
                self.send_header("content-type", answer.content_type)
                self.send_header("content-length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def json(self, body: object, status: int = 200, content_type: str | None = None) -> None:
        ctype = content_type or ("application/json" if status == 200 else "application/problem+json")
        self.answers.append(Answer(status, json.dumps(body).encode(), ctype))

    def problem(self, status: int, code: str, detail: str = "refused", field: str | None = None) -> None:
        body = {"code": code, "detail": detail} | ({"field": field} if field else {})
        self.json(body, status)

    def raw(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.answers.append(Answer(status, body, content_type, headers))

    def hang(self) -> None:
        self.answers.append(Answer(hang=True))

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
