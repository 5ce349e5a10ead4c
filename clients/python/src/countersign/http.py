"""One JSON request to the server over urllib: the bearer token, no redirects, typed failures."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from http.client import HTTPException, HTTPResponse
from urllib.parse import urlsplit

from .errors import CountersignError, InvalidInput, MalformedAnswer, Unavailable, Unauthenticated, error_for

# An answer bigger than this is not a call; stop reading rather than hold it.
MAX_ANSWER_BYTES = 1 << 20
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

TokenSource = Callable[[], str]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would resend the Authorization header to wherever a redirect points: refuse them all.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def base_url(server: str, *, insecure_http: bool) -> str:
    """The server's URL without a trailing slash; plain http only to loopback unless allowed."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("invalid_input", "server must be an http(s) URL", field="server")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput("invalid_input", "server must not carry a query, fragment or user", field="server")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK and not insecure_http:
        raise InvalidInput(
            "invalid_input",
            "plain http sends the token in clear: use https, or pass insecure_http=True",
            field="server",
        )
    return server.rstrip("/")


class Token:
    """Where the bearer token comes from. Its repr never shows the token: tracebacks (pytest's, a
    crash reporter's) print the arguments of every frame, and this is the argument that travels."""

    __slots__ = ("_source",)

    def __init__(self, source: str | TokenSource) -> None:
        self._source = source

    def __repr__(self) -> str:
        return "<token>"

    def header(self) -> str:
        """`Bearer <token>` for this request: a callable is asked every time, so short-lived tokens stay fresh."""
        value = self._source() if callable(self._source) else self._source
        if not isinstance(value, str) or not value.isascii() or not value.isprintable() or " " in value or value == "":
            # Never quote the value: it may be most of a secret.
            raise Unauthenticated("no_token", "the token must be a non-empty string of printable ASCII without spaces")
        return f"Bearer {value}"


def _problem(status: int, raw: bytes) -> CountersignError:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("detail"), str):
        field = body.get("field")
        return error_for(status, body["code"], body["detail"], field if isinstance(field, str) else None)
    code = "unavailable" if status in (502, 503, 504) else "unexpected_status"
    return error_for(status, code, f"the server answered HTTP {status} without a problem document")


def _read(stream: HTTPResponse | urllib.error.HTTPError) -> bytes:
    data = stream.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise MalformedAnswer("malformed_answer", f"the answer is over {MAX_ANSWER_BYTES} bytes")
    return data


def _exchange(request: urllib.request.Request, timeout: float) -> tuple[int, str, bytes]:
    """Status, media type and body of the answer, whatever its status."""
    try:
        with _opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.headers.get_content_type(), _read(answer)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get_content_type(), _read(error)


def request_json(
    method: str,
    url: str,
    token: Token,
    *,
    body: Mapping[str, object] | None,
    timeout: float,
) -> object:
    """Sends one request and returns its decoded JSON answer (HTTP 200 only)."""
    data = None if body is None else json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    content = {} if data is None else {"content-type": "application/json"}
    # The token goes straight into the request, not into a local a traceback would print.
    request = urllib.request.Request(
        url, data=data, method=method, headers={"authorization": token.header(), "accept": "application/json", **content}
    )
    try:
        status, media, raw = _exchange(request, timeout)
    except (HTTPException, OSError) as error:
        # The reason names the failure (refused, timed out), never the request's headers.
        reason = getattr(error, "reason", None) or type(error).__name__
        raise Unavailable("unreachable", f"{method} {urlsplit(url).path} failed: {reason}") from None
    if status != 200:
        raise _problem(status, raw)
    if media != "application/json":
        raise MalformedAnswer("malformed_answer", f"expected application/json, got {media}", status=status)
    try:
        return json.loads(raw)
    except ValueError:
        raise MalformedAnswer("malformed_answer", "the answer is not JSON", status=status) from None
