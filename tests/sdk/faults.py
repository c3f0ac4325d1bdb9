"""A small fault-injecting HTTP proxy, served by uvicorn in front of the live API.

Requests pass through to the real server unless a rule matches; a rule can answer an error
status without forwarding (the server never saw it), forward and then answer an error or
drop the connection (the server acted; the client never hears), cut a response body short,
or stall before forwarding. It records every request it received, so tests can check what
the SDK sent on each attempt.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.types import Message, Receive, Scope, Send

Kind = Literal[
    "status", "status_after_forward", "drop_after_forward", "cut_body", "corrupt_body", "stall"
]
_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


class Dropped(Exception):
    """Raised inside the app to make uvicorn abort the connection mid-response."""


@dataclass
class Rule:
    kind: Kind
    pattern: re.Pattern[str]
    method: str | None
    times: int
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    after_bytes: int = 0
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == method)
            and self.pattern.search(path) is not None
        )


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    faulted: Kind | None


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.url = ""  # set once served
        self.rules: list[Rule] = []
        self.seen: list[Seen] = []
        self._client: httpx.AsyncClient | None = None

    # -- arranging faults ----------------------------------------------------------------

    def _add(self, kind: Kind, path: str, method: str | None, times: int, **kw: Any) -> Rule:
        rule = Rule(kind, re.compile(path), method, times, **kw)
        self.rules.append(rule)
        return rule

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        retry_after: str | None = None,
        forward: bool = False,
    ) -> Rule:
        """Answer `status` (as problem details). With `forward`, the request reaches the
        server first and its answer is thrown away."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="vault"'
        kind: Kind = "status_after_forward" if forward else "status"
        return self._add(kind, path, method, times, status=status, headers=headers)

    def drop(self, path: str, *, times: int = 1, method: str | None = None) -> Rule:
        """Forward, then drop the connection before the client has the response."""
        return self._add("drop_after_forward", path, method, times)

    def cut(self, path: str, after_bytes: int, *, times: int = 1) -> Rule:
        """Forward, send the first `after_bytes` of the body, then drop the connection."""
        return self._add("cut_body", path, "GET", times, after_bytes=after_bytes)

    def corrupt(self, path: str, *, times: int = 1) -> Rule:
        """Forward, and flip the bits of the body's first byte on the way back."""
        return self._add("corrupt_body", path, "GET", times)

    def stall(self, path: str, seconds: float, *, times: int = 1) -> Rule:
        """Wait `seconds` before forwarding (longer than the client's timeout)."""
        return self._add("stall", path, None, times, seconds=seconds)

    def requests(self, path: str, method: str | None = None) -> list[Seen]:
        pattern = re.compile(path)
        return [
            s
            for s in self.seen
            if pattern.search(s.path) and (method is None or s.method == method)
        ]

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert scope["type"] == "http"
        method: str = scope["method"]
        path: str = scope["path"]
        body = await _read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        rule = next((r for r in self.rules if r.matches(method, path)), None)
        if rule is not None:
            rule.times -= 1
        self.seen.append(Seen(method, path, headers, rule.kind if rule else None))

        if rule is not None and rule.kind == "status":
            await _problem(send, rule.status, rule.headers, path)
            return
        if rule is not None and rule.kind == "stall":
            await asyncio.sleep(rule.seconds)

        client = self._http()
        query = scope.get("query_string", b"").decode()
        url = self.upstream + path + (f"?{query}" if query else "")
        forward = {k: v for k, v in headers.items() if k not in _HOP}
        request = client.build_request(method, url, headers=forward, content=body)
        upstream = await client.send(request, stream=True)
        try:
            if rule is not None and rule.kind == "status_after_forward":
                await upstream.aread()
                await _problem(send, rule.status, rule.headers, path)
                return
            out = [
                (k.encode(), v.encode())
                for k, v in upstream.headers.multi_items()
                if k.lower() not in {"connection", "transfer-encoding", "keep-alive"}
            ]
            if rule is not None and rule.kind == "drop_after_forward":
                await upstream.aread()
                await send(
                    {"type": "http.response.start", "status": upstream.status_code, "headers": out}
                )
                raise Dropped("the response is lost on the way back")
            await send(
                {"type": "http.response.start", "status": upstream.status_code, "headers": out}
            )
            sent = 0
            async for chunk in upstream.aiter_raw():
                if rule is not None and rule.kind == "cut_body":
                    room = rule.after_bytes - sent
                    if room <= len(chunk):
                        await send(
                            {"type": "http.response.body", "body": chunk[:room], "more_body": True}
                        )
                        raise Dropped("the body is cut short")
                if rule is not None and rule.kind == "corrupt_body" and sent == 0 and chunk:
                    chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await upstream.aclose()

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, inside the server's own event loop.
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=30, trust_env=False)
        return self._client

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message: Message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _problem(send: Send, status: int, headers: dict[str, str], path: str) -> None:
    body = json.dumps(
        {
            "type": "urn:vault:problem:injected",
            "title": "Injected fault",
            "status": status,
            "detail": f"the fault proxy answered {status}",
            "instance": path,
        }
    ).encode()
    raw = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
