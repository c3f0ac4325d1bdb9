"""What the access rules (`vault.access`) read: an agency's open dossiers, the paper types
their procedures need, and the live consents given to it. For one owner (a document read)
or for every owner at once (a search across warehouses), with the same few queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.models import ConsentRow, DossierDocumentRow, DossierRow, ProcedureRequirementRow
from vault.domain import DossierStatus


class OpenDossier(NamedTuple):
    id: uuid.UUID
    code: str
    procedure_code: str
    owner_id: uuid.UUID
    attached: list[uuid.UUID]  # documents attached to it, in the order they were


class ConsentGrant(NamedTuple):
    id: uuid.UUID
    owner_id: uuid.UUID
    paper_types: tuple[str, ...]
    purpose: str


class AccessRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def open_dossiers(
        self, agency_code: str, owner_id: uuid.UUID | None = None
    ) -> list[OpenDossier]:
        """The agency's open dossiers (of one owner, if given), each with the papers attached
        to it, oldest dossier first (one query)."""
        dd = DossierDocumentRow
        q = (
            select(
                DossierRow.id,
                DossierRow.code,
                DossierRow.procedure_code,
                DossierRow.owner_id,
                dd.document_id,
            )
            .outerjoin(dd, dd.dossier_id == DossierRow.id)
            .where(
                DossierRow.receiving_agency_code == agency_code,
                DossierRow.status == DossierStatus.OPEN.value,
            )
            .order_by(DossierRow.id, dd.attached_at, dd.document_id)
        )
        if owner_id is not None:
            q = q.where(DossierRow.owner_id == owner_id)
        dossiers: dict[uuid.UUID, OpenDossier] = {}
        for dossier_id, code, procedure_code, owner, document_id in self._s.execute(q):
            found = dossiers.setdefault(
                dossier_id, OpenDossier(dossier_id, code, procedure_code, owner, [])
            )
            if document_id is not None:
                found.attached.append(document_id)
        return list(dossiers.values())

    def paper_types_needed(self, procedure_codes: Sequence[str]) -> dict[str, frozenset[str]]:
        """The paper types each procedure needs (`Procedure.paper_types`), in one query."""
        needed: dict[str, set[str]] = {code: set() for code in procedure_codes}
        if procedure_codes:
            rows = self._s.execute(
                select(
                    ProcedureRequirementRow.procedure_code, ProcedureRequirementRow.paper_type
                ).where(ProcedureRequirementRow.procedure_code.in_(sorted(needed)))
            )
            for code, paper_type in rows:
                needed[code].add(paper_type)
        return {code: frozenset(types) for code, types in needed.items()}

    def active_consents(
        self, agency_code: str, at: datetime, owner_id: uuid.UUID | None = None
    ) -> list[ConsentGrant]:
        """Consents given to the agency (by one owner, if given), neither revoked nor expired
        at `at`, oldest first."""
        q = (
            select(ConsentRow.id, ConsentRow.owner_id, ConsentRow.paper_types, ConsentRow.purpose)
            .where(
                ConsentRow.agency_code == agency_code,
                ConsentRow.revoked_at.is_(None),
                ConsentRow.expires_at > at,
            )
            .order_by(ConsentRow.id)
        )
        if owner_id is not None:
            q = q.where(ConsentRow.owner_id == owner_id)
        return [
            ConsentGrant(
                r.id, r.owner_id, tuple(t for t in r.paper_types.split(",") if t), r.purpose
            )
            for r in self._s.execute(q)
        ]
