"""Facts per dossier for the digitisation indicators (chỉ tiêu số hoá, Quyết định 766)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.models import DocumentRow, DossierDocumentRow, DossierRow, ProcedureRow
from vault.domain import AttachmentRole


def dossier_fact_columns() -> tuple[Any, ...]:
    """The six facts the 766 indicators count per dossier, as columns over `DossierRow`
    joined to its procedure: the one home of these conditions (the indicators and the
    console's per-dossier lists both select them)."""
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
    return (
        ProcedureRow.returns_result,
        has(dd.role == AttachmentRole.COMPONENT.value, dd.digitised.is_(True)),
        has(dd.role == AttachmentRole.COMPONENT.value, dd.reused.in_((1, 2))),
        has(dd.role == AttachmentRole.COMPONENT.value, dd.from_warehouse.is_(True)),
        has(dd.role == AttachmentRole.RESULT.value),
        signed_result,
    )


def received_dossiers(query: Any, agency: str, start: datetime, end: datetime) -> Any:
    """`query` over the dossiers `agency` received in [start, end), with their procedure."""
    return (
        query.select_from(DossierRow)
        .join(ProcedureRow, ProcedureRow.code == DossierRow.procedure_code)
        .where(
            DossierRow.receiving_agency_code == agency,
            DossierRow.received_at >= start,
            DossierRow.received_at < end,
        )
    )


@dataclass(frozen=True, slots=True)
class DossierFacts:
    """What the 766 digitisation indicators count, for one dossier."""

    returns_result: bool
    digitised_component: bool
    reused_component: bool
    warehouse_component: bool
    result_stored: bool
    signed_result: bool


class IndicatorRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def dossier_facts(self, agency: str, start: datetime, end: datetime) -> list[DossierFacts]:
        q = received_dossiers(select(*dossier_fact_columns()), agency, start, end)
        return [DossierFacts(*(bool(v) for v in row)) for row in self._s.execute(q)]
