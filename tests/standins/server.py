"""The scriptable stand-in server both stand-ins build on.

A `ThreadingHTTPServer` on 127.0.0.1 (HTTP/1.0: one request per connection, so a restart
leaves no old connection being served). A test scripts faults, consumed one per request to
the stand-in's API (the token endpoint excepted):

- `Fail(status, retry_after=None, accept_first=False)`: answer `status` (a 5xx or 429), with
  Retry-After if given; with `accept_first`, after processing the request (the answer is lost);
- `Stall(seconds, accept_first=True)`: process, then wait `seconds` before answering (past
  the client's read timeout);
- `Refuse(status, problem)`: a 4xx with an RFC 9457 problem body;
- `Garble()`: 200 with a body that is not JSON;
- `RepeatAcks()` / `ShuffleAcks()`: (portal) every acknowledgement twice / in reverse order;
- `Restart(down_seconds)`: process, drop the connection unanswered, stop, and start again
  on the same port `down_seconds` later, keeping what was accepted.

It also plays the OAuth token endpoint (`POST /oauth/token`, client credentials with a
`private_key_jwt` assertion checked against the client's published JWK set) and checks the
bearer tokens it issued (or `static_tokens`) on every API request.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt

from tests.support.live import free_port

TOKEN_PATH = "/oauth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class Fail:
    status: int = 503
    retry_after: int | None = None
    accept_first: bool = False


@dataclass(frozen=True)
class Stall:
    seconds: float
    accept_first: bool = True


@dataclass(frozen=True)
class Refuse:
    status: int = 422
    problem: dict[str, Any] = field(
        default_factory=lambda: {"type": "about:blank", "title": "Refused", "status": 422}
    )


@dataclass(frozen=True)
class Garble:
    pass


@dataclass(frozen=True)
class RepeatAcks:
    pass


@dataclass(frozen=True)
class ShuffleAcks:
    pass


@dataclass(frozen=True)
class Restart:
    down_seconds: float = 0.5


Fault = Fail | Stall | Refuse | Garble | RepeatAcks | ShuffleAcks | Restart


@dataclass
class Answer:
    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None  # Content-Length of a streamed body

    @classmethod
    def json(cls, status: int, value: Any, content_type: str = "application/json") -> Answer:
        return cls(status, json.dumps(value).encode(), {"Content-Type": content_type})


@dataclass(frozen=True)
class Received:
    """One request as it arrived (every delivery, repeats included)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class StandIn:
    """Subclasses implement `handle(request, fault) -> Answer` for their API."""

    def __init__(
        self, *, client_jwks: dict[str, Any] | None = None, static_tokens: Iterable[str] = ()
    ) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.client_jwks = client_jwks
        self.require_auth = client_jwks is not None or bool(static_tokens)
        self.tokens: set[str] = set(static_tokens)
        self.verified_assertions: list[dict[str, Any]] = []
        self.token_requests = 0
        self.restarts = 0
        self._jtis: set[str] = set()
        self._faults: deque[Fault] = deque()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- life cycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def start(self) -> None:
        self._stopping.clear()
        server = _Server(("127.0.0.1", self.port), self._handler_class())
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # ends stalls at once
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def restart(self, down_seconds: float) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()
        with self.lock:
            self.restarts += 1

    def __enter__(self) -> StandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *faults: Fault) -> None:
        with self.lock:
            self._faults.extend(faults)

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def requests_to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    # -- what subclasses implement -------------------------------------------------------

    def handle(self, request: Received, fault: Fault | None) -> Answer:
        raise NotImplementedError

    # -- the request path ----------------------------------------------------------------

    def _dispatch(self, request: Received) -> Answer | None:
        """The answer, or None to drop the connection unanswered."""
        if request.path == TOKEN_PATH:
            return self._token(request)
        with self.lock:
            self.received.append(request)
        if self.require_auth and not self._authorized(request):
            return Answer.json(
                401, {"title": "Unauthorized", "status": 401}, "application/problem+json"
            )
        with self.lock:
            fault = self._faults.popleft() if self._faults else None
        if isinstance(fault, Fail):
            if fault.accept_first:
                self.handle(request, None)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return Answer(fault.status, b"unavailable", headers)
        if isinstance(fault, Refuse):
            return Answer.json(fault.status, fault.problem, "application/problem+json")
        if isinstance(fault, Garble):
            return Answer(200, b"<html>not json</html>", {"Content-Type": "text/html"})
        if isinstance(fault, Stall):
            answer = self.handle(request, None) if fault.accept_first else None
            self._stopping.wait(fault.seconds)
            return answer if answer is not None else self.handle(request, None)
        if isinstance(fault, Restart):
            self.handle(request, None)
            threading.Thread(target=self.restart, args=(fault.down_seconds,), daemon=True).start()
            return None
        return self.handle(request, fault)

    def _authorized(self, request: Received) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        with self.lock:
            return scheme.lower() == "bearer" and token in self.tokens

    def _token(self, request: Received) -> Answer:
        """RFC 7523 client authentication: the assertion must verify against the client's
        published JWK set, name the client as iss and sub, this endpoint as aud, and carry
        a jti not seen before."""
        with self.lock:
            self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        refused = Answer.json(400, {"error": "invalid_client"})
        if (
            self.client_jwks is None
            or form.get("grant_type") != "client_credentials"
            or form.get("client_assertion_type") != ASSERTION_TYPE
        ):
            return refused
        assertion = form.get("client_assertion", "")
        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
            jwks = jwt.PyJWKSet.from_dict(self.client_jwks)
            key = next(k for k in jwks.keys if k.key_id == kid)
            claims = jwt.decode(
                assertion,
                key=key,
                algorithms=[key.algorithm_name],
                audience=self.token_url,
                issuer=form.get("client_id"),
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except (jwt.PyJWTError, StopIteration):
            return refused
        if claims["sub"] != claims["iss"]:
            return refused
        token = secrets.token_urlsafe(24)
        with self.lock:
            if claims["jti"] in self._jtis:
                return refused
            self._jtis.add(claims["jti"])
            self.verified_assertions.append(claims)
            self.tokens.add(token)
        return Answer.json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                answer = standin._dispatch(request)
                if answer is None:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if isinstance(answer.body, bytes):
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                    return
                if answer.length is not None:
                    self.send_header("Content-Length", str(answer.length))
                self.end_headers()
                for chunk in answer.body:
                    self.wfile.write(chunk)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read what the stand-in recorded instead."""

            def handle(self) -> None:
                # The client may have given up (a timeout), as scripted.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

        return Handler


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
