"""Every request observed once: its id, its latency, its bytes (api side of `vault.metrics`).

The request id comes from `X-Request-Id` when the caller (a gateway, the SDK) sends an
acceptable one, else a new random one; it is echoed on the response, bound for the request's
log lines and handed to any job the request queues.

Routes are labelled by the template the router matched (`/api/v1/documents/{document_id}`),
read from the scope after the app ran; a path no route matched is labelled `unmatched`, so a
scanner trying random paths cannot blow up the number of series.
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault import metrics
from vault.request_context import (
    acceptable_request_id,
    bound_request_id,
    collecting_timings,
    new_request_id,
)

REQUEST_ID_HEADER = "X-Request-Id"
SERVER_TIMING_HEADER = "Server-Timing"


def _route_label(scope: Scope) -> str:
    if scope.get("route") is None:
        return "unmatched"
    # The matched path with each parameter's segment put back as `{name}` (an included
    # router's route knows only its own part of the template).
    segments = str(scope.get("path", "")).split("/")
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    return "/".join("{" + params[s] + "}" if s in params else s for s in segments)


class RequestObservation:
    def __init__(self, app: ASGIApp, *, server_timing: bool = False) -> None:
        self.app = app
        self.server_timing = server_timing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                sent = value.decode("latin-1")
                break
        request_id = acceptable_request_id(sent) or new_request_id()
        started = time.perf_counter()
        bytes_in = 0
        bytes_out = 0
        status = 500  # what is recorded if the app fails before answering

        async def counting_receive() -> Message:
            nonlocal bytes_in
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
            return message

        async def observing_send(message: Message) -> None:
            nonlocal bytes_out, status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                if self.server_timing:
                    # Sent once the app answers: the commit and the audit write are done.
                    headers[SERVER_TIMING_HEADER] = timings.header(time.perf_counter() - started)
            elif message["type"] == "http.response.body":
                bytes_out += len(message.get("body", b""))
            await send(message)

        try:
            with bound_request_id(request_id), collecting_timings() as timings:
                await self.app(scope, counting_receive, observing_send)
        finally:
            route = _route_label(scope)
            metrics.http_request_seconds.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )
            if bytes_in:
                metrics.http_bytes_in.labels(route).inc(bytes_in)
            if bytes_out:
                metrics.http_bytes_out.labels(route).inc(bytes_out)
