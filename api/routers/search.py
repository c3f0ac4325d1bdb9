"""Search, and what OCR made of a document: status, text, suggestions, searchable copy."""

from __future__ import annotations

import html
import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import ActorDep, CredentialsDep, UowDep, VaultDep, read_in_one_hop
from api.schemas import DocumentOut, PageOut
from ocr.recognised import OcrResults, OcrState, OcrStatus
from ocr.search import MatchKind, SearchFilters, SearchService, Snippet
from vault.auth import Actor
from vault.services import UnitOfWork
from vault.services.derived_files import DerivedFileService
from vault.texts import PageSource, SuggestionKind

router = APIRouter(tags=["search"])


class SnippetOut(BaseModel):
    text: str = Field(description="From the original text, diacritics as written")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets in `text` of the matched words"
    )
    html: str = Field(description="`text`, HTML-escaped, matched words in <mark>")

    @classmethod
    def of(cls, s: Snippet) -> SnippetOut:
        parts, at = [], 0
        for start, end in s.highlights:
            parts.append(html.escape(s.text[at:start]))
            parts.append(f"<mark>{html.escape(s.text[start:end])}</mark>")
            at = end
        parts.append(html.escape(s.text[at:]))
        return cls(text=s.text, highlights=list(s.highlights), html="".join(parts))


class SearchHitOut(BaseModel):
    document: DocumentOut
    match: MatchKind = Field(
        description="`exact`: every word found as typed, diacritics included; `folded`: "
        "found only without diacritics. Exact matches come first."
    )
    page: int | None = Field(description="Page of the snippet; null when it is the title")
    snippet: SnippetOut


def _results(vault: VaultDep) -> OcrResults:
    return OcrResults(vault.access, DerivedFileService(vault.keyring))


@router.get(
    "/search",
    summary="Search the papers you may see (diacritics-insensitive; exact spelling first)",
    description=(
        "Every word must be in the paper (its text, title or number), with or without its "
        "diacritics: `nguyen thi huong` finds “Nguyễn Thị Hương”, `dong nai` finds “Đồng "
        "Nai”. A query with diacritics lists the papers that have the words spelt as typed "
        "first. Document numbers such as `15/QĐ-UBND` are found as typed. Newest first "
        "within each group. Only papers open to you are searched; every search is audited "
        "(the query text itself is not recorded)."
    ),
    response_model=PageOut[SearchHitOut],
)
async def search(
    vault: VaultDep,
    credentials: CredentialsDep,
    q: Annotated[str, Query(min_length=1, max_length=200, examples=["nguyen thi huong"])],
    owner_id: uuid.UUID | None = None,
    paper_type: Annotated[str | None, Query(max_length=64)] = None,
    issued_from: Annotated[
        date | None, Query(alias="from", description="Issue date on or after")
    ] = None,
    issued_to: Annotated[date | None, Query(alias="to", description="Issue date on or before")] = (
        None
    ),
    include_superseded: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    filters = SearchFilters(owner_id, paper_type, issued_from, issued_to, include_superseded)

    def read(uow: UnitOfWork, actor: Actor) -> PageOut[SearchHitOut]:
        service = SearchService(vault.access)
        page = service.search(uow, actor, q, filters, cursor=cursor, limit=limit)
        return PageOut[SearchHitOut](
            items=[
                SearchHitOut(
                    document=DocumentOut.of(h.document),
                    match=h.match,
                    page=h.page,
                    snippet=SnippetOut.of(h.snippet),
                )
                for h in page.items
            ],
            next_cursor=page.next_cursor,
        )

    return await read_in_one_hop(vault, credentials, read)


class OcrStateOut(BaseModel):
    status: OcrStatus
    attempts: int
    error: str | None = Field(description="The last attempt's error (failed or retried jobs)")
    updated_at: datetime | None

    @classmethod
    def of(cls, s: OcrState) -> OcrStateOut:
        return cls(status=s.status, attempts=s.attempts, error=s.error, updated_at=s.updated_at)


class PageConfidenceOut(BaseModel):
    number: int
    confidence: float


class SuggestionOut(BaseModel):
    kind: SuggestionKind
    name: str
    value: str
    confidence: float
    evidence: str


class OcrOut(BaseModel):
    document_id: uuid.UUID
    state: OcrStateOut
    confidence: float | None = Field(description="Mean over the pages; null before OCR")
    pages: list[PageConfidenceOut]
    suggestions: list[SuggestionOut] = Field(
        description="Paper type and key fields read from the text: suggestions for the "
        "officer, never applied to the document's metadata"
    )
    searchable_copy: bool = Field(description="Whether GET .../searchable-copy has a file")


@router.get("/documents/{document_id}/ocr", summary="OCR status, confidence and suggestions")
def get_ocr(document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep) -> OcrOut:
    report = _results(vault).report(uow, actor, document_id)
    return OcrOut(
        document_id=report.document_id,
        state=OcrStateOut.of(report.state),
        confidence=report.text.confidence if report.text else None,
        pages=[PageConfidenceOut(number=n, confidence=c) for n, c in report.pages],
        suggestions=[
            SuggestionOut(
                kind=s.kind,
                name=s.name,
                value=s.value,
                confidence=s.confidence,
                evidence=s.evidence,
            )
            for s in report.suggestions
        ],
        searchable_copy=report.searchable_copy is not None,
    )


class PageTextOut(BaseModel):
    number: int
    text: str
    confidence: float
    source: PageSource


class DocumentTextOut(BaseModel):
    document_id: uuid.UUID
    confidence: float
    extracted_at: datetime
    pages: list[PageTextOut]


@router.get(
    "/documents/{document_id}/text",
    summary="The recognised text, page by page (404 until OCR is done)",
)
def get_text(
    document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DocumentTextOut:
    found = _results(vault).text(uow, actor, document_id)
    return DocumentTextOut(
        document_id=found.document_id,
        confidence=found.text.confidence,
        extracted_at=found.text.extracted_at,
        pages=[
            PageTextOut(number=p.number, text=p.text, confidence=p.confidence, source=p.source)
            for p in found.pages
        ],
    )


@router.get(
    "/documents/{document_id}/searchable-copy",
    summary="The searchable PDF made by OCR (the original pages under an invisible text "
    "layer); the original is unchanged at .../content",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_searchable_copy(
    document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> StreamingResponse:
    derived, chunks = _results(vault).searchable_copy(uow, actor, document_id)
    return StreamingResponse(
        chunks,
        media_type="application/pdf",
        headers={
            "Content-Length": str(derived.blob.size),
            "Content-Disposition": f'attachment; filename="{document_id}-searchable.pdf"',
            "ETag": f'"{derived.blob.sha256}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
