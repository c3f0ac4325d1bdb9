"""Dossiers (hồ sơ TTHC) received by an agency, and the papers attached to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from vault import identifiers
from vault.db import UnitOfWork
from vault.domain import Document, Dossier, DossierAttachment, Page, new_id
from vault.errors import Conflict, InvalidInput, NotFound
from vault.services import cursors

# Dossier codes carry the receiving day in Vietnam's time zone (UTC+7, no daylight saving).
VIETNAM = timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True, slots=True)
class NewDossier:
    code: str
    procedure_code: str
    owner_id: uuid.UUID
    receiving_agency_code: str | None = None
    received_at: datetime | None = None


class DossierService:
    def create(self, uow: UnitOfWork, new: NewDossier) -> tuple[Dossier, bool]:
        """Idempotent on the dossier code: the same dossier again returns (it, False)."""
        code, agency, day = identifiers.dossier_code(new.code)
        procedure = identifiers.procedure_code(new.procedure_code)
        if new.receiving_agency_code is not None:
            given = identifiers.agency_code(new.receiving_agency_code, "receiving_agency_code")
            if given != agency:
                raise InvalidInput(
                    "receiving_agency_code",
                    f"the dossier code says the receiving agency is {agency}",
                )
        received_at = new.received_at or datetime.now(UTC)
        if received_at.tzinfo is None:
            raise InvalidInput("received_at", "give a time zone (e.g. +07:00 or Z)")
        if received_at.astimezone(VIETNAM).date() != day:
            raise InvalidInput(
                "received_at", f"the dossier code says it was received on {day.isoformat()}"
            )
        if uow.owners.get(new.owner_id) is None:
            raise InvalidInput("owner_id", "no such owner")

        existing = uow.dossiers.by_code(code)
        if existing is not None:
            same = (existing.procedure_code, existing.owner_id) == (procedure, new.owner_id)
            if not same:
                raise Conflict("a different dossier already has this code")
            return existing, False
        dossier = Dossier(
            id=new_id(),
            code=code,
            procedure_code=procedure,
            receiving_agency_code=agency,
            owner_id=new.owner_id,
            received_at=received_at.astimezone(UTC),
            created_at=datetime.now(UTC),
        )
        uow.dossiers.add(dossier)
        uow.flush()
        return dossier, True

    def get(self, uow: UnitOfWork, dossier_id: uuid.UUID) -> Dossier:
        dossier = uow.dossiers.get(dossier_id)
        if dossier is None:
            raise NotFound("no such dossier")
        return dossier

    def list_for_owner(
        self, uow: UnitOfWork, owner_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
    ) -> Page[Dossier]:
        limit = cursors.check_limit(limit)
        if uow.owners.get(owner_id) is None:
            raise NotFound("no such owner")
        rows = uow.dossiers.list_for_owner(
            owner_id, before_id=cursors.decode(cursor), limit=limit + 1
        )
        items = rows[:limit]
        return Page(items, cursors.encode(items[-1].id) if len(rows) > limit else None)

    def attach(
        self, uow: UnitOfWork, dossier_id: uuid.UUID, document_id: uuid.UUID
    ) -> tuple[DossierAttachment, bool]:
        """Attaches one of the owner's papers to the dossier; idempotent."""
        dossier = self.get(uow, dossier_id)
        document = uow.documents.get(document_id)
        if document is None or document.owner_id != dossier.owner_id:
            # Same answer for "absent" and "someone else's": no probing of other warehouses.
            raise InvalidInput("document_id", "no such document in this owner's warehouse")
        existing = uow.dossiers.attachment(dossier_id, document_id)
        if existing is not None:
            return existing, False
        attachment = DossierAttachment(dossier_id, document_id, datetime.now(UTC))
        uow.dossiers.attach(attachment)
        uow.flush()
        return attachment, True

    def attached_documents(self, uow: UnitOfWork, dossier_id: uuid.UUID) -> list[Document]:
        self.get(uow, dossier_id)
        return uow.dossiers.attached_documents(dossier_id)
