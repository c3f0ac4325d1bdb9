"""Repositories: the queries of the vault, returning domain objects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from vault.db.models import (
    BlobRow,
    DocumentRow,
    DossierDocumentRow,
    DossierRow,
    OwnerRow,
    PaperTypeRow,
)
from vault.domain import (
    Blob,
    Document,
    DocumentOrigin,
    DocumentStatus,
    Dossier,
    DossierAttachment,
    MediaType,
    Owner,
    OwnerKind,
    PaperType,
)


def owner_from_row(row: OwnerRow) -> Owner:
    return Owner(row.id, OwnerKind(row.kind), row.identifier, row.display_name, row.created_at)


def blob_from_row(row: BlobRow) -> Blob:
    return Blob(row.id, row.object_key, row.size, MediaType(row.media_type), row.sha256, row.key_id)


def document_from_row(row: DocumentRow) -> Document:
    return Document(
        id=row.id,
        owner_id=row.owner_id,
        paper_type=row.paper_type,
        title=row.title,
        reference_number=row.reference_number,
        issuer_agency_code=row.issuer_agency_code,
        issue_date=row.issue_date,
        valid_until=row.valid_until,
        origin=DocumentOrigin(row.origin),
        status=DocumentStatus(row.status),
        lineage_id=row.lineage_id,
        version=row.version,
        supersedes_id=row.supersedes_id,
        blob=blob_from_row(row.blob),
        created_at=row.created_at,
    )


def dossier_from_row(row: DossierRow) -> Dossier:
    return Dossier(
        row.id,
        row.code,
        row.procedure_code,
        row.receiving_agency_code,
        row.owner_id,
        row.received_at,
        row.created_at,
    )


class OwnerRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, owner_id: uuid.UUID) -> Owner | None:
        row = self._s.get(OwnerRow, owner_id)
        return owner_from_row(row) if row else None

    def by_identifier(self, identifier: str) -> Owner | None:
        row = self._s.scalar(select(OwnerRow).where(OwnerRow.identifier == identifier))
        return owner_from_row(row) if row else None

    def add(self, owner: Owner) -> None:
        self._s.add(
            OwnerRow(
                id=owner.id,
                kind=owner.kind.value,
                identifier=owner.identifier,
                display_name=owner.display_name,
                created_at=owner.created_at,
            )
        )


class PaperTypeRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, code: str) -> PaperType | None:
        row = self._s.get(PaperTypeRow, code)
        if row is None:
            return None
        return PaperType(row.code, row.name_vi, row.name_en, row.default_validity_days)

    def list(self) -> list[PaperType]:
        rows = self._s.scalars(select(PaperTypeRow).order_by(PaperTypeRow.code))
        return [PaperType(r.code, r.name_vi, r.name_en, r.default_validity_days) for r in rows]


class DocumentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

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
        self._s.flush()  # the blob row first: the document's foreign key points at it
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
    ) -> Sequence[Document]:
        q = select(DocumentRow).where(DocumentRow.owner_id == owner_id)
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
        return [document_from_row(r) for r in self._s.scalars(q)]

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
            q = select(BlobRow).order_by(BlobRow.id).limit(batch)
            if last is not None:
                q = q.where(BlobRow.id > last)
            rows = list(self._s.scalars(q))
            if not rows:
                return
            for row in rows:
                yield blob_from_row(row)
            last = rows[-1].id

    def keys_not_wrapped_by(self, key_id: str, batch: int) -> list[tuple[uuid.UUID, str, bytes]]:
        rows = self._s.execute(
            select(BlobRow.id, BlobRow.key_id, BlobRow.wrapped_key)
            .where(BlobRow.key_id != key_id)
            .order_by(BlobRow.id)
            .limit(batch)
        )
        return [(r.id, r.key_id, r.wrapped_key) for r in rows]

    def set_wrapped_key(self, blob_id: uuid.UUID, key_id: str, wrapped: bytes) -> None:
        self._s.execute(
            update(BlobRow).where(BlobRow.id == blob_id).values(key_id=key_id, wrapped_key=wrapped)
        )


class DossierRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, dossier: Dossier) -> None:
        self._s.add(
            DossierRow(
                id=dossier.id,
                code=dossier.code,
                procedure_code=dossier.procedure_code,
                receiving_agency_code=dossier.receiving_agency_code,
                owner_id=dossier.owner_id,
                received_at=dossier.received_at,
                created_at=dossier.created_at,
            )
        )

    def get(self, dossier_id: uuid.UUID) -> Dossier | None:
        row = self._s.get(DossierRow, dossier_id)
        return dossier_from_row(row) if row else None

    def by_code(self, code: str) -> Dossier | None:
        row = self._s.scalar(select(DossierRow).where(DossierRow.code == code))
        return dossier_from_row(row) if row else None

    def list_for_owner(
        self, owner_id: uuid.UUID, *, before_id: uuid.UUID | None, limit: int
    ) -> list[Dossier]:
        q = select(DossierRow).where(DossierRow.owner_id == owner_id)
        if before_id is not None:
            q = q.where(DossierRow.id < before_id)
        rows = self._s.scalars(q.order_by(DossierRow.id.desc()).limit(limit))
        return [dossier_from_row(r) for r in rows]

    def attach(self, attachment: DossierAttachment) -> None:
        self._s.add(
            DossierDocumentRow(
                dossier_id=attachment.dossier_id,
                document_id=attachment.document_id,
                attached_at=attachment.attached_at,
            )
        )

    def attachment(self, dossier_id: uuid.UUID, document_id: uuid.UUID) -> DossierAttachment | None:
        row = self._s.get(DossierDocumentRow, (dossier_id, document_id))
        return DossierAttachment(row.dossier_id, row.document_id, row.attached_at) if row else None

    def attached_documents(self, dossier_id: uuid.UUID) -> list[Document]:
        rows = self._s.scalars(
            select(DocumentRow)
            .join(DossierDocumentRow, DossierDocumentRow.document_id == DocumentRow.id)
            .where(DossierDocumentRow.dossier_id == dossier_id)
            .order_by(DossierDocumentRow.attached_at, DocumentRow.id)
        )
        return [document_from_row(r) for r in rows]
