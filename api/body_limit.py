"""Request bodies are refused over a limit chosen per route, before they are read whole (413).

Most routes take a JSON or form body of a few hundred bytes: they get `default_bytes`
(kilobytes). Only the upload routes, named by their endpoint function, get a large limit.
The route is known once the router has matched the request, which happens before the
endpoint reads its first body byte: the limit is chosen on that first read. A declared
`Content-Length` over the limit is refused without reading anything; a chunked body is
counted as it arrives and refused the moment it passes the limit, whatever the route was
doing with it (its answer is replaced by the 413).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TYPE_BASE
from vault.errors import ContentTooLarge

# A JSON or form body: a sign-in, a lookup, a procedure with its requirements.
SMALL_BODY_BYTES = 64 * 1024
# Multipart framing and metadata fields on top of an uploaded file.
MULTIPART_OVERHEAD = 1024 * 1024

Limit = int | Callable[[], int]


class BodySizeLimit:
    """`per_endpoint` maps an endpoint function to its limit (or to a function giving it,
    for limits known only once the app runs, such as the verifier's)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_bytes: int = SMALL_BODY_BYTES,
        per_endpoint: Mapping[Callable[..., Any], Limit] | None = None,
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.per_endpoint = dict(per_endpoint or {})

    def limit_for(self, scope: Scope) -> int:
        endpoint = getattr(scope.get("route"), "endpoint", None)
        limit = self.per_endpoint.get(endpoint, self.default_bytes) if endpoint else None
        if limit is None:
            return self.default_bytes
        return limit() if callable(limit) else limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        limit: int | None = None
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal limit, received, exceeded
            if limit is None:
                limit = self.limit_for(scope)
            if declared is not None and declared > limit:
                exceeded = True
                raise ContentTooLarge(f"the request body is over {limit} bytes", limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise ContentTooLarge(f"the request body is over {limit} bytes", limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the route answers, the answer is our 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # Body parsers wrap the error they got from `receive` (FastAPI turns it into a
            # 400): once over the limit, the 413 below is the answer.
            if not exceeded or started:
                raise
        if exceeded and not started:
            await _refuse(scope, send, limit or self.default_bytes)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": TYPE_BASE + "content-too-large",
            "title": "Content too large",
            "status": 413,
            "detail": f"the request body is over {limit} bytes, the limit of this route",
            "instance": scope.get("path", ""),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                # The rest of the body is not read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
