"""Search (tìm kiếm) across what the officer may see, the owner's access log (nhật ký truy
cập), and the agency's 766 digitisation indicators with a chart drawn on the server."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from markupsafe import Markup

from api.console.owners import document_rows
from api.console.web import (
    PREFIX,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    fmt_month,
    fmt_number,
    lang_of,
    render,
    require_officer,
    t_for,
)
from api.deps import UowDep, VaultDep
from ocr.search import SearchFilters, SearchService, Snippet
from vault.errors import InvalidInput, PermissionDenied
from vault.services.access_log import AccessRecord
from vault.services.dossiers import VIETNAM
from vault.services.indicator_details import breakdown

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
    require_officer(actor)
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


# The grants' purposes (vault.access, ocr.search, signing.issuing.certification), as the audit log
# records them, read back in words.
_DOSSIER_PURPOSE = re.compile(r"dossier (\S+) \(procedure (\S+)\)")
_SCAN_PAGES = 10  # filtering looks through at most this many pages of the log per screen
_LOG_PAGE = 100


def purpose_words(
    t: Any, purpose: str | None, agencies: dict[str, str], procedures: dict[str, str]
) -> str:
    """One grant purpose (or several, `; `-joined, from a search) in the reader's words."""
    if not purpose:
        return "—"
    parts = []
    for part in purpose.split("; "):
        if m := _DOSSIER_PURPOSE.fullmatch(part):
            code, procedure = m[1], m[2]
            name = procedures.get(procedure, "")
            parts.append(t("purpose.dossier", code=code, procedure=f"{procedure} {name}".strip()))
        elif part == "the owner's own warehouse":
            parts.append(t("purpose.owner"))
        elif part.startswith("issued by "):
            agency = part.removeprefix("issued by ")
            parts.append(t("purpose.issued_by", agency=agencies.get(agency, agency)))
        elif part.startswith("consent: "):
            parts.append(t("purpose.consent", text=part.removeprefix("consent: ")))
        elif part.startswith("public verification"):
            parts.append(t("purpose.public_verification"))
        else:
            parts.append(t("purpose.other", text=part))
    return "; ".join(parts)


def _vn_day(at: datetime) -> date:
    return at.astimezone(VIETNAM).date()


def _optional_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None  # a hand-edited address: the filter is simply not applied


@router.get("/access-log")
def access_log(
    request: Request,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
    agency: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The owner's log in words: what was done, to which paper (its title), by whom, for
    which dossier and procedure; a run of searches by the same officer on one day is one row.
    Filters (dates, agency) travel in the address: they hold nothing personal."""
    t = t_for(request)
    first, last = _optional_day(since), _optional_day(until)
    records: list[AccessRecord] = []
    seen_agencies: dict[str, str] = {}
    next_cursor = cursor
    for _ in range(_SCAN_PAGES):
        page = vault.access_log.for_owner(uow, actor, cursor=next_cursor, limit=_LOG_PAGE)
        for r in page.items:
            if r.agency_code:
                seen_agencies[r.agency_code] = r.agency_name or r.agency_code
            day = _vn_day(r.at)
            if (first and day < first) or (last and day > last):
                continue
            if agency and r.agency_code != agency:
                continue
            records.append(r)
        next_cursor = page.next_cursor
        if next_cursor is None or len(records) >= 50:
            break
        if first and page.items and _vn_day(page.items[-1].at) < first:
            next_cursor = None  # newest first: everything further is older than the filter
            break
    procedures = {p.code: p.name_vi for p in vault.catalogue.procedures(uow)}
    titles = vault.access_log.paper_titles(uow, actor, records)
    rows: list[dict[str, Any]] = []
    for r in records:
        paper = titles.get(r.document_id) if r.document_id else None
        purpose = purpose_words(t, r.purpose, seen_agencies, procedures)
        # A run of the same thing by the same person on one day is one row: searches (each
        # shows other papers), and the reads a page makes every time it is opened.
        key = (r.action, r.who, r.agency_code, r.outcome, r.dossier_code, purpose)
        previous = rows[-1] if rows else None
        if (
            previous is not None
            and previous["key"] == key
            and _vn_day(previous["first_at"]) == _vn_day(r.at)
            and (r.action == "search.result" or previous["papers"] == ([paper] if paper else []))
        ):
            previous["count"] += 1
            previous["first_at"] = r.at
            if paper and paper not in previous["papers"]:
                previous["papers"].append(paper)
            continue
        rows.append(
            {
                "key": key,
                "at": r.at,
                "first_at": r.at,
                "count": 1,
                "who": r.who,
                "agency_code": r.agency_code,
                "agency_name": r.agency_name,
                "action": r.action,
                "outcome": r.outcome,
                "papers": [paper] if paper else [],
                "dossier_code": r.dossier_code,
                "procedure": (
                    f"{r.procedure_code} — {procedures.get(r.procedure_code, '')}".rstrip(" —")
                    if r.procedure_code
                    else None
                ),
                "purpose": purpose,
            }
        )
    more = None
    if next_cursor is not None:
        query = {"cursor": next_cursor, "from": since, "to": until, "agency": agency}
        more = "/console/access-log?" + urlencode({k: v for k, v in query.items() if v})
    return render(
        request,
        "access_log.html",
        {
            "rows": rows,
            "more": more,
            "agencies": sorted(seen_agencies.items(), key=lambda kv: kv[1]),
            "filters": {"from": since, "to": until, "agency": agency},
        },
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
    lang = lang_of(request)
    details = {b.code: b for b in breakdown(uow, actor, agency, month)}
    return render(
        request,
        "indicators.html",
        {
            "result": result,
            "details": details,
            "month": month,
            "month_label": fmt_month(month, lang),
            "percent": lambda value: (
                f"{fmt_number(value, 1, lang)} %" if value is not None else "—"
            ),
            "bars": chart(list(result.indicators)),
            "chart": {
                "width": _CHART_WIDTH,
                "height": 20 + _ROW_HEIGHT * len(result.indicators),
                "area": _BAR_AREA,
                "label_width": _LABEL_WIDTH,
            },
            "agency_name": vault.catalogue.agency_name(uow, agency) or agency,
        },
    )
