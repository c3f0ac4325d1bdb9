"""`/metrics` of a `vault worker` process, which serves no API: the OCR pages and seconds,
signatures and audit batches its jobs produce, on a port of its own (`--metrics-port`).

The same rule as the API's route: a bearer token when VAULT_METRICS_TOKEN is set, open in
development without one, and refused in production without one (nothing published by a
forgotten setting). A thread of the worker's process serves it (standard library WSGI)."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vault import metrics
from vault.settings import Environment, Settings

StartResponse = Callable[..., Any]


class MetricsRefused(Exception):
    """Production with no metrics token: the port is not opened."""


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return  # a scrape every few seconds is not worth a log line


def _app(token: str | None) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if token is not None:
            scheme, _, given = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.encode(), token.encode()
            ):
                start_response(
                    "401 Unauthorized",
                    [
                        ("Content-Type", "text/plain"),
                        ("WWW-Authenticate", 'Bearer realm="metrics"'),
                    ],
                )
                return [b"a metrics token is required\n"]
        body = generate_latest(metrics.exposition_registry())
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    return app


def start_metrics_server(settings: Settings, host: str, port: int) -> WSGIServer:
    """Serves until the returned server is shut down; `port` 0 picks a free one."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token is None and settings.env is Environment.PRODUCTION:
        raise MetricsRefused("set VAULT_METRICS_TOKEN to serve a worker's metrics in production")
    server = make_server(host, port, _app(token), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
