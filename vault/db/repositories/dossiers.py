"""Dossiers (hồ sơ thủ tục hành chính) and the documents attached to them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vault.db.models import DocumentRow, DossierDocumentRow, DossierRow
from vault.db.repositories.documents import document_from_row
from vault.domain import (
    AttachmentRole,
    Document,
    Dossier,
    DossierAttachment,
    DossierStatus,
    Reuse,
)


def attachment_from_row(row: DossierDocumentRow) -> DossierAttachment:
    return DossierAttachment(
        dossier_id=row.dossier_id,
        document_id=row.document_id,
        attached_at=row.attached_at,
        role=AttachmentRole(row.role),
        digitised=row.digitised,
        reused=Reuse(row.reused),
        from_warehouse=row.from_warehouse,
        replacing_result_code=row.replacing_result_code,
        result_code=row.result_code,
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
        DossierStatus(row.status),
        row.returned_at,
        row.closed_at,
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
                status=dossier.status.value,
            )
        )

    def get(self, dossier_id: uuid.UUID) -> Dossier | None:
        row = self._s.get(DossierRow, dossier_id)
        return dossier_from_row(row) if row else None

    def by_code(self, code: str) -> Dossier | None:
        row = self._s.scalar(select(DossierRow).where(DossierRow.code == code))
        return dossier_from_row(row) if row else None

    def codes_starting(self, prefix: str) -> set[str]:
        """Every dossier code that begins with `prefix` (exactly, case included): one query."""
        found = self._s.scalars(
            select(DossierRow.code).where(DossierRow.code.startswith(prefix, autoescape=True))
        )
        return {code for code in found if code.startswith(prefix)}

    def list_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        before_id: uuid.UUID | None,
        limit: int,
        agency: str | None = None,
    ) -> list[Dossier]:
        q = select(DossierRow).where(DossierRow.owner_id == owner_id)
        if agency is not None:
            q = q.where(DossierRow.receiving_agency_code == agency)
        if before_id is not None:
            q = q.where(DossierRow.id < before_id)
        rows = self._s.scalars(q.order_by(DossierRow.id.desc()).limit(limit))
        return [dossier_from_row(r) for r in rows]

    def attach(self, a: DossierAttachment) -> None:
        self._s.add(
            DossierDocumentRow(
                dossier_id=a.dossier_id,
                document_id=a.document_id,
                attached_at=a.attached_at,
                role=a.role.value,
                digitised=a.digitised,
                reused=int(a.reused),
                from_warehouse=a.from_warehouse,
                replacing_result_code=a.replacing_result_code,
                result_code=a.result_code,
            )
        )

    def attachment(self, dossier_id: uuid.UUID, document_id: uuid.UUID) -> DossierAttachment | None:
        row = self._s.get(DossierDocumentRow, (dossier_id, document_id))
        return attachment_from_row(row) if row else None

    def attachments(self, dossier_id: uuid.UUID) -> list[DossierAttachment]:
        rows = self._s.scalars(
            select(DossierDocumentRow)
            .where(DossierDocumentRow.dossier_id == dossier_id)
            .order_by(DossierDocumentRow.attached_at, DossierDocumentRow.document_id)
        )
        return [attachment_from_row(r) for r in rows]

    def set_status(self, dossier_id: uuid.UUID, status: DossierStatus, at: datetime) -> None:
        self._s.execute(
            update(DossierRow)
            .where(DossierRow.id == dossier_id)
            .values(status=status.value, closed_at=at if status is DossierStatus.CLOSED else None)
        )

    def dossiers_with_result(self, document_id: uuid.UUID) -> list[uuid.UUID]:
        return list(
            self._s.scalars(
                select(DossierDocumentRow.dossier_id).where(
                    DossierDocumentRow.document_id == document_id,
                    DossierDocumentRow.role == AttachmentRole.RESULT.value,
                )
            )
        )

    def set_returned(self, dossier_id: uuid.UUID, at: datetime) -> None:
        self._s.execute(
            update(DossierRow).where(DossierRow.id == dossier_id).values(returned_at=at)
        )

    def open_for(self, owner_id: uuid.UUID, agency_code: str) -> list[Dossier]:
        rows = self._s.scalars(
            select(DossierRow).where(
                DossierRow.owner_id == owner_id,
                DossierRow.receiving_agency_code == agency_code,
                DossierRow.status == DossierStatus.OPEN.value,
            )
        )
        return [dossier_from_row(r) for r in rows]

    def results_with_codes(
        self, owner_id: uuid.UUID, result_codes: Sequence[str]
    ) -> list[tuple[Document, str]]:
        """Results stored for the owner under one of these national result codes."""
        if not result_codes:
            return []
        rows = self._s.execute(
            select(DocumentRow, DossierDocumentRow.result_code)
            .join(DossierDocumentRow, DossierDocumentRow.document_id == DocumentRow.id)
            .where(
                DocumentRow.owner_id == owner_id,
                DossierDocumentRow.role == AttachmentRole.RESULT.value,
                DossierDocumentRow.result_code.in_(result_codes),
            )
            .order_by(DocumentRow.id.desc())
        )
        return [(document_from_row(doc), str(code)) for doc, code in rows]

    def attached_documents(self, dossier_id: uuid.UUID) -> list[Document]:
        rows = self._s.scalars(
            select(DocumentRow)
            .join(DossierDocumentRow, DossierDocumentRow.document_id == DocumentRow.id)
            .where(DossierDocumentRow.dossier_id == dossier_id)
            .order_by(DossierDocumentRow.attached_at, DocumentRow.id)
        )
        return [document_from_row(r) for r in rows]
