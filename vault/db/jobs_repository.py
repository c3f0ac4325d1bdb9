"""Queries of the job queue.

Claiming is one UPDATE whose subquery picks the job: on PostgreSQL the subquery locks the row
`FOR UPDATE SKIP LOCKED`, so concurrent workers each get a different job without waiting on
each other; on SQLite the UPDATE takes the database's single write lock before it reads, so
two claims run one after the other and the second sees the first one's lease.

Every state change after a claim names the lease owner: a worker whose lease expired (and
whose job someone else took over) changes nothing, and learns so from the return value.
A job whose cancellation was asked for while it ran ends `cancelled` instead of going back
to the queue (retry, release).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from vault.db.job_models import JobRow
from vault.domain import new_id
from vault.jobs.model import Job, JobStatus, JobSubject, SubjectType
from vault.metrics import QueueState
from vault.request_context import current_request_id

_ERROR_LENGTH = 1000


def job_from_row(row: JobRow) -> Job:
    subject = None
    if row.subject_type is not None and row.subject_id is not None:
        subject = JobSubject(SubjectType(row.subject_type), row.subject_id)
    return Job(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        subject=subject,
        requested_by=row.requested_by,
        request_id=row.request_id,
        status=JobStatus(row.status),
        attempts=row.attempts,
        run_after=row.run_after,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        last_error=row.last_error,
        progress_done=row.progress_done,
        progress_total=row.progress_total,
        cancel_requested_at=row.cancel_requested_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _clip(error: str) -> str:
    return error if len(error) <= _ERROR_LENGTH else error[: _ERROR_LENGTH - 1] + "…"


# Back to the queue, unless someone asked for the job to stop meanwhile.
_REQUEUED = case(
    (JobRow.cancel_requested_at.is_(None), JobStatus.PENDING.value),
    else_=JobStatus.CANCELLED.value,
)


def _finished_unless_requeued(now: datetime) -> Any:
    return case((JobRow.cancel_requested_at.is_(None), None), else_=now)


class JobRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        subject: JobSubject | None = None,
        requested_by: uuid.UUID | None = None,
        request_id: str | None = None,
        run_after: datetime | None = None,
    ) -> uuid.UUID:
        """Adds a pending job to this transaction: it exists only if the transaction commits."""
        now = _now()
        job_id = new_id()
        self._s.add(
            JobRow(
                id=job_id,
                kind=kind,
                payload=dict(payload or {}),
                subject_type=subject.type.value if subject else None,
                subject_id=subject.id if subject else None,
                requested_by=requested_by,
                # Else the request being served queued it (None outside a request).
                request_id=request_id if request_id is not None else current_request_id(),
                status=JobStatus.PENDING.value,
                attempts=0,
                run_after=run_after or now,
                progress_done=0,
                created_at=now,
                updated_at=now,
            )
        )
        return job_id

    def claim(
        self,
        kinds: Collection[str],
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
            .where(JobRow.kind.in_(sorted(kinds)), due)
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

    def heartbeat(
        self,
        job_id: uuid.UUID,
        worker: str,
        lease: timedelta,
        *,
        progress: tuple[int, int | None] | None = None,
    ) -> bool | None:
        """Renews the lease (and records progress, done of total); None if the job is no
        longer this worker's, else whether its cancellation was asked for."""
        now = _now()
        values: dict[str, object] = {"updated_at": now, "lease_expires_at": now + lease}
        if progress is not None:
            values["progress_done"], values["progress_total"] = progress
        requested = self._s.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.status == JobStatus.RUNNING.value,
                JobRow.lease_owner == worker,
            )
            .values(**values)
            .returning(JobRow.cancel_requested_at)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        if requested is None:
            return None
        return requested[0] is not None

    def extend_lease(self, job_id: uuid.UUID, worker: str, lease: timedelta) -> bool:
        """Renews the lease; False if the job is no longer this worker's."""
        return self.heartbeat(job_id, worker, lease) is not None

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
        now = _now()
        return self._leased(
            job_id,
            worker,
            now,
            status=_REQUEUED,
            run_after=run_after,
            lease_owner=None,
            lease_expires_at=None,
            last_error=_clip(error),
            finished_at=_finished_unless_requeued(now),
        )

    def park(self, job_id: uuid.UUID, worker: str, error: str) -> bool:
        """Fails the job for good (the dead letter), keeping its error for an operator."""
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

    def cancelled(self, job_id: uuid.UUID, worker: str) -> bool:
        """The worker stopped the job on its cancel request."""
        now = _now()
        return self._leased(
            job_id,
            worker,
            now,
            status=JobStatus.CANCELLED.value,
            lease_owner=None,
            lease_expires_at=None,
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
            status=_REQUEUED,
            run_after=now,
            attempts=JobRow.attempts - 1,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=_finished_unless_requeued(now),
        )

    def request_cancel(self, job_id: uuid.UUID) -> Job | None:
        """A pending job is cancelled at once; a running one is asked to stop (its worker sees
        the request at its next heartbeat). A finished job is left as it is."""
        now = _now()
        self._s.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == JobStatus.PENDING.value)
            .values(
                status=JobStatus.CANCELLED.value,
                cancel_requested_at=now,
                updated_at=now,
                finished_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        self._s.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.status == JobStatus.RUNNING.value,
                JobRow.cancel_requested_at.is_(None),
            )
            .values(cancel_requested_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return self.get(job_id)

    def replay(self, job_id: uuid.UUID) -> bool:
        """Queues a failed or cancelled job again, with its attempts starting over."""
        now = _now()
        result = self._s.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.status.in_([JobStatus.FAILED.value, JobStatus.CANCELLED.value]),
            )
            .values(
                status=JobStatus.PENDING.value,
                attempts=0,
                run_after=now,
                progress_done=0,
                progress_total=None,
                cancel_requested_at=None,
                finished_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def find(
        self,
        *,
        status: JobStatus | None = None,
        kind: str | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """The most recent jobs first."""
        q = select(JobRow).order_by(JobRow.id.desc()).limit(limit)
        if status is not None:
            q = q.where(JobRow.status == status.value)
        if kind is not None:
            q = q.where(JobRow.kind == kind)
        return [job_from_row(r) for r in self._s.scalars(q)]

    def latest_for(self, document_ids: Sequence[uuid.UUID], kind: str) -> dict[uuid.UUID, Job]:
        """The most recent job of `kind` about each document (ids are time-ordered)."""
        if not document_ids:
            return {}
        # A window, not max(id): PostgreSQL has no max() over uuid.
        ranked = (
            select(
                JobRow.id,
                func.row_number()
                .over(partition_by=JobRow.subject_id, order_by=JobRow.id.desc())
                .label("rank"),
            )
            .where(
                JobRow.subject_type == SubjectType.DOCUMENT.value,
                JobRow.subject_id.in_(document_ids),
                JobRow.kind == kind,
            )
            .subquery()
        )
        rows = self._s.scalars(
            select(JobRow).join(ranked, JobRow.id == ranked.c.id).where(ranked.c.rank == 1)
        )
        return {row.subject_id: job_from_row(row) for row in rows if row.subject_id}

    def for_subject(self, subject: JobSubject) -> list[Job]:
        rows = self._s.scalars(
            select(JobRow)
            .where(JobRow.subject_type == subject.type.value, JobRow.subject_id == subject.id)
            .order_by(JobRow.id)
        )
        return [job_from_row(r) for r in rows]

    def for_document(self, document_id: uuid.UUID) -> list[Job]:
        return self.for_subject(JobSubject.document(document_id))

    def queue_states(self, now: datetime | None = None) -> list[QueueState]:
        """Per kind: jobs waiting and running, and how long the oldest waiting one has."""
        now = now or _now()
        q = (
            select(JobRow.kind, JobRow.status, func.count(), func.min(JobRow.created_at))
            .where(JobRow.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]))
            .group_by(JobRow.kind, JobRow.status)
        )
        found: dict[str, list[Any]] = {}
        for kind, status, count, oldest in self._s.execute(q):
            state = found.setdefault(kind, [0, 0, 0.0])
            if status == JobStatus.PENDING.value:
                state[0] = int(count)
                state[2] = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
            else:
                state[1] = int(count)
        return [QueueState(k, v[0], v[1], v[2]) for k, v in sorted(found.items())]

    def counts(self, kind: str | None = None) -> dict[JobStatus, int]:
        q = select(JobRow.status, func.count()).group_by(JobRow.status)
        if kind is not None:
            q = q.where(JobRow.kind == kind)
        counts = {status: 0 for status in JobStatus}
        for status, count in self._s.execute(q):
            counts[JobStatus(status)] = int(count)
        return counts
