"""Export packages' rows (fetched with `uow.repository(ExportRepository)`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vault.db.export_models import ExportRow
from vault.domain import Export, ExportStatus


def _export(row: ExportRow) -> Export:
    return Export(
        id=row.id,
        owner_id=row.owner_id,
        requested_by=row.requested_by,
        job_id=row.job_id,
        include_superseded=row.include_superseded,
        status=ExportStatus(row.status),
        created_at=row.created_at,
        object_key=row.object_key,
        key_id=row.key_id,
        size=row.size,
        sha256=row.sha256,
        documents=row.documents,
        bytes_sent=row.bytes_sent,
        error=row.error,
        ready_at=row.ready_at,
        expires_at=row.expires_at,
        downloaded_at=row.downloaded_at,
        deleted_at=row.deleted_at,
    )


class ExportRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, export: Export) -> None:
        self._session.add(
            ExportRow(
                id=export.id,
                owner_id=export.owner_id,
                requested_by=export.requested_by,
                job_id=export.job_id,
                include_superseded=export.include_superseded,
                status=export.status.value,
                bytes_sent=0,
                created_at=export.created_at,
            )
        )
        self._session.flush()

    def get(self, export_id: uuid.UUID) -> Export | None:
        row = self._session.get(ExportRow, export_id)
        return _export(row) if row else None

    def wrapped_key(self, export_id: uuid.UUID) -> bytes | None:
        row = self._session.get(ExportRow, export_id)
        return row.wrapped_key if row else None

    def by_token(self, token_sha256: str, *, lock: bool = False) -> Export | None:
        query = select(ExportRow).where(ExportRow.token_sha256 == token_sha256)
        if lock:
            query = query.with_for_update()
        row = self._session.scalars(query).first()
        return _export(row) if row else None

    def for_owner(self, owner_id: uuid.UUID, limit: int = 50) -> list[Export]:
        rows = self._session.scalars(
            select(ExportRow)
            .where(ExportRow.owner_id == owner_id)
            .order_by(ExportRow.created_at.desc(), ExportRow.id.desc())
            .limit(limit)
        )
        return [_export(r) for r in rows]

    def set_job(self, export_id: uuid.UUID, job_id: uuid.UUID) -> None:
        self._set(export_id, job_id=job_id)

    def set_ready(
        self,
        export_id: uuid.UUID,
        *,
        object_key: str,
        key_id: str,
        wrapped_key: bytes,
        size: int,
        sha256: str,
        documents: int,
        ready_at: datetime,
        expires_at: datetime,
    ) -> bool:
        """Only a pending export becomes ready (a retried job never overwrites one)."""
        result = self._session.execute(
            update(ExportRow)
            .where(ExportRow.id == export_id, ExportRow.status == ExportStatus.PENDING.value)
            .values(
                status=ExportStatus.READY.value,
                object_key=object_key,
                key_id=key_id,
                wrapped_key=wrapped_key,
                size=size,
                sha256=sha256,
                documents=documents,
                ready_at=ready_at,
                expires_at=expires_at,
            )
            .execution_options(synchronize_session=False)
        )
        self._session.expire_all()
        return bool(getattr(result, "rowcount", 0))

    def set_token(self, export_id: uuid.UUID, token_sha256: str) -> None:
        self._set(export_id, token_sha256=token_sha256)

    def set_failed(self, export_id: uuid.UUID, error: str) -> None:
        self._set(export_id, status=ExportStatus.FAILED.value, error=error[:500])

    def add_sent(self, export_id: uuid.UUID, count: int) -> None:
        self._session.execute(
            update(ExportRow)
            .where(ExportRow.id == export_id)
            .values(bytes_sent=ExportRow.bytes_sent + count)
            .execution_options(synchronize_session=False)
        )
        self._session.expire_all()

    def close(self, export_id: uuid.UUID, status: ExportStatus, at: datetime) -> bool:
        """Ends a ready export (downloaded or expired) and forgets its key and token; False if
        it had already ended."""
        values: dict[str, object] = {
            "status": status.value,
            "deleted_at": at,
            "wrapped_key": None,
            "token_sha256": None,
        }
        if status is ExportStatus.DOWNLOADED:
            values["downloaded_at"] = at
        result = self._session.execute(
            update(ExportRow)
            .where(ExportRow.id == export_id, ExportRow.status == ExportStatus.READY.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        self._session.expire_all()
        return bool(getattr(result, "rowcount", 0))

    def expired(self, now: datetime, limit: int = 100) -> list[Export]:
        rows = self._session.scalars(
            select(ExportRow)
            .where(ExportRow.status == ExportStatus.READY.value, ExportRow.expires_at <= now)
            .limit(limit)
        )
        return [_export(r) for r in rows]

    def _set(self, export_id: uuid.UUID, **values: object) -> None:
        self._session.execute(
            update(ExportRow)
            .where(ExportRow.id == export_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        self._session.expire_all()
