"""Exports: an owner's own copy of their warehouse."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from vault_client.types._base import VaultModel


class Export(VaultModel):
    """`status`: "pending" (the job builds it: follow `job_id` with `client.jobs.get`),
    "ready" (take a link, download it once before `expires_at`), "downloaded" or "expired"
    (the package is deleted), "failed" (`error` says why)."""

    id: uuid.UUID
    status: str
    job_id: uuid.UUID | None
    include_superseded: bool
    created_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None
    downloaded_at: datetime | None
    documents: int | None
    size: int | None
    sha256: str | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status != "pending"


class ExportLink(VaultModel):
    """A one-time download link: it works until the whole package has arrived once."""

    url: str
    token: str
    expires_at: datetime | None
    size: int | None
    sha256: str | None


class ExportDownload(VaultModel):
    export_id: uuid.UUID
    path: Path | None
    size: int
    sha256: str
    verified: bool  # the SHA-256 of what arrived matched the vault's
