"""OCR's record of a document's text: the extracted pages and the suggestions read from
them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ocr.db.models import ExtractedPageRow, ExtractedTextRow, SuggestionRow
from vault.texts import ExtractedPage, ExtractedText, PageSource, Suggestion, SuggestionKind


class TextRepository:
    """Extracted text and suggestions of documents."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def save_extraction(
        self, document_id: uuid.UUID, pages: Sequence[ExtractedPage], confidence: float
    ) -> None:
        """Replaces whatever was extracted from the document before."""
        self._s.execute(delete(ExtractedPageRow).where(ExtractedPageRow.document_id == document_id))
        self._s.execute(delete(ExtractedTextRow).where(ExtractedTextRow.document_id == document_id))
        self._s.execute(
            insert(ExtractedTextRow),
            [{"document_id": document_id, "page_count": len(pages), "confidence": confidence}],
        )
        if pages:
            self._s.execute(
                insert(ExtractedPageRow),
                [
                    {
                        "document_id": document_id,
                        "page_number": p.number,
                        "text": p.text,
                        "confidence": p.confidence,
                        "source": p.source.value,
                    }
                    for p in pages
                ],
            )

    def extraction(self, document_id: uuid.UUID) -> ExtractedText | None:
        row = self._s.get(ExtractedTextRow, document_id)
        if row is None:
            return None
        return ExtractedText(row.document_id, row.page_count, row.confidence, row.extracted_at)

    def pages(
        self, document_id: uuid.UUID, *, first: int = 1, count: int | None = None
    ) -> list[ExtractedPage]:
        q = (
            select(ExtractedPageRow)
            .where(ExtractedPageRow.document_id == document_id)
            .where(ExtractedPageRow.page_number >= first)
            .order_by(ExtractedPageRow.page_number)
        )
        if count is not None:
            q = q.limit(count)
        return [
            ExtractedPage(r.page_number, r.text, r.confidence, PageSource(r.source))
            for r in self._s.scalars(q)
        ]

    def first_pages(
        self, document_ids: Sequence[uuid.UUID], count: int
    ) -> dict[uuid.UUID, list[ExtractedPage]]:
        """The first `count` pages of each of these documents (one query)."""
        out: dict[uuid.UUID, list[ExtractedPage]] = {d: [] for d in document_ids}
        if not document_ids:
            return out
        rows = self._s.scalars(
            select(ExtractedPageRow)
            .where(
                ExtractedPageRow.document_id.in_(document_ids),
                ExtractedPageRow.page_number <= count,
            )
            .order_by(ExtractedPageRow.document_id, ExtractedPageRow.page_number)
        )
        for r in rows:
            out[r.document_id].append(
                ExtractedPage(r.page_number, r.text, r.confidence, PageSource(r.source))
            )
        return out

    def extracted(self, document_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these documents have had their text extracted."""
        if not document_ids:
            return set()
        return set(
            self._s.scalars(
                select(ExtractedTextRow.document_id).where(
                    ExtractedTextRow.document_id.in_(document_ids)
                )
            )
        )

    def page_texts(self, document_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        """The text of every page of these documents, in page order."""
        out: dict[uuid.UUID, list[str]] = {d: [] for d in document_ids}
        if not document_ids:
            return out
        rows = self._s.execute(
            select(ExtractedPageRow.document_id, ExtractedPageRow.text)
            .where(ExtractedPageRow.document_id.in_(document_ids))
            .order_by(ExtractedPageRow.document_id, ExtractedPageRow.page_number)
        )
        for document_id, page_text in rows:
            out[document_id].append(page_text)
        return out

    def replace_suggestions(
        self, document_id: uuid.UUID, suggestions: Sequence[Suggestion]
    ) -> None:
        self._s.execute(delete(SuggestionRow).where(SuggestionRow.document_id == document_id))
        if suggestions:
            self._s.execute(
                insert(SuggestionRow),
                [
                    {
                        "document_id": document_id,
                        "kind": s.kind.value,
                        "name": s.name[:64],
                        "value": s.value[:500],
                        "confidence": s.confidence,
                        "evidence": s.evidence[:500],
                    }
                    for s in suggestions
                ],
            )

    def suggestions(self, document_id: uuid.UUID) -> list[Suggestion]:
        rows = self._s.scalars(
            select(SuggestionRow)
            .where(SuggestionRow.document_id == document_id)
            .order_by(SuggestionRow.id)
        )
        return [
            Suggestion(SuggestionKind(r.kind), r.name, r.value, r.confidence, r.evidence)
            for r in rows
        ]
