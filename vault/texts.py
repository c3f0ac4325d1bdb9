"""What is derived from a stored paper: its text, files made from it, and suggestions.

All of it is derived and rebuildable; the original is never modified. A searchable copy is a
new encrypted blob linked to the document, not a replacement of its content (a signed PDF
keeps every byte). Suggestions stay suggestions: the officer-entered metadata is never
overwritten by them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from vault.domain import Blob


class PageSource(StrEnum):
    OCR = "ocr"
    TEXT_LAYER = "text_layer"  # the PDF's own text


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    number: int  # from 1
    text: str
    confidence: float  # 0..1; 1.0 for a text layer
    source: PageSource


@dataclass(frozen=True, slots=True)
class ExtractedText:
    document_id: uuid.UUID
    page_count: int
    confidence: float  # mean over the pages, weighted by their length
    extracted_at: datetime


class DerivedKind(StrEnum):
    SEARCHABLE_PDF = "searchable_pdf"  # the original pages under an invisible text layer


@dataclass(frozen=True, slots=True)
class DerivedFile:
    id: uuid.UUID
    document_id: uuid.UUID
    kind: DerivedKind
    blob: Blob
    created_at: datetime


class SuggestionKind(StrEnum):
    PAPER_TYPE = "paper_type"  # name: the paper type code
    FIELD = "field"  # name: full_name, date_of_birth, id_number, reference_number, ...
    CERTIFIED_COPY = "certified_copy"  # the page carries a certification statement


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: SuggestionKind
    name: str
    value: str
    confidence: float  # 0..1
    evidence: str  # the text it was read from
