"""Background jobs: the state and progress of a job you asked for, and cancelling it.

A job's payload is never shown (it may hold personal data); its last error only to
administrators. Who may see or cancel a job: the account that asked for it, and
administrators (vault.services.jobs)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import ActorDep, UowDep
from vault.auth import Actor
from vault.jobs import Job, JobStatus, SubjectType
from vault.services.jobs import JobService

router = APIRouter(prefix="/jobs", tags=["jobs"])

_jobs = JobService()


class JobProgressOut(BaseModel):
    done: int = Field(ge=0, description="Steps done so far")
    total: int | None = Field(description="Steps in all; null while the job does not know")


class JobSubjectOut(BaseModel):
    type: SubjectType
    id: uuid.UUID


class JobOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(examples=["ocr"], description="What the job does")
    status: JobStatus = Field(
        description="`failed`: it will not run again by itself (an operator may replay it); "
        "`cancelled`: stopped on request"
    )
    subject: JobSubjectOut | None = Field(description="What the job is about, if anything")
    progress: JobProgressOut
    attempts: int = Field(ge=0, description="Attempts started so far")
    cancel_requested: bool = Field(description="Whether someone asked for the job to stop")
    last_error: str | None = Field(
        description="The last attempt's error; shown to administrators only (null otherwise)"
    )
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job, actor: Actor) -> JobOut:
        subject = job.subject
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            subject=JobSubjectOut(type=subject.type, id=subject.id) if subject else None,
            progress=JobProgressOut(done=job.progress_done, total=job.progress_total),
            attempts=job.attempts,
            cancel_requested=job.cancel_requested_at is not None,
            last_error=job.last_error if _jobs.shows_error(actor) else None,
            created_at=job.created_at,
            updated_at=job.updated_at,
            finished_at=job.finished_at,
        )


@router.get(
    "/{job_id}",
    summary="A background job you asked for: its status and progress",
    responses={404: {"description": "No such job"}},
)
def get_job(job_id: uuid.UUID, uow: UowDep, actor: ActorDep) -> JobOut:
    return JobOut.of(_jobs.get(uow, actor, job_id), actor)


@router.post(
    "/{job_id}/cancel",
    summary="Cancel a job you asked for (a running one stops at its next heartbeat)",
    responses={
        404: {"description": "No such job"},
        409: {"description": "The job has already ended"},
    },
)
def cancel_job(job_id: uuid.UUID, uow: UowDep, actor: ActorDep) -> JobOut:
    return JobOut.of(_jobs.cancel(uow, actor, job_id), actor)
