"""Owners (chủ sở hữu kho), their identification numbers sealed at rest."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.models import OwnerRow
from vault.domain import Owner, OwnerKind
from vault.personal_data import IdentifierCipher


class OwnerRepository:
    """Owners, with their identification numbers sealed at rest (vault.personal_data)."""

    def __init__(self, session: Session, cipher: IdentifierCipher) -> None:
        self._s = session
        self._cipher = cipher

    def _owner(self, row: OwnerRow) -> Owner:
        identifier = self._cipher.open(row.id, row.identifier_key_id, row.identifier_sealed)
        return Owner(row.id, OwnerKind(row.kind), identifier, row.display_name, row.created_at)

    def get(self, owner_id: uuid.UUID) -> Owner | None:
        row = self._s.get(OwnerRow, owner_id)
        return self._owner(row) if row else None

    def exists(self, owner_id: uuid.UUID) -> bool:
        """Whether the owner is on record, without loading the row or opening its sealed
        personal number (an upload's check needs no more)."""
        return self._s.scalar(select(OwnerRow.id).where(OwnerRow.id == owner_id)) is not None

    def get_many(self, owner_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Owner]:
        """Several owners in one query (the portal sync's batch of events)."""
        if not owner_ids:
            return {}
        rows = self._s.scalars(select(OwnerRow).where(OwnerRow.id.in_(list(owner_ids))))
        return {row.id: self._owner(row) for row in rows}

    def by_identifier(self, identifier: str) -> Owner | None:
        """Exact match on the blind index (under each configured key, for rows a rotation
        has not reached yet): as fast as the unique index on the number was."""
        indexes = self._cipher.indexes(identifier)
        row = self._s.scalar(
            select(OwnerRow).where(OwnerRow.identifier_index.in_(indexes)).limit(1)
        )
        return self._owner(row) if row else None

    def add(self, owner: Owner) -> None:
        sealed = self._cipher.seal(owner.id, owner.identifier)
        self._s.add(
            OwnerRow(
                id=owner.id,
                kind=owner.kind.value,
                identifier_key_id=sealed.key_id,
                identifier_sealed=sealed.sealed,
                identifier_index=sealed.index,
                display_name=owner.display_name,
                created_at=owner.created_at,
            )
        )

    def reseal_batch(self, limit: int) -> int:
        """Reseals and re-indexes up to `limit` rows not under the active key; how many."""
        active = self._cipher.active_key_id
        rows = self._s.scalars(
            select(OwnerRow)
            .where(OwnerRow.identifier_key_id != active)
            .order_by(OwnerRow.id)
            .limit(limit)
        ).all()
        for row in rows:
            identifier = self._cipher.open(row.id, row.identifier_key_id, row.identifier_sealed)
            sealed = self._cipher.seal(row.id, identifier)
            row.identifier_key_id = sealed.key_id
            row.identifier_sealed = sealed.sealed
            row.identifier_index = sealed.index
        self._s.flush()
        return len(rows)
