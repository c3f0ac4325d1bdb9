"""Search over the papers the caller may see: every word, with or without diacritics, in
a paper's recognised text, title or number; exact spellings first."""

from __future__ import annotations

from datetime import date

from vault_client._request import Call, IdLike, Params, api, id_of, parse_as
from vault_client.pagination import AsyncCursorPage, AsyncPaginator, CursorPage, WirePage
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.search import SearchHit


def _params(
    query: str,
    owner: IdLike | None,
    paper_type: str | None,
    issued_from: date | None,
    issued_to: date | None,
    include_superseded: bool,
    limit: int | None,
) -> dict[str, str | int | bool]:
    if not query.strip():
        raise ValueError("give at least one word to search for")
    params: dict[str, str | int | bool] = {"q": query}
    if owner is not None:
        params["owner_id"] = str(id_of(owner, "owner"))
    if paper_type is not None:
        params["paper_type"] = paper_type
    if issued_from is not None:
        params["from"] = issued_from.isoformat()
    if issued_to is not None:
        params["to"] = issued_to.isoformat()
    if include_superseded:
        params["include_superseded"] = "true"
    if limit is not None:
        params["limit"] = limit
    return params


def _page(params: Params, cursor: str | None) -> Call[WirePage[SearchHit]]:
    query = dict(params)
    if cursor is not None:
        query["cursor"] = cursor
    # The query text travels in the query string; the vault records searches in its audit
    # log without it.
    return Call("GET", api("/search"), parse_as(WirePage[SearchHit]), params=query, idempotent=True)


class SearchResource(SyncResource):
    def documents(
        self,
        query: str,
        *,
        owner: IdLike | None = None,
        paper_type: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
        include_superseded: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> CursorPage[SearchHit]:
        """The papers this caller may see that have every word of `query` in their text
        (recognised by OCR, or the PDF's own), title or number: `nguyen thi huong` finds
        "Nguyễn Thị Hương", and a number like `15/QĐ-UBND` is found as typed. Papers with
        the words spelt as typed come first (`hit.match`), newest first within each group;
        each hit has its document and a snippet with the words highlighted.

        The first page (of `limit`, default 20, at most 100): iterate it for every hit
        across pages, or page by hand with `next_page()` / `next_cursor`. Filters: `owner`,
        `paper_type`, the issue date between `issued_from` and `issued_to` (inclusive), and
        `include_superseded` (older versions too). Every search is audited."""
        params = _params(
            query, owner, paper_type, issued_from, issued_to, include_superseded, limit
        )

        def fetch(at: str | None) -> CursorPage[SearchHit]:
            return CursorPage(self._client.execute(_page(params, at)), fetch)

        return fetch(cursor)


class AsyncSearchResource(AsyncResource):
    def documents(
        self,
        query: str,
        *,
        owner: IdLike | None = None,
        paper_type: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
        include_superseded: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[SearchHit]:
        """The papers this caller may see that have every word of `query` in their text
        (recognised by OCR, or the PDF's own), title or number: `nguyen thi huong` finds
        "Nguyễn Thị Hương", and a number like `15/QĐ-UBND` is found as typed. Papers with
        the words spelt as typed come first (`hit.match`), newest first within each group;
        each hit has its document and a snippet with the words highlighted.

        Await it for the first page (of `limit`, default 20, at most 100), or `async for`
        over it for every hit across pages. Filters: `owner`, `paper_type`, the issue date
        between `issued_from` and `issued_to` (inclusive), and `include_superseded` (older
        versions too). Every search is audited."""
        params = _params(
            query, owner, paper_type, issued_from, issued_to, include_superseded, limit
        )

        async def fetch(at: str | None) -> AsyncCursorPage[SearchHit]:
            return AsyncCursorPage(await self._client.execute(_page(params, at)), fetch)

        return AsyncPaginator(lambda: fetch(cursor))
