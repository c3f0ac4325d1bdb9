"""The catalogues: paper types, and procedures with the papers each needs."""

from __future__ import annotations

from vault_client._request import Call, api, parse_as, segment
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.catalogue import PaperType, Procedure


def _paper_types() -> Call[list[PaperType]]:
    return Call("GET", api("/paper-types"), parse_as(list[PaperType]), idempotent=True)


def _procedures() -> Call[list[Procedure]]:
    return Call("GET", api("/procedures"), parse_as(list[Procedure]), idempotent=True)


def _procedure(code: str) -> Call[Procedure]:
    return Call("GET", api(f"/procedures/{segment(code)}"), parse_as(Procedure), idempotent=True)


def _put(procedure: Procedure) -> Call[Procedure]:
    body = procedure.model_dump(mode="json")
    path = api(f"/procedures/{segment(procedure.code)}")
    return Call("PUT", path, parse_as(Procedure), json=body, idempotent=True)


class Catalogue(SyncResource):
    def paper_types(self) -> list[PaperType]:
        """Every paper type the vault knows (code, Vietnamese and English names, default
        validity)."""
        return self._client.execute(_paper_types())

    def procedures(self) -> list[Procedure]:
        """Every procedure in the catalogue, with the paper types each needs."""
        return self._client.execute(_procedures())

    def procedure(self, code: str) -> Procedure:
        """One procedure by its national code (e.g. "1.001193"); NotFoundError if absent."""
        return self._client.execute(_procedure(code))

    def put_procedure(self, procedure: Procedure) -> Procedure:
        """Adds or replaces a procedure (administrators only)."""
        return self._client.execute(_put(procedure))


class AsyncCatalogue(AsyncResource):
    async def paper_types(self) -> list[PaperType]:
        """Every paper type the vault knows (code, Vietnamese and English names, default
        validity)."""
        return await self._client.execute(_paper_types())

    async def procedures(self) -> list[Procedure]:
        """Every procedure in the catalogue, with the paper types each needs."""
        return await self._client.execute(_procedures())

    async def procedure(self, code: str) -> Procedure:
        """One procedure by its national code (e.g. "1.001193"); NotFoundError if absent."""
        return await self._client.execute(_procedure(code))

    async def put_procedure(self, procedure: Procedure) -> Procedure:
        """Adds or replaces a procedure (administrators only)."""
        return await self._client.execute(_put(procedure))
