"""Liveness and readiness probes (no sign-in needed)."""

from __future__ import annotations

from vault_client._request import Call, parse_as
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.health import Health, Readiness


def _alive() -> Call[Health]:
    return Call("GET", "/healthz", parse_as(Health), idempotent=True, authenticated=False)


def _ready() -> Call[Readiness]:
    # 503 carries the answer ("unavailable" and which check failed): it is not an error
    # here, and is not retried (a probe wants the state now).
    return Call(
        "GET",
        "/readyz",
        parse_as(Readiness),
        authenticated=False,
        accept=frozenset({503}),
    )


class HealthResource(SyncResource):
    def alive(self) -> Health:
        """Whether the vault's process answers."""
        return self._client.execute(_alive())

    def ready(self) -> Readiness:
        """Whether the database and the object store answer (`.ready`, and `.checks`)."""
        return self._client.execute(_ready())


class AsyncHealthResource(AsyncResource):
    async def alive(self) -> Health:
        """Whether the vault's process answers."""
        return await self._client.execute(_alive())

    async def ready(self) -> Readiness:
        """Whether the database and the object store answer (`.ready`, and `.checks`)."""
        return await self._client.execute(_ready())
