"""Background jobs (việc chạy nền): a queue in the metadata database.

A job is written in the transaction that creates its subject (an OCR job with its document),
so none is ever lost. Workers claim one job at a time under a lease: a worker that dies
mid-job stops renewing it, and once the lease has expired another worker takes the job over.
A failed attempt is retried after an exponential backoff; a job that keeps failing, or fails
on input that will never be readable, is parked as `failed` with its last error.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker (new, or a retry after its backoff)
    RUNNING = "running"  # claimed: a worker holds the lease
    DONE = "done"
    FAILED = "failed"  # parked: will not run again by itself


class JobKind(StrEnum):
    OCR = "ocr"  # recognise a document's text, store it and index it for search


@dataclass(frozen=True, slots=True)
class Job:
    id: uuid.UUID
    kind: JobKind
    document_id: uuid.UUID
    status: JobStatus
    attempts: int  # attempts started, this one included once claimed
    run_after: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next attempt: base * 2^(attempts - 1), capped, with full jitter in its
    upper half so that jobs failing together do not come back together."""
    delay: float = min(cap, base * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not a secret
