"""The owner's access log: who looked at their papers, when, and for which dossier."""

from __future__ import annotations

from vault_client._request import Call, api, parse_as
from vault_client.pagination import AsyncCursorPage, AsyncPaginator, CursorPage, WirePage
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.consents import AccessRecord


def _page(limit: int | None, cursor: str | None) -> Call[WirePage[AccessRecord]]:
    params: dict[str, str | int | bool] = {}
    if limit is not None:
        params["limit"] = limit
    if cursor is not None:
        params["cursor"] = cursor
    return Call(
        "GET",
        api("/me/access-log"),
        parse_as(WirePage[AccessRecord]),
        params=params,
        idempotent=True,
    )


class AccessLog(SyncResource):
    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> CursorPage[AccessRecord]:
        """Accesses to the signed-in owner's papers, newest first (reads, downloads, and
        denied attempts), with the officer, agency, dossier and purpose. The first page;
        iterate it for all. For an owner's token only."""

        def fetch(at: str | None) -> CursorPage[AccessRecord]:
            return CursorPage(self._client.execute(_page(limit, at)), fetch)

        return fetch(cursor)


class AsyncAccessLog(AsyncResource):
    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[AccessRecord]:
        """Accesses to the signed-in owner's papers, newest first (reads, downloads, and
        denied attempts), with the officer, agency, dossier and purpose. Await for the
        first page, or `async for` over it for all. For an owner's token only."""

        async def fetch(at: str | None) -> AsyncCursorPage[AccessRecord]:
            return AsyncCursorPage(await self._client.execute(_page(limit, at)), fetch)

        return AsyncPaginator(lambda: fetch(cursor))
