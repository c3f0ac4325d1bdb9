"""Background jobs the caller asked for (an OCR, later imports and exports)."""

from __future__ import annotations

import uuid
from datetime import datetime

from vault_client.types._base import VaultModel


class JobProgress(VaultModel):
    done: int
    total: int | None  # None while the job does not know


class JobSubject(VaultModel):
    type: str  # "document", "dossier", "owner" or "batch"
    id: uuid.UUID


class Job(VaultModel):
    """`status`: "pending", "running", "done", "failed" (it will not run again by itself) or
    "cancelled". `last_error` is shown to administrators only."""

    id: uuid.UUID
    kind: str
    status: str
    subject: JobSubject | None
    progress: JobProgress
    attempts: int
    cancel_requested: bool
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")
