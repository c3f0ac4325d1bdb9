"""Per dossier, the facts the 766 indicators count (`dossier_fact_columns`, the conditions
`IndicatorRepository.dossier_facts` counts), with the dossier's id, code and procedure: what the
console lists under each indicator so an officer can see why a dossier counts or not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.models import DossierRow
from vault.db.repositories import dossier_fact_columns, received_dossiers


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
        columns = (
            DossierRow.id,
            DossierRow.code,
            DossierRow.procedure_code,
            DossierRow.received_at,
        )
        q = received_dossiers(select(*columns, *dossier_fact_columns()), agency, start, end)
        return [
            CountedDossier(row[0], row[1], row[2], row[3], *(bool(v) for v in row[4:]))
            for row in self._s.execute(q.order_by(DossierRow.received_at, DossierRow.code))
        ]
