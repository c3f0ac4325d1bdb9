"""Queries of the job queue.

Claiming is one UPDATE whose subquery picks the job: on PostgreSQL the subquery locks the row
`FOR UPDATE SKIP LOCKED`, so concurrent workers each get a different job without waiting on
each other; on SQLite the UPDATE takes the database's single write lock before it reads, so
two claims run one after the other and the second sees the first one's lease.

Every state change after a claim names the lease owner: a worker whose lease expired (and
whose job someone else took over) changes nothing, and learns so from the return value.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from vault.db.job_models import JobRow
from vault.domain import new_id
from vault.jobs import Job, JobKind, JobStatus

_ERROR_LENGTH = 1000


def job_from_row(row: JobRow) -> Job:
    return Job(
        id=row.id,
        kind=JobKind(row.kind),
        document_id=row.document_id,
        status=JobStatus(row.status),
        attempts=row.attempts,
        run_after=row.run_after,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _clip(error: str) -> str:
    return error if len(error) <= _ERROR_LENGTH else error[: _ERROR_LENGTH - 1] + "…"


class JobRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def enqueue(
        self, kind: JobKind, document_id: uuid.UUID, *, run_after: datetime | None = None
    ) -> uuid.UUID:
        """Adds a pending job to this transaction: it exists only if the transaction commits."""
        now = _now()
        job_id = new_id()
        self._s.add(
            JobRow(
                id=job_id,
                kind=kind.value,
                document_id=document_id,
                status=JobStatus.PENDING.value,
                attempts=0,
                run_after=run_after or now,
                created_at=now,
                updated_at=now,
            )
        )
        return job_id

    def claim(
        self,
        kinds: Collection[JobKind],
        worker: str,
        lease: timedelta,
        *,
        now: datetime | None = None,
    ) -> Job | None:
        """Takes the next due job (pending and due, or running with an expired lease) and
        leases it to `worker`; None when there is none. Commit right after: the lease is what
        keeps other workers off the job, and it only shows once committed."""
        now = now or _now()
        due = or_(
            and_(JobRow.status == JobStatus.PENDING.value, JobRow.run_after <= now),
            and_(JobRow.status == JobStatus.RUNNING.value, JobRow.lease_expires_at < now),
        )
        pick = (
            select(JobRow.id)
            .where(JobRow.kind.in_(sorted(k.value for k in kinds)), due)
            .order_by(JobRow.run_after, JobRow.id)
            .limit(1)
            # Rendered on PostgreSQL only; SQLite serialises writers instead.
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claimed = self._s.execute(
            update(JobRow)
            .where(JobRow.id == pick)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=JobRow.attempts + 1,
                lease_owner=worker,
                lease_expires_at=now + lease,
                updated_at=now,
            )
            .returning(JobRow.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if claimed is None:
            return None
        return self.get(claimed)

    def get(self, job_id: uuid.UUID) -> Job | None:
        row = self._s.scalar(
            select(JobRow).where(JobRow.id == job_id).execution_options(populate_existing=True)
        )
        return job_from_row(row) if row else None

    def _leased(self, job_id: uuid.UUID, worker: str, now: datetime, **values: object) -> bool:
        result = self._s.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.status == JobStatus.RUNNING.value,
                JobRow.lease_owner == worker,
            )
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def extend_lease(self, job_id: uuid.UUID, worker: str, lease: timedelta) -> bool:
        """Renews the lease; False if the job is no longer this worker's."""
        now = _now()
        return self._leased(job_id, worker, now, lease_expires_at=now + lease)

    def finish(self, job_id: uuid.UUID, worker: str) -> bool:
        now = _now()
        return self._leased(
            job_id,
            worker,
            now,
            status=JobStatus.DONE.value,
            lease_owner=None,
            lease_expires_at=None,
            last_error=None,
            finished_at=now,
        )

    def retry_later(self, job_id: uuid.UUID, worker: str, error: str, run_after: datetime) -> bool:
        return self._leased(
            job_id,
            worker,
            _now(),
            status=JobStatus.PENDING.value,
            run_after=run_after,
            lease_owner=None,
            lease_expires_at=None,
            last_error=_clip(error),
        )

    def park(self, job_id: uuid.UUID, worker: str, error: str) -> bool:
        """Fails the job for good, keeping its error for whoever looks at the document."""
        now = _now()
        return self._leased(
            job_id,
            worker,
            now,
            status=JobStatus.FAILED.value,
            lease_owner=None,
            lease_expires_at=None,
            last_error=_clip(error),
            finished_at=now,
        )

    def release(self, job_id: uuid.UUID, worker: str) -> bool:
        """Gives an unfinished job back (the worker is stopping): due at once, and the attempt
        it had started does not count."""
        now = _now()
        return self._leased(
            job_id,
            worker,
            now,
            status=JobStatus.PENDING.value,
            run_after=now,
            attempts=JobRow.attempts - 1,
            lease_owner=None,
            lease_expires_at=None,
        )

    def latest_for(self, document_ids: Sequence[uuid.UUID], kind: JobKind) -> dict[uuid.UUID, Job]:
        """The most recent job of `kind` of each document (ids are time-ordered)."""
        if not document_ids:
            return {}
        # A window, not max(id): PostgreSQL has no max() over uuid.
        ranked = (
            select(
                JobRow.id,
                func.row_number()
                .over(partition_by=JobRow.document_id, order_by=JobRow.id.desc())
                .label("rank"),
            )
            .where(JobRow.document_id.in_(document_ids), JobRow.kind == kind.value)
            .subquery()
        )
        rows = self._s.scalars(
            select(JobRow).join(ranked, JobRow.id == ranked.c.id).where(ranked.c.rank == 1)
        )
        return {row.document_id: job_from_row(row) for row in rows}

    def for_document(self, document_id: uuid.UUID) -> list[Job]:
        rows = self._s.scalars(
            select(JobRow).where(JobRow.document_id == document_id).order_by(JobRow.id)
        )
        return [job_from_row(r) for r in rows]

    def counts(self, kind: JobKind | None = None) -> dict[JobStatus, int]:
        q = select(JobRow.status, func.count()).group_by(JobRow.status)
        if kind is not None:
            q = q.where(JobRow.kind == kind.value)
        counts = {status: 0 for status in JobStatus}
        for status, count in self._s.execute(q):
            counts[JobStatus(status)] = int(count)
        return counts
