"""An owner's access log: who looked at which paper, when, why (for which dossier)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from vault.auth import Actor, ActorKind
from vault.db import UnitOfWork
from vault.domain import Page
from vault.errors import InvalidInput, PermissionDenied
from vault.services import cursors


@dataclass(frozen=True, slots=True)
class AccessRecord:
    seq: int
    at: datetime
    who: str | None
    agency_code: str | None
    agency_name: str | None
    role: str | None
    action: str
    outcome: str
    document_id: uuid.UUID | None
    dossier_id: uuid.UUID | None
    dossier_code: str | None
    procedure_code: str | None
    purpose: str | None


class AccessLogService:
    def for_owner(
        self, uow: UnitOfWork, actor: Actor, *, cursor: str | None = None, limit: int = 50
    ) -> Page[AccessRecord]:
        if actor.kind is not ActorKind.OWNER or actor.owner_id is None:
            raise PermissionDenied("the access log is the owner's")
        limit = cursors.check_limit(limit)
        before = None
        if cursor is not None:
            # ASCII digits only ("²" is a digit to isdigit, not to int), and within a bigint.
            if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
                raise InvalidInput("cursor", "the cursor is not one this server handed out")
            before = int(cursor)
        entries = uow.audit.for_owner(actor.owner_id, before_seq=before, limit=limit + 1)
        items = []
        names: dict[str, str | None] = {}
        for e in entries[:limit]:
            dossier = uow.dossiers.get(e.dossier_id) if e.dossier_id else None
            if e.agency_code and e.agency_code not in names:
                names[e.agency_code] = uow.accounts.agency_name(e.agency_code)
            items.append(
                AccessRecord(
                    seq=e.seq,
                    at=e.at,
                    who=e.actor_name,
                    agency_code=e.agency_code,
                    agency_name=names.get(e.agency_code or ""),
                    role=e.role,
                    action=e.action,
                    outcome=e.outcome,
                    document_id=e.document_id,
                    dossier_id=e.dossier_id,
                    dossier_code=dossier.code if dossier else None,
                    procedure_code=dossier.procedure_code if dossier else None,
                    purpose=e.purpose,
                )
            )
        next_cursor = str(items[-1].seq) if len(entries) > limit else None
        return Page(items, next_cursor)

    def paper_titles(
        self, uow: UnitOfWork, actor: Actor, records: Iterable[AccessRecord]
    ) -> dict[uuid.UUID, str]:
        """The titles of the owner's papers the records name (a paper no longer on record
        has none), for the owner's own page of their log."""
        if actor.kind is not ActorKind.OWNER or actor.owner_id is None:
            raise PermissionDenied("the access log is the owner's")
        titles: dict[uuid.UUID, str] = {}
        for r in records:
            if r.document_id and r.document_id not in titles:
                document = uow.documents.get(r.document_id)
                if document is not None and document.owner_id == actor.owner_id:
                    titles[r.document_id] = document.title
        return titles
