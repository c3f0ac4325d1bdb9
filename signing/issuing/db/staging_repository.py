"""Rows of staged scans (`staging_models`), on a unit of work's session:
`uow.repository(StagingRepository)`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from signing.issuing.db.staging_models import StagedScansRow


@dataclass(frozen=True, slots=True)
class StagedScansRecord:
    id: uuid.UUID
    account_id: uuid.UUID
    owner_id: uuid.UUID
    object_key: str
    files: int
    size: int
    sha256: str
    key_id: str
    wrapped_key: bytes
    created_at: datetime
    expires_at: datetime


def _record(row: StagedScansRow) -> StagedScansRecord:
    return StagedScansRecord(
        row.id,
        row.account_id,
        row.owner_id,
        row.object_key,
        row.files,
        row.size,
        row.sha256,
        row.key_id,
        row.wrapped_key,
        row.created_at,
        row.expires_at,
    )


class StagingRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: StagedScansRecord) -> None:
        self._session.add(
            StagedScansRow(
                id=record.id,
                account_id=record.account_id,
                owner_id=record.owner_id,
                object_key=record.object_key,
                files=record.files,
                size=record.size,
                sha256=record.sha256,
                key_id=record.key_id,
                wrapped_key=record.wrapped_key,
                created_at=record.created_at,
                expires_at=record.expires_at,
            )
        )

    def get(self, staged_id: uuid.UUID) -> StagedScansRecord | None:
        row = self._session.get(StagedScansRow, staged_id)
        return _record(row) if row is not None else None

    def remove(self, staged_id: uuid.UUID) -> None:
        self._session.execute(delete(StagedScansRow).where(StagedScansRow.id == staged_id))

    def expired(self, now: datetime, limit: int) -> list[StagedScansRecord]:
        rows = self._session.scalars(
            select(StagedScansRow)
            .where(StagedScansRow.expires_at <= now)
            .order_by(StagedScansRow.expires_at)
            .limit(limit)
        )
        return [_record(row) for row in rows]
