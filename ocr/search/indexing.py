"""Indexing: each document is one row of lexemes, made from its title, reference number and
the text of every page. A word gives its folded form ("đường" → "duong", `ocr.folding.fold`)
and, when it has diacritics, its exact form too; a document number ("15/QĐ-UBND") stays one
word, and also gives its parts and runs of parts ("15", "qđ", "ubnd", "qđ-ubnd"), so a part
alone still finds it. Folding happens here, once, for both backends.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ocr.db import IndexEntry, SearchIndexRepository, TextRepository
from ocr.folding import fold, tokenize
from vault.domain import Document
from vault.jobs import OCR_KIND, JobSubject
from vault.progress import Progress, no_progress
from vault.services import jobs as jobs_service

if TYPE_CHECKING:
    from vault.services import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# No word of a real paper is longer; longer "words" are OCR noise (a row of dots, a scratch).
MAX_LEXEME_CHARS = 60
# A bound on one document's entry: PostgreSQL's tsvector holds at most 1 MB, and a
# Vietnamese character takes up to 3 bytes.
MAX_LEXEMES_CHARS = 200_000
# Runs of parts are indexed for document numbers of up to this many parts.
MAX_COMPOUND_PARTS = 6

PART = re.compile(r"[^/.\-]+")


def pieces_of(token: str) -> list[tuple[str, int, int]]:
    """The token, then (for a document number) every run of two or more of its parts,
    longest first, then its parts; each with its [start, end) in the token.
    "123/2024/tp-ks" → itself, "123/2024/tp", "2024/tp-ks", "123/2024", "2024/tp",
    "tp-ks", "123", "2024", "tp", "ks"."""
    pieces = [(token, 0, len(token))]
    if PART.fullmatch(token):
        return pieces  # a plain word, the common case
    parts = [(m.start(), m.end()) for m in PART.finditer(token)]
    if len(parts) <= MAX_COMPOUND_PARTS:
        for size in range(len(parts) - 1, 1, -1):
            for first in range(len(parts) - size + 1):
                start, end = parts[first][0], parts[first + size - 1][1]
                pieces.append((token[start:end], start, end))
    pieces.extend((token[a:b], a, b) for a, b in parts)
    return pieces


def lexemes_of(texts: Iterable[str]) -> str:
    """The space-separated lexemes of these texts, each once: folded forms, and exact forms
    where they differ (diacritics kept, lower case)."""
    seen: dict[str, None] = {}
    size = 0
    for text in texts:
        for token in tokenize(text, folded=False):
            for piece, _, _ in pieces_of(token):
                if len(piece) > MAX_LEXEME_CHARS:
                    continue
                for form in (fold(piece), piece):
                    if form not in seen:
                        seen[form] = None
                        size += len(form) + 1
            if size > MAX_LEXEMES_CHARS:
                log.warning("a document's lexemes are cut at %d characters", MAX_LEXEMES_CHARS)
                return " ".join(seen)
    return " ".join(seen)


def metadata_texts(document: Document) -> list[str]:
    return [document.title, document.reference_number or ""]


def index_entry(document: Document, page_texts: Sequence[str]) -> IndexEntry:
    return IndexEntry(
        document_id=document.id,
        owner_id=document.owner_id,
        paper_type=document.paper_type,
        # Only a verified issuer opens a paper to its agency (a scan's stated one does not).
        issuer_agency_code=document.verified_issuer,
        issue_date=document.issue_date,
        lexemes=lexemes_of([*metadata_texts(document), *page_texts]),
    )


def index_document(uow: UnitOfWork, document: Document, page_texts: Sequence[str]) -> None:
    """Puts the document in the search index (replacing its entry), in this transaction."""
    uow.repository(SearchIndexRepository).put(index_entry(document, page_texts))


def is_indexed(uow: UnitOfWork, document_id: uuid.UUID) -> bool:
    return uow.repository(SearchIndexRepository).is_indexed(document_id)


@dataclass(frozen=True, slots=True)
class ReindexReport:
    documents: int  # indexed
    ocr_enqueued: int  # documents never OCR'd (stored before OCR existed) now queued


def reindex(
    uows: UnitOfWorkFactory,
    *,
    batch: int = 200,
    enqueue_missing_ocr: bool = False,
    progress: Progress = no_progress,
) -> ReindexReport:
    """Rebuilds the index from the stored documents and their extracted text, a batch per
    transaction (searches keep working meanwhile). With `enqueue_missing_ocr`, documents
    that have neither text nor an OCR job (stored before OCR existed) get one. `progress`
    hears the documents done after each batch, against the count taken at the start."""
    done = enqueued = 0
    after: uuid.UUID | None = None
    with uows() as uow:
        total = uow.repository(SearchIndexRepository).count_documents()
    progress(0, total)
    while True:
        with uows() as uow:
            index = uow.repository(SearchIndexRepository)
            documents = index.documents_after(after, batch)
            if not documents:
                break
            ids = [d.id for d in documents]
            texts = uow.repository(TextRepository).page_texts(ids)
            for document in documents:
                index_document(uow, document, texts[document.id])
            if enqueue_missing_ocr:
                extracted = uow.repository(TextRepository).extracted(ids)
                jobs = jobs_service.latest_for(uow, ids, OCR_KIND)
                for document_id in ids:
                    if document_id not in extracted and document_id not in jobs:
                        jobs_service.enqueue(
                            uow, OCR_KIND, subject=JobSubject.document(document_id)
                        )
                        enqueued += 1
            uow.commit()
        done += len(documents)
        after = documents[-1].id
        # Documents stored during the run are walked too: the total grows with them.
        progress(done, max(total, done))
    with uows() as uow:
        uow.repository(SearchIndexRepository).optimise()
        uow.commit()
    return ReindexReport(done, enqueued)
