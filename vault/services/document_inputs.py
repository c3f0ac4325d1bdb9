"""What a caller gives the document service, and what it decided before a file was read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from vault.auth import Actor
from vault.db import UnitOfWork
from vault.domain import Document, DocumentOrigin


@dataclass(frozen=True, slots=True)
class NewDocument:
    """Metadata an officer (or the owner) gives with an upload."""

    paper_type: str
    title: str
    origin: DocumentOrigin
    reference_number: str | None = None
    issuer_agency_code: str | None = None
    issue_date: date | None = None
    valid_until: date | None = None

    @classmethod
    def same_as(cls, document: Document, origin: DocumentOrigin | None = None) -> NewDocument:
        """A new version's metadata: the paper's own (signing or re-stamping changes the
        bytes, not what the paper is)."""
        return cls(
            paper_type=document.paper_type,
            title=document.title,
            origin=origin or document.origin,
            reference_number=document.reference_number,
            issuer_agency_code=document.issuer_agency_code,
            issue_date=document.issue_date,
            valid_until=document.valid_until,
        )


@dataclass(frozen=True, slots=True)
class DocumentFilters:
    paper_type: str | None = None
    origin: DocumentOrigin | None = None
    valid_on: date | None = None
    include_superseded: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class AuthorisedUpload:
    """What `authorise_upload` decided, before the file was read: `upload` in the same unit
    of work stores under it without asking the database the same questions again."""

    uow: UnitOfWork
    account_id: uuid.UUID
    owner_id: uuid.UUID
    meta: NewDocument  # checked, with what the actor's role implies (origin, issuer)
    dossier_id: uuid.UUID | None

    def covers(
        self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID, dossier_id: uuid.UUID | None
    ) -> bool:
        return (
            self.uow is uow
            and self.account_id == actor.account_id
            and self.owner_id == owner_id
            and self.dossier_id == dossier_id
        )
