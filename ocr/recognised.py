"""What OCR recognised in a document: its status, its text, the suggestions read from it and
the searchable copy. Recorded by the worker (`save_recognised`); read under the same access
rules as the document itself, and audited (`OcrResults`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from ocr.db import TextRepository
from vault.access import AccessPolicy
from vault.auth import Actor
from vault.domain import Document
from vault.errors import NotFound
from vault.jobs import OCR_KIND, Job, JobStatus
from vault.services import jobs as jobs_service
from vault.services import lookups
from vault.services.derived_files import DerivedFileService
from vault.texts import DerivedFile, DerivedKind, ExtractedPage, ExtractedText, Suggestion

if TYPE_CHECKING:
    from vault.services import UnitOfWork


class OcrStatus(StrEnum):
    NONE = "none"  # stored before OCR existed, and never reindexed with it
    PENDING = "pending"  # waiting for a worker, or for its next attempt
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # parked: see `error`


@dataclass(frozen=True, slots=True)
class OcrState:
    status: OcrStatus
    attempts: int = 0
    error: str | None = None  # the last attempt's error, for a failed or retried job
    updated_at: datetime | None = None


def _state(job: Job | None) -> OcrState:
    if job is None:
        return OcrState(OcrStatus.NONE)
    status = {
        JobStatus.PENDING: OcrStatus.PENDING,
        JobStatus.RUNNING: OcrStatus.RUNNING,
        JobStatus.DONE: OcrStatus.DONE,
        JobStatus.FAILED: OcrStatus.FAILED,
        JobStatus.CANCELLED: OcrStatus.FAILED,  # stopped on request: no text either
    }[job.status]
    return OcrState(status, job.attempts, job.last_error, job.updated_at)


def ocr_states(uow: UnitOfWork, document_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OcrState]:
    """The OCR state of documents the caller has already been allowed to see (one query),
    e.g. for the `ocr_status` of document listings."""
    latest = jobs_service.latest_for(uow, document_ids, OCR_KIND)
    return {d: _state(latest.get(d)) for d in document_ids}


def save_recognised(
    uow: UnitOfWork,
    document_id: uuid.UUID,
    pages: Sequence[ExtractedPage],
    confidence: float,
    suggestions: Sequence[Suggestion],
) -> None:
    """Records the document's text and suggestions, replacing what an earlier run recorded.
    Suggestions only: the document's own metadata is left as the officer gave it."""
    texts = uow.repository(TextRepository)
    texts.save_extraction(document_id, pages, confidence)
    texts.replace_suggestions(document_id, suggestions)


@dataclass(frozen=True, slots=True)
class OcrReport:
    document_id: uuid.UUID
    state: OcrState
    text: ExtractedText | None
    pages: tuple[tuple[int, float], ...]  # (page number, confidence)
    suggestions: tuple[Suggestion, ...]
    searchable_copy: DerivedFile | None


@dataclass(frozen=True, slots=True)
class DocumentText:
    document_id: uuid.UUID
    text: ExtractedText
    pages: tuple[ExtractedPage, ...]


class OcrResults:
    def __init__(self, access: AccessPolicy, derived: DerivedFileService) -> None:
        self._access = access
        self._derived = derived

    def _document(
        self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID, action: str
    ) -> Document:
        document = lookups.document(uow, document_id)
        if document is None:
            raise NotFound("no such document")
        self._access.check_document(uow, actor, document, action)
        return document

    def report(self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID) -> OcrReport:
        """Status, confidence per page, suggestions: what an officer checks the metadata
        against. Suggestions are never applied to the document by the vault itself."""
        document = self._document(uow, actor, document_id, "document.ocr")
        texts = uow.repository(TextRepository)
        pages = texts.pages(document.id)
        return OcrReport(
            document_id=document.id,
            state=ocr_states(uow, [document.id])[document.id],
            text=texts.extraction(document.id),
            pages=tuple((p.number, p.confidence) for p in pages),
            suggestions=tuple(texts.suggestions(document.id)),
            searchable_copy=self._derived.find(uow, document.id, DerivedKind.SEARCHABLE_PDF),
        )

    def text(self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID) -> DocumentText:
        document = self._document(uow, actor, document_id, "document.text")
        texts = uow.repository(TextRepository)
        extracted = texts.extraction(document.id)
        if extracted is None:
            state = ocr_states(uow, [document.id])[document.id]
            raise NotFound(f"no text has been extracted from this document (OCR: {state.status})")
        return DocumentText(document.id, extracted, tuple(texts.pages(document.id)))

    def searchable_copy(
        self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID
    ) -> tuple[DerivedFile, Iterator[bytes]]:
        """The searchable PDF, streamed. The first bytes are fetched before returning, so a
        missing object fails here rather than halfway through a response."""
        document = self._document(uow, actor, document_id, "document.searchable_copy")
        derived = self._derived.find(uow, document.id, DerivedKind.SEARCHABLE_PDF)
        if derived is None:
            raise NotFound(
                "this document has no searchable copy (OCR has not run, or every page "
                "already had its own text)"
            )
        chunks = self._derived.read(uow, derived)
        first = next(chunks, b"")

        def stream() -> Iterator[bytes]:
            if first:
                yield first
            yield from chunks

        return derived, stream()
