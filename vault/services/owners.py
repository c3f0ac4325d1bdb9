"""Owners of warehouses: looked up by exact identifier only, never listed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from vault import identifiers
from vault.access import READING_ROLES, audit_draft
from vault.audit import Outcome
from vault.auth import Actor, ActorKind, Role
from vault.db import UnitOfWork
from vault.domain import Document, Owner, OwnerKind, new_id
from vault.errors import Conflict, InvalidInput, NotFound, PermissionDenied

REGISTERING_ROLES = (
    Role.RECEIVING_OFFICER,
    Role.CERTIFYING_OFFICER,
    Role.ISSUING_OFFICER,
    Role.ADMINISTRATOR,
)


def normalise_identifier(kind: OwnerKind, identifier: str) -> str:
    if kind is OwnerKind.CITIZEN:
        return identifiers.personal_id(identifier)
    return identifiers.tax_code(identifier)


class OwnerService:
    def register(
        self, uow: UnitOfWork, actor: Actor, kind: OwnerKind, identifier: str, display_name: str
    ) -> tuple[Owner, bool]:
        """Idempotent on the identifier: returns (owner, created)."""
        actor.require(*REGISTERING_ROLES)
        identifier = normalise_identifier(kind, identifier)
        name = " ".join(identifiers.plain_text(display_name, "display_name").split())
        if not name:
            raise InvalidInput("display_name", "a display name is required")
        existing = uow.owners.by_identifier(identifier)
        if existing is not None:
            if existing.kind is not kind:
                raise Conflict("this identifier is registered as another kind of owner")
            uow.record(
                audit_draft(
                    actor, "owner.register", owner_id=existing.id, detail="already registered"
                )
            )
            return existing, False
        owner = Owner(new_id(), kind, identifier, name, datetime.now(UTC))
        uow.owners.add(owner)
        uow.flush()
        uow.record(audit_draft(actor, "owner.register", owner_id=owner.id))
        return owner, True

    def lookup(self, uow: UnitOfWork, actor: Actor, identifier: str) -> Owner:
        """Exact identifier only: the one way to find an owner (no browsing, no prefix)."""
        if not actor.has(*READING_ROLES, Role.ADMINISTRATOR):
            raise PermissionDenied("only officers look owners up")
        identifier = identifier.strip()
        if "-" in identifier or len(identifier) == 10:
            identifier = identifiers.tax_code(identifier)
        else:
            identifier = identifiers.personal_id(identifier)
        owner = uow.owners.by_identifier(identifier)
        if owner is None:
            uow.record(audit_draft(actor, "owner.lookup", Outcome.OK, detail="not found"))
            raise NotFound("no owner has this identifier")
        uow.record(audit_draft(actor, "owner.lookup", owner_id=owner.id))
        return owner

    def get(self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID) -> Owner:
        if actor.kind is ActorKind.OWNER:
            if actor.owner_id != owner_id:
                raise PermissionDenied("an owner sees only their own warehouse")
        elif not actor.has(*READING_ROLES, Role.ADMINISTRATOR):
            raise PermissionDenied("only officers look owners up")
        owner = uow.owners.get(owner_id)
        if owner is None:
            raise NotFound("no such owner")
        uow.record(audit_draft(actor, "owner.read", owner_id=owner.id))
        return owner

    def owner_of(self, uow: UnitOfWork, document: Document) -> Owner | None:
        """The owner of a paper the caller was already allowed to read (that read is on
        record): named beside the paper, not audited again."""
        return uow.owners.get(document.owner_id)

    def seed(self, uow: UnitOfWork, kind: OwnerKind, identifier: str, display_name: str) -> Owner:
        """Development data (`vault dev-seed`): the owner with this identifier, recorded
        now if new. No officer registers them, so nothing is audited."""
        owner = uow.owners.by_identifier(identifier)
        if owner is None:
            owner = Owner(new_id(), kind, identifier, display_name, datetime.now(UTC))
            uow.owners.add(owner)
            uow.flush()
        return owner
