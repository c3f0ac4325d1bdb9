"""Owners of warehouses: looked up by exact identifier only, never listed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from vault import identifiers
from vault.db import UnitOfWork
from vault.domain import Owner, OwnerKind, new_id
from vault.errors import Conflict, InvalidInput, NotFound


def normalise_identifier(kind: OwnerKind, identifier: str) -> str:
    if kind is OwnerKind.CITIZEN:
        return identifiers.personal_id(identifier)
    return identifiers.tax_code(identifier)


class OwnerService:
    def register(
        self, uow: UnitOfWork, kind: OwnerKind, identifier: str, display_name: str
    ) -> tuple[Owner, bool]:
        """Idempotent on the identifier: returns (owner, created)."""
        identifier = normalise_identifier(kind, identifier)
        name = " ".join(display_name.split())
        if not name:
            raise InvalidInput("display_name", "a display name is required")
        existing = uow.owners.by_identifier(identifier)
        if existing is not None:
            if existing.kind is not kind:
                raise Conflict("this identifier is registered as another kind of owner")
            return existing, False
        owner = Owner(new_id(), kind, identifier, name, datetime.now(UTC))
        uow.owners.add(owner)
        uow.flush()
        return owner, True

    def lookup(self, uow: UnitOfWork, identifier: str) -> Owner:
        identifier = identifier.strip()
        if "-" in identifier or len(identifier) == 10:
            identifier = identifiers.tax_code(identifier)
        else:
            identifier = identifiers.personal_id(identifier)
        owner = uow.owners.by_identifier(identifier)
        if owner is None:
            raise NotFound("no owner has this identifier")
        return owner

    def get(self, uow: UnitOfWork, owner_id: uuid.UUID) -> Owner:
        owner = uow.owners.get(owner_id)
        if owner is None:
            raise NotFound("no such owner")
        return owner
