"""Consents (sự đồng ý): an owner lets an agency see papers of some types for a while."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vault.db.models import ConsentRow
from vault.domain import Consent


def consent_from_row(row: ConsentRow) -> Consent:
    return Consent(
        id=row.id,
        owner_id=row.owner_id,
        agency_code=row.agency_code,
        paper_types=tuple(t for t in row.paper_types.split(",") if t),
        purpose=row.purpose,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class ConsentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, consent: Consent) -> None:
        self._s.add(
            ConsentRow(
                id=consent.id,
                owner_id=consent.owner_id,
                agency_code=consent.agency_code,
                paper_types=",".join(consent.paper_types),
                purpose=consent.purpose,
                created_at=consent.created_at,
                expires_at=consent.expires_at,
                revoked_at=consent.revoked_at,
            )
        )

    def get(self, consent_id: uuid.UUID) -> Consent | None:
        row = self._s.get(ConsentRow, consent_id)
        return consent_from_row(row) if row else None

    def for_owner(self, owner_id: uuid.UUID) -> list[Consent]:
        rows = self._s.scalars(
            select(ConsentRow).where(ConsentRow.owner_id == owner_id).order_by(ConsentRow.id.desc())
        )
        return [consent_from_row(r) for r in rows]

    def active_for(self, owner_id: uuid.UUID, agency_code: str, at: datetime) -> list[Consent]:
        rows = self._s.scalars(
            select(ConsentRow).where(
                ConsentRow.owner_id == owner_id,
                ConsentRow.agency_code == agency_code,
                ConsentRow.revoked_at.is_(None),
                ConsentRow.expires_at > at,
            )
        )
        return [consent_from_row(r) for r in rows]

    def revoke(self, consent_id: uuid.UUID, at: datetime) -> None:
        self._s.execute(
            update(ConsentRow)
            .where(ConsentRow.id == consent_id, ConsentRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
