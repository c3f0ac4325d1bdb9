"""Search (tìm kiếm) across what the officer may see, the owner's access log (nhật ký truy
cập), and the agency's 766 digitisation indicators with a chart drawn on the server."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from markupsafe import Markup

from api.console.owners import document_rows
from api.console.web import PREFIX, ActorDep, ConsoleRoute, CsrfDep, lang_of, render
from api.deps import UowDep, VaultDep
from ocr.search import SearchFilters, SearchService, Snippet
from vault.errors import InvalidInput, PermissionDenied
from vault.services.dossiers import VIETNAM

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

SEARCH_PAGE_SIZE = 20


def highlighted(snippet: Snippet) -> Markup:
    """The snippet escaped, the matched words in <mark>: built here so the template never
    marks user-controlled text safe."""
    parts, at = [], 0
    for start, end in snippet.highlights:
        parts.append(html.escape(snippet.text[at:start]))
        parts.append(f"<mark>{html.escape(snippet.text[start:end])}</mark>")
        at = end
    parts.append(html.escape(snippet.text[at:]))
    return Markup("".join(parts))  # noqa: S704 - every piece is escaped above


@router.get("/search")
def search_page(request: Request, actor: ActorDep) -> Response:
    """The empty form. A query is never read from the URL: what officers search for is
    often a name or an identification number, which must stay out of addresses, the
    browser's history and logs (a `?q=` of an old bookmark is ignored)."""
    return render(request, "search.html", {"q": "", "hits": [], "next_cursor": None})


@router.post("/search")
def search(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    q: Annotated[str, Form(max_length=200)] = "",
    cursor: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """The results, in the answer to the form's POST (the query travels in the body only);
    the next page is another POST carrying the query and the cursor."""
    q = q.strip()
    cursor = cursor or None
    hits: list[dict[str, Any]] = []
    next_cursor = None
    if q:
        page = SearchService(vault.access).search(
            uow, actor, q, SearchFilters(), cursor=cursor, limit=SEARCH_PAGE_SIZE
        )
        rows = document_rows(vault, uow, [h.document for h in page.items], lang_of(request))
        hits = [
            {"hit": h, "row": row, "snippet": highlighted(h.snippet)}
            for h, row in zip(page.items, rows, strict=True)
        ]
        next_cursor = page.next_cursor
    return render(request, "search.html", {"q": q, "hits": hits, "next_cursor": next_cursor})


@router.get("/access-log")
def access_log(
    request: Request,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    cursor: str | None = None,
) -> Response:
    page = vault.access_log.for_owner(uow, actor, cursor=cursor, limit=50)
    return render(
        request, "access_log.html", {"records": page.items, "next_cursor": page.next_cursor}
    )


_CHART_WIDTH = 640
_BAR_AREA = 420  # pixels for 100 %
_LABEL_WIDTH = 120
_ROW_HEIGHT = 36


def chart(indicators: list[Any]) -> list[dict[str, Any]]:
    """Bar geometry for the SVG (attributes only: the CSP forbids inline styles)."""
    bars = []
    for i, ind in enumerate(indicators):
        percent = ind.percent or 0.0
        bars.append(
            {
                "code": ind.code,
                "y": 10 + i * _ROW_HEIGHT,
                "x": _LABEL_WIDTH,
                "width": round(_BAR_AREA * percent / 100, 1),
                "label_x": _LABEL_WIDTH + round(_BAR_AREA * percent / 100, 1) + 6,
                "percent": ind.percent,
            }
        )
    return bars


@router.get("/indicators")
def indicators(
    request: Request,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    month: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    agency = actor.agency_code
    if agency is None:
        raise PermissionDenied("the indicators are an agency's")
    month = month or datetime.now(UTC).astimezone(VIETNAM).strftime("%Y-%m")
    try:
        result = vault.indicators.monthly(uow, actor, agency, month)
    except InvalidInput:
        month = datetime.now(UTC).astimezone(VIETNAM).strftime("%Y-%m")
        result = vault.indicators.monthly(uow, actor, agency, month)
    return render(
        request,
        "indicators.html",
        {
            "result": result,
            "month": month,
            "bars": chart(list(result.indicators)),
            "chart": {
                "width": _CHART_WIDTH,
                "height": 20 + _ROW_HEIGHT * len(result.indicators),
                "area": _BAR_AREA,
                "label_width": _LABEL_WIDTH,
            },
            "agency_name": uow.accounts.agency_name(agency) or agency,
        },
    )
