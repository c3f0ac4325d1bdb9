"""Per dossier, the facts the 766 indicators count (the same conditions as
`IndicatorRepository.dossier_facts`), with the dossier's id, code and procedure: what the
console lists under each indicator so an officer can see why a dossier counts or not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.models import DocumentRow, DossierDocumentRow, DossierRow, ProcedureRow
from vault.domain import AttachmentRole


@dataclass(frozen=True, slots=True)
class CountedDossier:
    id: uuid.UUID
    code: str
    procedure_code: str
    received_at: datetime
    returns_result: bool
    digitised_component: bool
    reused_component: bool
    warehouse_component: bool
    result_stored: bool
    signed_result: bool


class IndicatorDetailRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def counted_dossiers(self, agency: str, start: datetime, end: datetime) -> list[CountedDossier]:
        dd = DossierDocumentRow

        def has(*conditions: Any) -> Any:
            return select(dd.dossier_id).where(dd.dossier_id == DossierRow.id, *conditions).exists()

        signed_result = (
            select(dd.dossier_id)
            .join(DocumentRow, DocumentRow.id == dd.document_id)
            .where(
                dd.dossier_id == DossierRow.id,
                dd.role == AttachmentRole.RESULT.value,
                DocumentRow.has_signature.is_(True),
            )
            .exists()
        )
        q = (
            select(
                DossierRow.id,
                DossierRow.code,
                DossierRow.procedure_code,
                DossierRow.received_at,
                ProcedureRow.returns_result,
                has(dd.role == AttachmentRole.COMPONENT.value, dd.digitised.is_(True)),
                has(dd.role == AttachmentRole.COMPONENT.value, dd.reused.in_((1, 2))),
                has(dd.role == AttachmentRole.COMPONENT.value, dd.from_warehouse.is_(True)),
                has(dd.role == AttachmentRole.RESULT.value),
                signed_result,
            )
            .select_from(DossierRow)
            .join(ProcedureRow, ProcedureRow.code == DossierRow.procedure_code)
            .where(
                DossierRow.receiving_agency_code == agency,
                DossierRow.received_at >= start,
                DossierRow.received_at < end,
            )
            .order_by(DossierRow.received_at, DossierRow.code)
        )
        return [
            CountedDossier(row[0], row[1], row[2], row[3], *(bool(v) for v in row[4:]))
            for row in self._s.execute(q)
        ]
