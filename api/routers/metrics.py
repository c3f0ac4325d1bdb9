"""`GET /metrics`: the vault's own figures in Prometheus' text format (see `vault.metrics`).

Not part of the public API (left out of OpenAPI). Guarded by `VAULT_METRICS_TOKEN` as a bearer
token; without a token it is open in development and answers 404 in production, so a
forgotten setting never publishes a province's load figures.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from api.problems import problem
from vault import metrics
from vault.runtime import Vault
from vault.services.jobs import JobService
from vault.settings import Environment

router = APIRouter(include_in_schema=False)


def _pool_state(vault: Vault) -> metrics.PoolState | None:
    pool = vault.engine.pool
    size = getattr(pool, "size", None)
    checked_out = getattr(pool, "checkedout", None)
    if not callable(size) or not callable(checked_out):
        return None  # SQLite's pool keeps no count
    return metrics.PoolState(size=int(size()), checked_out=int(checked_out()))


def _queue_states(vault: Vault) -> Sequence[metrics.QueueState]:
    with vault.uows() as uow:
        return JobService().queue_states(uow)


def live_registry(vault: Vault) -> CollectorRegistry:
    """The gauges read at scrape time, for this app's vault."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        metrics.LiveStateCollector(
            queues=lambda: _queue_states(vault), pool=lambda: _pool_state(vault)
        )
    )
    return registry


@router.get("/metrics")
def read_metrics(request: Request) -> Response:
    vault: Vault = request.app.state.vault
    token = vault.settings.metrics_token
    if token is None:
        if vault.settings.env is Environment.PRODUCTION:
            return problem(404, "not-found", "Not found", "no such resource", "/metrics")
    else:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
            response = problem(
                401,
                "unauthenticated",
                "Authentication required",
                "a metrics token is required",
                "/metrics",
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    live = getattr(request.app.state, "live_metrics", None)
    if live is None:
        live = request.app.state.live_metrics = live_registry(vault)
    body = generate_latest(metrics.exposition_registry()) + generate_latest(live)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
