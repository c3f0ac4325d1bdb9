"""Queries of electronic certification books and refusals, and of signed documents.

Built on a unit of work's session: `uow.repository(CertificationRepository)`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from signing.issuing.certification_model import CertifiedCopyRecord, RefusalRecord
from signing.issuing.db.certification_models import (
    CertificationCounterRow,
    CertificationRefusalRow,
    CertifiedCopyRow,
)
from vault.db.models import DocumentRow
from vault.db.repositories import document_from_row
from vault.domain import Document, DocumentOrigin, DocumentStatus


def _copy(row: CertifiedCopyRow) -> CertifiedCopyRecord:
    return CertifiedCopyRecord(
        id=row.id,
        document_id=row.document_id,
        owner_id=row.owner_id,
        office_agency_code=row.office_agency_code,
        book=row.book,
        year=row.year,
        number=row.number,
        verification_code=row.verification_code,
        paper_type=row.paper_type,
        title=row.title,
        pages=row.pages,
        content_sha256=row.content_sha256,
        officer_account_id=row.officer_account_id,
        officer_name=row.officer_name,
        certified_on=row.certified_on,
        valid_until=row.valid_until,
        created_at=row.created_at,
    )


def _refusal(row: CertificationRefusalRow) -> RefusalRecord:
    return RefusalRecord(
        id=row.id,
        office_agency_code=row.office_agency_code,
        owner_id=row.owner_id,
        paper_type=row.paper_type,
        reason=row.reason,
        note=row.note,
        officer_account_id=row.officer_account_id,
        officer_name=row.officer_name,
        refused_at=row.refused_at,
    )


class CertificationRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def next_number(self, office: str, book: str, year: int) -> int:
        """The next number of the book, held until the transaction ends.

        The counter row is created if missing, then incremented in place: the UPDATE takes
        the row lock (what SELECT ... FOR UPDATE would) on PostgreSQL and the database's
        write lock on SQLite. Concurrent certifications in the same book wait here in turn;
        one that rolls back gives its number back, so the book has no gaps and no
        duplicates. Call it as the transaction's first write (SQLite: a read snapshot
        taken earlier could not be upgraded to a write once another writer committed).
        """
        dialect = self._s.get_bind().dialect.name
        values = {"office_agency_code": office, "book": book, "year": year, "last_number": 0}
        if dialect == "postgresql":
            pg_insert = postgresql.insert(CertificationCounterRow).values(**values)
            self._s.execute(pg_insert.on_conflict_do_nothing())
        elif dialect == "sqlite":
            lite_insert = sqlite.insert(CertificationCounterRow).values(**values)
            self._s.execute(lite_insert.on_conflict_do_nothing())
        else:  # pragma: no cover - the vault runs on these two
            raise RuntimeError(f"unsupported database {dialect}")
        number = self._s.execute(
            update(CertificationCounterRow)
            .where(
                CertificationCounterRow.office_agency_code == office,
                CertificationCounterRow.book == book,
                CertificationCounterRow.year == year,
            )
            .values(last_number=CertificationCounterRow.last_number + 1)
            .returning(CertificationCounterRow.last_number)
        ).scalar_one()
        return int(number)

    def add(self, record: CertifiedCopyRecord) -> None:
        self._s.add(
            CertifiedCopyRow(
                id=record.id,
                document_id=record.document_id,
                owner_id=record.owner_id,
                office_agency_code=record.office_agency_code,
                book=record.book,
                year=record.year,
                number=record.number,
                verification_code=record.verification_code,
                paper_type=record.paper_type,
                title=record.title,
                pages=record.pages,
                content_sha256=record.content_sha256,
                officer_account_id=record.officer_account_id,
                officer_name=record.officer_name,
                certified_on=record.certified_on,
                valid_until=record.valid_until,
                created_at=record.created_at,
            )
        )

    def by_code(self, code: str) -> CertifiedCopyRecord | None:
        row = self._s.scalar(
            select(CertifiedCopyRow).where(CertifiedCopyRow.verification_code == code)
        )
        return _copy(row) if row else None

    def by_document(self, lineage_id: uuid.UUID) -> CertifiedCopyRecord | None:
        row = self._s.scalar(
            select(CertifiedCopyRow).where(CertifiedCopyRow.document_id == lineage_id)
        )
        return _copy(row) if row else None

    def book_entries(self, office: str, book: str, year: int) -> list[CertifiedCopyRecord]:
        rows = self._s.scalars(
            select(CertifiedCopyRow)
            .where(
                CertifiedCopyRow.office_agency_code == office,
                CertifiedCopyRow.book == book,
                CertifiedCopyRow.year == year,
            )
            .order_by(CertifiedCopyRow.number)
        )
        return [_copy(r) for r in rows]

    def add_refusal(self, record: RefusalRecord) -> None:
        self._s.add(
            CertificationRefusalRow(
                id=record.id,
                office_agency_code=record.office_agency_code,
                owner_id=record.owner_id,
                paper_type=record.paper_type,
                reason=record.reason,
                note=record.note,
                officer_account_id=record.officer_account_id,
                officer_name=record.officer_name,
                refused_at=record.refused_at,
            )
        )

    def refusals_for_owner(self, owner_id: uuid.UUID) -> list[RefusalRecord]:
        rows = self._s.scalars(
            select(CertificationRefusalRow)
            .where(CertificationRefusalRow.owner_id == owner_id)
            .order_by(CertificationRefusalRow.refused_at)
        )
        return [_refusal(r) for r in rows]


SIGNED_ORIGINS: Sequence[DocumentOrigin] = (
    DocumentOrigin.ISSUED_RESULT,
    DocumentOrigin.CERTIFIED_COPY,
)


class SignedDocumentRepository:
    """Current versions of signed results and certified copies, for long-term upkeep."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def current_signed(
        self, *, after_id: uuid.UUID | None, before_id: uuid.UUID, limit: int
    ) -> list[Document]:
        """By id, after `after_id` (the page before) and before `before_id`."""
        q = select(DocumentRow).where(
            DocumentRow.has_signature.is_(True),
            DocumentRow.status == DocumentStatus.CURRENT.value,
            DocumentRow.origin.in_([o.value for o in SIGNED_ORIGINS]),
            DocumentRow.id < before_id,
        )
        if after_id is not None:
            q = q.where(DocumentRow.id > after_id)
        rows = self._s.scalars(q.order_by(DocumentRow.id).limit(limit))
        return [document_from_row(r) for r in rows]
