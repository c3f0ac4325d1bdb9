"""Batch import's records: separator sheets, batches, pages, parts, corrections."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ocr.batches.model import (
    Batch,
    BatchStatus,
    FieldValue,
    PageKind,
    PageReading,
    Part,
    PartStatus,
    SheetFields,
)
from ocr.db.batch_models import (
    ImportBatchRow,
    ImportCorrectionRow,
    ImportPageRow,
    ImportPartRow,
    SeparatorSheetRow,
)


def _batch(row: ImportBatchRow) -> Batch:
    return Batch(
        id=row.id,
        file_name=row.file_name,
        media_type=row.media_type,
        sha256=row.sha256,
        size=row.size,
        agency_code=row.agency_code,
        created_by=row.created_by,
        status=BatchStatus(row.status),
        page_count=row.page_count,
        pages_done=row.pages_done,
        part_count=row.part_count,
        error_count=row.error_count,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _part(row: ImportPartRow, text: str = "") -> Part:
    return Part(
        id=row.id,
        batch_id=row.batch_id,
        seq=row.seq,
        pages=tuple(row.pages),
        rotation=row.rotation,
        sheet_ref=row.sheet_ref,
        owner_id=row.owner_id,
        paper_type=row.paper_type,
        suggested_type=row.suggested_type,
        dossier_id=row.dossier_id,
        result_reference=row.result_reference,
        fields=tuple(FieldValue.from_json(f) for f in row.fields),
        problems=tuple(row.problems),
        status=PartStatus(row.status),
        document_id=row.document_id,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        text=text,
    )


class BatchRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- separator sheets ----------------------------------------------------------------

    def add_sheet(self, sheet: SheetFields, printed_by: uuid.UUID) -> None:
        assert sheet.owner_id is not None
        self._s.add(
            SeparatorSheetRow(
                ref=sheet.ref,
                owner_id=sheet.owner_id,
                paper_type=sheet.paper_type,
                dossier_id=sheet.dossier_id,
                result_reference=sheet.result_reference,
                printed_by=printed_by,
            )
        )

    def sheet(self, ref: str) -> SheetFields | None:
        row = self._s.get(SeparatorSheetRow, ref)
        if row is None:
            return None
        return SheetFields(
            row.ref, row.owner_id, row.paper_type, row.dossier_id, row.result_reference
        )

    # -- batches -------------------------------------------------------------------------

    def add_batch(self, row: ImportBatchRow) -> None:
        self._s.add(row)

    def batch(self, batch_id: uuid.UUID) -> Batch | None:
        row = self._s.get(ImportBatchRow, batch_id)
        return _batch(row) if row is not None else None

    def batch_by_hash(self, sha256: str) -> Batch | None:
        row = self._s.scalars(select(ImportBatchRow).where(ImportBatchRow.sha256 == sha256)).first()
        return _batch(row) if row is not None else None

    def stored_file(self, batch_id: uuid.UUID) -> tuple[str, int, str, str, bytes] | None:
        """(object key, size, sha256, key id, wrapped key) of the batch's file."""
        row = self._s.get(ImportBatchRow, batch_id)
        if row is None:
            return None
        return row.object_key, row.size, row.sha256, row.key_id, row.wrapped_key

    def batches(self, agency_code: str, limit: int = 50) -> list[Batch]:
        rows = self._s.scalars(
            select(ImportBatchRow)
            .where(ImportBatchRow.agency_code == agency_code)
            .order_by(ImportBatchRow.created_at.desc())
            .limit(limit)
        )
        return [_batch(r) for r in rows]

    def set_batch(self, batch_id: uuid.UUID, **values: Any) -> None:
        self._s.execute(
            update(ImportBatchRow).where(ImportBatchRow.id == batch_id).values(**values)
        )

    # -- pages ---------------------------------------------------------------------------

    def add_pages(self, batch_id: uuid.UUID, readings: Sequence[PageReading]) -> None:
        if not readings:
            return
        self._s.execute(
            insert(ImportPageRow),
            [
                {
                    "batch_id": batch_id,
                    "number": r.number,
                    "kind": r.kind.value,
                    "sheet": r.sheet,
                    "problem": r.problem,
                    "text": r.text,
                    "confidence": r.confidence,
                }
                for r in readings
            ],
        )

    def pages(self, batch_id: uuid.UUID) -> list[PageReading]:
        rows = self._s.scalars(
            select(ImportPageRow)
            .where(ImportPageRow.batch_id == batch_id)
            .order_by(ImportPageRow.number)
        )
        return [
            PageReading(r.number, PageKind(r.kind), r.sheet, r.problem, r.text, r.confidence)
            for r in rows
        ]

    def page_numbers_read(self, batch_id: uuid.UUID) -> set[int]:
        return set(
            self._s.scalars(select(ImportPageRow.number).where(ImportPageRow.batch_id == batch_id))
        )

    def page_texts(self, batch_id: uuid.UUID, numbers: Sequence[int]) -> dict[int, str]:
        rows = self._s.execute(
            select(ImportPageRow.number, ImportPageRow.text).where(
                ImportPageRow.batch_id == batch_id, ImportPageRow.number.in_(list(numbers))
            )
        )
        return {number: text for number, text in rows}

    # -- parts ---------------------------------------------------------------------------

    def add_part(self, part: Part) -> None:
        self._s.add(
            ImportPartRow(
                id=part.id,
                batch_id=part.batch_id,
                seq=part.seq,
                pages=list(part.pages),
                rotation=part.rotation,
                sheet_ref=part.sheet_ref,
                owner_id=part.owner_id,
                paper_type=part.paper_type,
                suggested_type=part.suggested_type,
                dossier_id=part.dossier_id,
                result_reference=part.result_reference,
                fields=[f.as_json() for f in part.fields],
                problems=list(part.problems),
                status=part.status.value,
            )
        )

    def part(self, part_id: uuid.UUID, *, lock: bool = False) -> Part | None:
        query = select(ImportPartRow).where(ImportPartRow.id == part_id)
        if lock:
            query = query.with_for_update()
        row = self._s.scalars(query).first()
        if row is None:
            return None
        texts = self.page_texts(row.batch_id, row.pages)
        return _part(row, "\n\n".join(texts.get(n, "") for n in row.pages))

    def parts(
        self,
        *,
        batch_id: uuid.UUID | None = None,
        agency_code: str | None = None,
        status: PartStatus | None = None,
        limit: int = 200,
    ) -> list[Part]:
        query = select(ImportPartRow).join(
            ImportBatchRow, ImportBatchRow.id == ImportPartRow.batch_id
        )
        if batch_id is not None:
            query = query.where(ImportPartRow.batch_id == batch_id)
        if agency_code is not None:
            query = query.where(ImportBatchRow.agency_code == agency_code)
        if status is not None:
            query = query.where(ImportPartRow.status == status.value)
        query = query.order_by(ImportBatchRow.created_at, ImportPartRow.seq).limit(limit)
        return [_part(r) for r in self._s.scalars(query)]

    def count_parts(self, batch_id: uuid.UUID) -> dict[str, int]:
        rows = self._s.execute(
            select(ImportPartRow.status, func.count())
            .where(ImportPartRow.batch_id == batch_id)
            .group_by(ImportPartRow.status)
        )
        return {status: int(n) for status, n in rows}

    def update_part(self, part_id: uuid.UUID, **values: Any) -> None:
        if "fields" in values:
            values["fields"] = [f.as_json() for f in values["fields"]]
        for name in ("pages", "problems"):
            if name in values:
                values[name] = list(values[name])
        if "status" in values:
            values["status"] = PartStatus(values["status"]).value
        self._s.execute(update(ImportPartRow).where(ImportPartRow.id == part_id).values(**values))

    def remove_part(self, part_id: uuid.UUID) -> None:
        self._s.execute(delete(ImportPartRow).where(ImportPartRow.id == part_id))

    def shift_parts(self, batch_id: uuid.UUID, after_seq: int) -> None:
        """Makes room for a part after `after_seq` (a split)."""
        self._s.execute(
            update(ImportPartRow)
            .where(ImportPartRow.batch_id == batch_id, ImportPartRow.seq > after_seq)
            .values(seq=ImportPartRow.seq + 1)
        )

    def next_part(self, part: Part) -> Part | None:
        row = self._s.scalars(
            select(ImportPartRow)
            .where(ImportPartRow.batch_id == part.batch_id, ImportPartRow.seq > part.seq)
            .order_by(ImportPartRow.seq)
            .limit(1)
        ).first()
        return _part(row) if row is not None else None

    # -- training data -------------------------------------------------------------------

    def add_correction(
        self,
        part_id: uuid.UUID,
        field: str,
        suggested: str | None,
        corrected: str,
        evidence: str,
        account_id: uuid.UUID,
    ) -> None:
        self._s.add(
            ImportCorrectionRow(
                part_id=part_id,
                field=field,
                suggested=suggested,
                corrected=corrected,
                evidence=evidence,
                account_id=account_id,
                created_at=datetime.now(UTC),
            )
        )

    def corrections(self, limit: int = 1000) -> list[dict[str, Any]]:
        rows = self._s.scalars(
            select(ImportCorrectionRow).order_by(ImportCorrectionRow.id).limit(limit)
        )
        return [
            {
                "field": r.field,
                "suggested": r.suggested,
                "corrected": r.corrected,
                "evidence": r.evidence,
            }
            for r in rows
        ]
