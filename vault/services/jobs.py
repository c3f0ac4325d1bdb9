"""Background jobs seen from outside the runner: their state and progress, cancelling them,
and the operator's dead-letter tools (list, replay).

Who may see or cancel a job: the account that asked for it, and administrators. Reads and
refusals are audited like other reads. A job's payload is never shown (it may hold personal
data); its last error only to administrators and operators.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from vault.audit import AuditDraft, Outcome
from vault.auth import Actor, Role
from vault.errors import Conflict, NotFound, PermissionDenied
from vault.jobs import Job, JobStatus, JobSubject, SubjectType
from vault.metrics import QueueState

if TYPE_CHECKING:
    from vault.db import UnitOfWork

# Operators act through the `vault jobs` command, on the server itself.
OPERATOR = "operator (vault jobs)"


def _entry(job: Job, action: str, actor: Actor | None, outcome: str, detail: str) -> AuditDraft:
    """The audit entry of an action on a job, linked to what the job is about."""
    subject = job.subject
    links: dict[SubjectType, uuid.UUID] = {subject.type: subject.id} if subject else {}
    return AuditDraft(
        action=action,
        outcome=outcome,
        actor_id=str(actor.account_id) if actor else None,
        actor_name=actor.name if actor else OPERATOR,
        client_id=actor.client_id if actor else None,
        agency_code=actor.agency_code if actor else None,
        role=actor.role_label if actor else "system",
        owner_id=links.get(SubjectType.OWNER),
        document_id=links.get(SubjectType.DOCUMENT),
        dossier_id=links.get(SubjectType.DOSSIER),
        detail=detail,
    )


class JobService:
    def _allowed(self, uow: UnitOfWork, actor: Actor, job_id: uuid.UUID, action: str) -> Job:
        job = uow.jobs.get(job_id)
        if job is None:
            raise NotFound("no such job")
        if actor.account_id != job.requested_by and not actor.has(Role.ADMINISTRATOR):
            reason = "only the account that asked for a job, or an administrator, may see it"
            uow.record(
                _entry(job, action, actor, Outcome.DENIED, f"{job.kind} job {job.id}: {reason}")
            )
            raise PermissionDenied(reason)
        return job

    def shows_error(self, actor: Actor) -> bool:
        """Whether `actor` may read a job's last error (it may name files and systems)."""
        return actor.has(Role.ADMINISTRATOR)

    def get(self, uow: UnitOfWork, actor: Actor, job_id: uuid.UUID) -> Job:
        """A job's state and progress, for whoever asked for it or an administrator."""
        job = self._allowed(uow, actor, job_id, "job.read")
        uow.record(_entry(job, "job.read", actor, Outcome.OK, f"{job.kind} job {job.id}"))
        return job

    def cancel(self, uow: UnitOfWork, actor: Actor, job_id: uuid.UUID) -> Job:
        """Cancels a pending job at once; asks a running one to stop (its handler sees the
        request at its next heartbeat). Conflict when the job has already ended."""
        job = self._allowed(uow, actor, job_id, "job.cancel")
        job = self._cancel(uow, job)
        uow.record(_entry(job, "job.cancel", actor, Outcome.OK, f"{job.kind} job {job.id}"))
        return job

    def cancel_as_operator(self, uow: UnitOfWork, job_id: uuid.UUID) -> Job:
        job = uow.jobs.get(job_id)
        if job is None:
            raise NotFound("no such job")
        job = self._cancel(uow, job)
        uow.record(_entry(job, "job.cancel", None, Outcome.OK, f"{job.kind} job {job.id}"))
        return job

    def _cancel(self, uow: UnitOfWork, job: Job) -> Job:
        if job.status.finished:
            raise Conflict(f"the job has already ended ({job.status.value})")
        cancelled = uow.jobs.request_cancel(job.id)
        assert cancelled is not None  # it was there a moment ago, and jobs are never deleted
        return cancelled

    def replay(self, uow: UnitOfWork, job_id: uuid.UUID) -> Job:
        """Queues a failed (dead-letter) or cancelled job again, its attempts starting over."""
        job = uow.jobs.get(job_id)
        if job is None:
            raise NotFound("no such job")
        if not uow.jobs.replay(job_id):
            raise Conflict(
                f"only a failed or cancelled job can be replayed; this one is {job.status.value}"
            )
        uow.record(_entry(job, "job.replay", None, Outcome.OK, f"{job.kind} job {job.id}"))
        replayed = uow.jobs.get(job_id)
        assert replayed is not None
        return replayed

    def find(
        self,
        uow: UnitOfWork,
        *,
        status: JobStatus | None = None,
        kind: str | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """The most recent jobs first (the operator's view: `vault jobs list`)."""
        return uow.jobs.find(status=status, kind=kind, limit=limit)

    def queue_states(self, uow: UnitOfWork) -> list[QueueState]:
        """What /metrics shows of the queues: no job's content, only counts and ages."""
        return uow.jobs.queue_states()


def enqueue(
    uow: UnitOfWork,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    subject: JobSubject | None = None,
    requested_by: uuid.UUID | None = None,
) -> uuid.UUID:
    """Queues a job in this unit of work: it exists only if the unit of work commits (so it
    is written with its subject, and never lost)."""
    return uow.jobs.enqueue(kind, payload, subject=subject, requested_by=requested_by)


def latest_for(
    uow: UnitOfWork, document_ids: Sequence[uuid.UUID], kind: str
) -> dict[uuid.UUID, Job]:
    """The most recent job of `kind` of each document that has one."""
    return uow.jobs.latest_for(document_ids, kind)
