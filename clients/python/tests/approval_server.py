"""Starts tests/server.ts (a real approval server on 127.0.0.1) and decides its requests as bob."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = 120


def node() -> str:
    """COUNTERSIGN_NODE, else the repository's own Node (the root's `node` dev dependency), else PATH's."""
    local = REPO / "node_modules" / ".bin" / "node"
    return os.environ.get("COUNTERSIGN_NODE") or (str(local) if local.exists() else "node")


@dataclass
class ApprovalServer:
    url: str
    agent_token: str
    approver_token: str
    forged_token: str
    process: subprocess.Popen[str]
    log: Path
    secrets: list[str] = field(default_factory=list)
    """Grant tokens and credentials the tests saw: none may appear in the server's log."""

    def _bob(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        headers = {"authorization": f"Bearer {self.approver_token}", "content-type": "application/json"}
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def decide(self, request_id: str, outcome: str) -> None:
        """Bob's decision through the decision API, as a person's would arrive."""
        self._bob("POST", f"/requests/{request_id}/decisions", {"outcome": outcome})

    def decide_when_pending(self, session_id: str, outcome: str) -> Decider:
        """Starts deciding, in the background, the request of `session_id` once bob sees it."""
        return Decider(self, session_id, outcome)

    def close(self) -> str:
        """Stops the server and returns what it logged."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text(errors="replace")


class Decider:
    """A background approver: polls bob's decidable requests for one session and decides it."""

    def __init__(self, server: ApprovalServer, session_id: str, outcome: str) -> None:
        self._result: queue.Queue[str | BaseException] = queue.Queue()
        self._server, self._session_id, self._outcome = server, session_id, outcome
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for _ in range(600):
                listed = self._server._bob("GET", "/requests?limit=100")
                for item in listed["items"] if isinstance(listed, dict) else []:
                    if item["who"]["sessionId"] == self._session_id and item["viewer"]["canDecide"]:
                        self._server.decide(item["id"], self._outcome)
                        self._result.put(item["id"])
                        return
                time.sleep(0.05)
            self._result.put(TimeoutError(f"no request of session {self._session_id} appeared"))
        except BaseException as error:  # handed to the test, which fails on it
            self._result.put(error)

    def request_id(self) -> str:
        """The id of the request decided; raises what stopped the decider."""
        result = self._result.get(timeout=60)
        if isinstance(result, BaseException):
            raise result
        return result


def start() -> ApprovalServer:
    log = Path(tempfile.mkstemp(prefix="countersign-server-", suffix=".log")[1])
    process = subprocess.Popen(
        [node(), str(REPO / "node_modules" / "tsx" / "dist" / "cli.mjs"), "--conditions=@countersign/source",
         str(Path(__file__).with_name("server.ts"))],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.put(process.stdout.readline() if process.stdout else ""), daemon=True).start()
    try:
        line = lines.get(timeout=STARTUP_SECONDS)
    except queue.Empty:
        line = ""
    if not line:
        process.kill()
        raise RuntimeError(f"tests/server.ts printed nothing; its log:\n{log.read_text(errors='replace')}")
    started = json.loads(line)
    return ApprovalServer(
        url=started["url"],
        agent_token=started["agentToken"],
        approver_token=started["approverToken"],
        forged_token=started["forgedToken"],
        process=process,
        log=log,
    )
