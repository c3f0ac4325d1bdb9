"""Documents and the encrypted blobs behind them (tài liệu, tệp mã hoá)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from vault.db.models import BlobRow, DocumentRow
from vault.db.repositories.idempotency import IdempotencyKeyRepository
from vault.domain import (
    VERIFIED_ISSUER_ORIGINS,
    Blob,
    Document,
    DocumentOrigin,
    DocumentStatus,
    MediaType,
)
from vault.retention import SHREDDED_KEY_ID


def blob_from_row(row: BlobRow) -> Blob:
    return Blob(row.id, row.object_key, row.size, MediaType(row.media_type), row.sha256, row.key_id)


def document_from_row(row: DocumentRow) -> Document:
    return _document(row, blob_from_row(row.blob))


def _document(r: Any, blob: Blob) -> Document:
    """From an ORM row or a column row: both carry the documents table's names."""
    return Document(
        id=r.id,
        owner_id=r.owner_id,
        paper_type=r.paper_type,
        title=r.title,
        reference_number=r.reference_number,
        issuer_agency_code=r.issuer_agency_code,
        issue_date=r.issue_date,
        valid_until=r.valid_until,
        origin=DocumentOrigin(r.origin),
        status=DocumentStatus(r.status),
        lineage_id=r.lineage_id,
        version=r.version,
        supersedes_id=r.supersedes_id,
        blob=blob,
        created_at=r.created_at,
        has_signature=r.has_signature,
    )


DOCUMENT_COLUMNS = (
    DocumentRow.id,
    DocumentRow.owner_id,
    DocumentRow.paper_type,
    DocumentRow.title,
    DocumentRow.reference_number,
    DocumentRow.issuer_agency_code,
    DocumentRow.issue_date,
    DocumentRow.valid_until,
    DocumentRow.origin,
    DocumentRow.status,
    DocumentRow.lineage_id,
    DocumentRow.version,
    DocumentRow.supersedes_id,
    DocumentRow.created_at,
    DocumentRow.has_signature,
    BlobRow.id.label("blob_id"),
    BlobRow.object_key,
    BlobRow.size,
    BlobRow.media_type,
    BlobRow.sha256,
    BlobRow.key_id,
)


def select_documents() -> Any:
    """Plain columns, not ORM entities: listings build the domain objects directly."""
    return select(*DOCUMENT_COLUMNS).join(BlobRow, BlobRow.id == DocumentRow.blob_id)


def document_from_columns(r: Any) -> Document:
    blob = Blob(r.blob_id, r.object_key, r.size, MediaType(r.media_type), r.sha256, r.key_id)
    return _document(r, blob)


@dataclass(frozen=True, slots=True)
class VisibleSet:
    """The documents an actor may list: issued by an agency, of some types, or these ids."""

    issuer_agency: str | None
    paper_types: frozenset[str]
    document_ids: frozenset[uuid.UUID]


class DocumentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._keys = IdempotencyKeyRepository(session)

    def add(self, document: Document, wrapped_key: bytes) -> None:
        b = document.blob
        self._s.add(
            BlobRow(
                id=b.id,
                object_key=b.object_key,
                size=b.size,
                media_type=b.media_type.value,
                sha256=b.sha256,
                key_id=b.key_id,
                wrapped_key=wrapped_key,
            )
        )
        # No flush in between: the session inserts the blob row before the document row
        # (DocumentRow.blob orders them), in the caller's one flush.
        self._s.add(
            DocumentRow(
                id=document.id,
                owner_id=document.owner_id,
                paper_type=document.paper_type,
                title=document.title,
                reference_number=document.reference_number,
                issuer_agency_code=document.issuer_agency_code,
                issue_date=document.issue_date,
                valid_until=document.valid_until,
                origin=document.origin.value,
                status=document.status.value,
                lineage_id=document.lineage_id,
                version=document.version,
                supersedes_id=document.supersedes_id,
                blob_id=b.id,
                created_at=document.created_at,
                has_signature=document.has_signature,
            )
        )

    def get(self, document_id: uuid.UUID) -> Document | None:
        row = self._s.get(DocumentRow, document_id)
        return document_from_row(row) if row else None

    def wrapped_key(self, blob_id: uuid.UUID) -> bytes:
        key = self._s.scalar(select(BlobRow.wrapped_key).where(BlobRow.id == blob_id))
        if key is None:
            raise LookupError(f"blob {blob_id} has no row")
        return key

    def lock_current(self, document_id: uuid.UUID) -> Document | None:
        """The document, locked against a concurrent reissue (PostgreSQL; SQLite serialises
        writers anyway)."""
        row = self._s.scalar(
            select(DocumentRow).where(DocumentRow.id == document_id).with_for_update(of=DocumentRow)
        )
        return document_from_row(row) if row else None

    def mark_superseded(self, document_id: uuid.UUID) -> None:
        self._s.execute(
            update(DocumentRow)
            .where(DocumentRow.id == document_id)
            .values(status=DocumentStatus.SUPERSEDED.value)
        )

    def list_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        paper_type: str | None,
        origin: DocumentOrigin | None,
        valid_on: date | None,
        include_superseded: bool,
        before_id: uuid.UUID | None,
        limit: int,
        only: VisibleSet | None = None,
    ) -> Sequence[Document]:
        q = select_documents().where(DocumentRow.owner_id == owner_id)
        if only is not None:
            allowed = []
            if only.issuer_agency is not None:
                # Only an issuer the vault verified grants (never one a scan merely states).
                verified = sorted(o.value for o in VERIFIED_ISSUER_ORIGINS)
                allowed.append(
                    and_(
                        DocumentRow.issuer_agency_code == only.issuer_agency,
                        DocumentRow.origin.in_(verified),
                    )
                )
            if only.paper_types:
                allowed.append(DocumentRow.paper_type.in_(sorted(only.paper_types)))
            if only.document_ids:
                allowed.append(DocumentRow.id.in_(sorted(only.document_ids)))
            if not allowed:
                return []
            q = q.where(or_(*allowed))
        if paper_type is not None:
            q = q.where(DocumentRow.paper_type == paper_type)
        if origin is not None:
            q = q.where(DocumentRow.origin == origin.value)
        if not include_superseded:
            q = q.where(DocumentRow.status == DocumentStatus.CURRENT.value)
        if valid_on is not None:
            q = q.where(
                or_(DocumentRow.issue_date.is_(None), DocumentRow.issue_date <= valid_on),
                or_(DocumentRow.valid_until.is_(None), DocumentRow.valid_until >= valid_on),
            )
        if before_id is not None:
            q = q.where(DocumentRow.id < before_id)
        # Ids are time-ordered: newest first, and the id alone is a stable cursor.
        q = q.order_by(DocumentRow.id.desc()).limit(limit)
        return [document_from_columns(r) for r in self._s.execute(q)]

    def of_types(
        self, owner_id: uuid.UUID, paper_types: Sequence[str], *, limit: int = 500
    ) -> list[Document]:
        """Every version of the owner's papers of these types, newest first."""
        if not paper_types:
            return []
        rows = self._s.execute(
            select_documents()
            .where(DocumentRow.owner_id == owner_id, DocumentRow.paper_type.in_(paper_types))
            .order_by(DocumentRow.id.desc())
            .limit(limit)
        )
        return [document_from_columns(r) for r in rows]

    def current_version(self, lineage_id: uuid.UUID) -> Document | None:
        row = self._s.scalar(
            select(DocumentRow).where(
                DocumentRow.lineage_id == lineage_id,
                DocumentRow.status == DocumentStatus.CURRENT.value,
            )
        )
        return document_from_row(row) if row else None

    # Upload idempotency keys: kept in their own repository, asked through this one (the
    # upload service holds, looks up and remembers them next to the document it stores).
    def hold_idempotency_key(self, account_id: uuid.UUID, key: str) -> None:
        self._keys.hold(account_id, key)

    def idempotent(self, account_id: uuid.UUID, key: str) -> tuple[str, uuid.UUID] | None:
        return self._keys.get(account_id, key)

    def remember(
        self, account_id: uuid.UUID, key: str, request: str, document_id: uuid.UUID
    ) -> None:
        self._keys.remember(account_id, key, request, document_id)

    def versions(self, lineage_id: uuid.UUID) -> list[Document]:
        rows = self._s.scalars(
            select(DocumentRow)
            .where(DocumentRow.lineage_id == lineage_id)
            .order_by(DocumentRow.version)
        )
        return [document_from_row(r) for r in rows]


class BlobRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        return set(self._s.scalars(select(BlobRow.object_key).where(BlobRow.object_key.in_(keys))))

    def iter_all(self, batch: int = 1000) -> Iterator[Blob]:
        last: uuid.UUID | None = None
        while True:
            # Disposed blobs (data key destroyed, object deleted) are no longer stored blobs.
            q = (
                select(BlobRow)
                .where(BlobRow.key_id != SHREDDED_KEY_ID)
                .order_by(BlobRow.id)
                .limit(batch)
            )
            if last is not None:
                q = q.where(BlobRow.id > last)
            rows = list(self._s.scalars(q))
            if not rows:
                return
            for row in rows:
                yield blob_from_row(row)
            last = rows[-1].id

    def count_not_wrapped_by(self, key_id: str) -> int:
        return int(
            self._s.scalar(
                select(func.count())
                .select_from(BlobRow)
                .where(BlobRow.key_id != key_id, BlobRow.key_id != SHREDDED_KEY_ID)
            )
            or 0
        )

    def keys_not_wrapped_by(self, key_id: str, batch: int) -> list[tuple[uuid.UUID, str, bytes]]:
        rows = self._s.execute(
            select(BlobRow.id, BlobRow.key_id, BlobRow.wrapped_key)
            .where(BlobRow.key_id != key_id, BlobRow.key_id != SHREDDED_KEY_ID)
            .order_by(BlobRow.id)
            .limit(batch)
        )
        return [(r.id, r.key_id, r.wrapped_key) for r in rows]

    def set_wrapped_key(self, blob_id: uuid.UUID, key_id: str, wrapped: bytes) -> None:
        self._s.execute(
            update(BlobRow).where(BlobRow.id == blob_id).values(key_id=key_id, wrapped_key=wrapped)
        )
