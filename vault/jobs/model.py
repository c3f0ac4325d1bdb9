"""Background jobs (việc chạy nền): what a job is, and its life cycle.

A job is written in the transaction that asks for it (an OCR job with its document), so none
is ever lost. It has a kind (a string: the package that handles it registers its kind), a
JSON payload, an optional subject (the document, dossier, owner or batch it is about), the
account and the request that asked for it.

    pending --claim--> running --done--> done
       ^                  |  \\--error--> pending (after a backoff) ... failed (dead letter)
       |                  \\--cancel request seen--> cancelled
       \\---- replay (an operator) ---- failed | cancelled

Workers claim one job at a time under a lease they renew by heartbeats: a worker that dies
mid-job stops renewing it, and once the lease has expired another worker takes the job over.
A failed attempt is retried after an exponential backoff with jitter; a job that keeps
failing, or fails on input that will never work, is parked as `failed` with its last error.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

# The vault queues OCR for every document it stores; the `ocr` package handles the kind.
OCR_KIND: Final = "ocr"


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker (new, or a retry after its backoff)
    RUNNING = "running"  # claimed: a worker holds the lease
    DONE = "done"
    FAILED = "failed"  # parked (dead letter): will not run again unless replayed
    CANCELLED = "cancelled"  # stopped on request: will not run again unless replayed

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class SubjectType(StrEnum):
    DOCUMENT = "document"
    DOSSIER = "dossier"
    OWNER = "owner"
    BATCH = "batch"


@dataclass(frozen=True, slots=True)
class JobSubject:
    """What a job is about."""

    type: SubjectType
    id: uuid.UUID

    @classmethod
    def document(cls, document_id: uuid.UUID) -> JobSubject:
        return cls(SubjectType.DOCUMENT, document_id)


@dataclass(frozen=True, slots=True)
class Job:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    subject: JobSubject | None
    requested_by: uuid.UUID | None
    request_id: str | None
    status: JobStatus
    attempts: int  # attempts started, this one included once claimed
    run_after: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None
    progress_done: int
    progress_total: int | None
    cancel_requested_at: datetime | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def document_id(self) -> uuid.UUID | None:
        """The subject's id when the job is about a document."""
        if self.subject is None or self.subject.type is not SubjectType.DOCUMENT:
            return None
        return self.subject.id


@dataclass(frozen=True, slots=True)
class JobPolicy:
    """How a kind's jobs are run: the lease a worker holds and renews, how many attempts a
    job gets, and the backoff between them."""

    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 5
    retry_base_seconds: float = 10.0
    retry_max_seconds: float = 600.0


class PermanentJobError(Exception):
    """The job's input will never work: the job is parked at once, without retries. Raise it
    `from` the error that says why; the job's last error is that one's."""


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next attempt: base * 2^(attempts - 1), capped, with full jitter in its
    upper half so that jobs failing together do not come back together."""
    delay: float = min(cap, base * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not a secret
