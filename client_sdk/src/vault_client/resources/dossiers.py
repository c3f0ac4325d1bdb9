"""Dossiers (hồ sơ TTHC): recording them, their components and results, closing them."""

from __future__ import annotations

import builtins
from datetime import datetime

from vault_client._request import Call, IdLike, api, id_of, parse_as
from vault_client.pagination import AsyncCursorPage, AsyncPaginator, CursorPage, WirePage
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.dossiers import Attachment, Dossier


def _create(
    dossier_code: str,
    procedure_code: str,
    owner: IdLike,
    receiving_agency_code: str | None,
    received_at: datetime | None,
) -> Call[Dossier]:
    if received_at is not None and received_at.tzinfo is None:
        # The vault would refuse it too; saying so here names the argument.
        raise ValueError("received_at needs a time zone (e.g. +07:00)")
    body: dict[str, str] = {
        "dossier_code": dossier_code,
        "procedure_code": procedure_code,
        "owner_id": str(id_of(owner, "owner")),
    }
    if receiving_agency_code is not None:
        body["receiving_agency_code"] = receiving_agency_code
    if received_at is not None:
        body["received_at"] = received_at.isoformat()
    # Idempotent on the dossier code.
    return Call("POST", api("/dossiers"), parse_as(Dossier), json=body, idempotent=True)


def _page(owner: IdLike, limit: int | None, cursor: str | None) -> Call[WirePage[Dossier]]:
    params: dict[str, str | int | bool] = {}
    if limit is not None:
        params["limit"] = limit
    if cursor is not None:
        params["cursor"] = cursor
    path = api(f"/owners/{id_of(owner, 'owner')}/dossiers")
    return Call("GET", path, parse_as(WirePage[Dossier]), params=params, idempotent=True)


def _get(dossier: IdLike) -> Call[Dossier]:
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}")
    return Call("GET", path, parse_as(Dossier), idempotent=True)


def _close(dossier: IdLike) -> Call[Dossier]:
    # Closing a closed dossier answers it unchanged: safe to retry.
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}/close")
    return Call("POST", path, parse_as(Dossier), idempotent=True)


def _mark_returned(dossier: IdLike) -> Call[Dossier]:
    # Returning a returned dossier answers it unchanged: safe to retry.
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}/return")
    return Call("POST", path, parse_as(Dossier), idempotent=True)


def _attachments(dossier: IdLike) -> Call[list[Attachment]]:
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}/documents")
    return Call("GET", path, parse_as(list[Attachment]), idempotent=True)


def _add_result(dossier: IdLike, document: IdLike, result_code: str) -> Call[Attachment]:
    body = {"document_id": str(id_of(document, "document")), "result_code": result_code}
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}/results")
    # Not idempotent: a second attempt after a lost response answers 409 (already attached).
    return Call("POST", path, parse_as(Attachment), json=body)


class Dossiers(SyncResource):
    def create(
        self,
        *,
        dossier_code: str,
        procedure_code: str,
        owner: IdLike,
        receiving_agency_code: str | None = None,
        received_at: datetime | None = None,
    ) -> Dossier:
        """Records a dossier the officer's agency received, or returns the open one already
        recorded under `dossier_code` (`<agency code>-YYMMDD-NNNN`) with `already_recorded`
        set. A closed dossier's code raises ConflictError: a new filing needs a new code.

        `received_at` defaults to now and must fall (in Vietnam time) on the day in the
        code; it needs a time zone. `procedure_code` is the national code (`1.001193`)."""
        return self._client.execute(
            _create(dossier_code, procedure_code, owner, receiving_agency_code, received_at)
        )

    def list(
        self, *, owner: IdLike, limit: int | None = None, cursor: str | None = None
    ) -> CursorPage[Dossier]:
        """The owner's dossiers this caller may see: the first page; iterate it for all."""

        def fetch(at: str | None) -> CursorPage[Dossier]:
            return CursorPage(self._client.execute(_page(owner, limit, at)), fetch)

        return fetch(cursor)

    def get(self, dossier: IdLike) -> Dossier:
        """A dossier by id."""
        return self._client.execute(_get(dossier))

    def close(self, dossier: IdLike) -> Dossier:
        """Ends the dossier; the access to the owner's papers it opened ends with it."""
        return self._client.execute(_close(dossier))

    def mark_returned(self, dossier: IdLike) -> Dossier:
        """Records that the result was handed back (trả kết quả; the portal is told);
        ConflictError before a result is recorded, or once the dossier is closed."""
        return self._client.execute(_mark_returned(dossier))

    def attachments(self, dossier: IdLike) -> builtins.list[Attachment]:
        """The dossier's components and results, with the national sync flags."""
        return self._client.execute(_attachments(dossier))

    def add_result(self, dossier: IdLike, *, document: IdLike, result_code: str) -> Attachment:
        """Records `document` (a paper the officer's agency issued, already stored in the
        owner's warehouse) as the dossier's result, with its national result code
        (`KQ.Gnn.nnnnnn`). ConflictError if it is already attached."""
        return self._client.execute(_add_result(dossier, document, result_code))


class AsyncDossiers(AsyncResource):
    async def create(
        self,
        *,
        dossier_code: str,
        procedure_code: str,
        owner: IdLike,
        receiving_agency_code: str | None = None,
        received_at: datetime | None = None,
    ) -> Dossier:
        """Records a dossier the officer's agency received, or returns the open one already
        recorded under `dossier_code` (`<agency code>-YYMMDD-NNNN`) with `already_recorded`
        set. A closed dossier's code raises ConflictError: a new filing needs a new code.

        `received_at` defaults to now and must fall (in Vietnam time) on the day in the
        code; it needs a time zone. `procedure_code` is the national code (`1.001193`)."""
        return await self._client.execute(
            _create(dossier_code, procedure_code, owner, receiving_agency_code, received_at)
        )

    def list(
        self, *, owner: IdLike, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Dossier]:
        """The owner's dossiers this caller may see: await for the first page, or
        `async for` over it for all."""

        async def fetch(at: str | None) -> AsyncCursorPage[Dossier]:
            return AsyncCursorPage(await self._client.execute(_page(owner, limit, at)), fetch)

        return AsyncPaginator(lambda: fetch(cursor))

    async def get(self, dossier: IdLike) -> Dossier:
        """A dossier by id."""
        return await self._client.execute(_get(dossier))

    async def close(self, dossier: IdLike) -> Dossier:
        """Ends the dossier; the access to the owner's papers it opened ends with it."""
        return await self._client.execute(_close(dossier))

    async def mark_returned(self, dossier: IdLike) -> Dossier:
        """Records that the result was handed back (trả kết quả; the portal is told);
        ConflictError before a result is recorded, or once the dossier is closed."""
        return await self._client.execute(_mark_returned(dossier))

    async def attachments(self, dossier: IdLike) -> builtins.list[Attachment]:
        """The dossier's components and results, with the national sync flags."""
        return await self._client.execute(_attachments(dossier))

    async def add_result(
        self, dossier: IdLike, *, document: IdLike, result_code: str
    ) -> Attachment:
        """Records `document` (a paper the officer's agency issued, already stored in the
        owner's warehouse) as the dossier's result, with its national result code
        (`KQ.Gnn.nnnnnn`). ConflictError if it is already attached."""
        return await self._client.execute(_add_result(dossier, document, result_code))
