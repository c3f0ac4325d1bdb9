"""Search hits, and what OCR made of a document: its status, text and suggestions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from vault_client.types._base import VaultModel
from vault_client.types.documents import Document


class MatchKind(StrEnum):
    EXACT = "exact"  # every word as typed, diacritics included
    FOLDED = "folded"  # some word found only without its diacritics


class Snippet(VaultModel):
    """Where the words were found, from the original text (diacritics as written)."""

    text: str
    # [start, end) character offsets in `text` of the matched words.
    highlights: list[tuple[int, int]]
    html: str  # `text`, HTML-escaped, the matched words in <mark>


class SearchHit(VaultModel):
    """A paper the caller may see that has every word searched for."""

    document: Document
    match: MatchKind
    page: int | None  # the snippet's page; None when the snippet is the title
    snippet: Snippet


class OcrStatus(StrEnum):
    NONE = "none"  # stored before OCR existed, and never reindexed
    PENDING = "pending"  # waiting for a worker, or for its next attempt
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # given up: see `error`


class OcrState(VaultModel):
    status: OcrStatus
    attempts: int
    error: str | None  # the last attempt's error (failed or retried jobs)
    updated_at: datetime | None


class PageConfidence(VaultModel):
    number: int
    confidence: float


class SuggestionKind(StrEnum):
    PAPER_TYPE = "paper_type"  # `name` is the paper type code
    FIELD = "field"  # `name`: full_name, date_of_birth, id_number, reference_number, …
    CERTIFIED_COPY = "certified_copy"  # a page carries a certification statement


class Suggestion(VaultModel):
    """Something read from the text, for the officer to check the metadata against; the
    vault never applies it to the document."""

    kind: SuggestionKind
    name: str
    value: str
    confidence: float
    evidence: str


class OcrReport(VaultModel):
    """A document's OCR: status, confidence (mean and per page) and suggestions."""

    document_id: uuid.UUID
    state: OcrState
    confidence: float | None  # None before OCR
    pages: list[PageConfidence]
    suggestions: list[Suggestion]
    searchable_copy: bool  # whether a searchable PDF copy can be downloaded


class PageSource(StrEnum):
    OCR = "ocr"
    TEXT_LAYER = "text_layer"  # the PDF's own text, read rather than recognised


class PageText(VaultModel):
    number: int
    text: str
    confidence: float
    source: PageSource


class DocumentText(VaultModel):
    """The text extracted from a document, page by page."""

    document_id: uuid.UUID
    confidence: float
    extracted_at: datetime
    pages: list[PageText]

    @property
    def text(self) -> str:
        """Every page's text, pages separated by a form feed."""
        return "\f".join(page.text for page in self.pages)
