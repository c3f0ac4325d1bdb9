"""Batch import (nhập lô số hóa): scanned batches, their progress, and the parts in review."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from vault_client.types._base import VaultModel


class ImportProgress(VaultModel):
    pages: int | None
    pages_done: int
    parts: int  # parts queued for review (once the batch is done)
    errors: int  # damaged pages
    pages_per_minute: float | None
    eta_seconds: float | None


class ImportBatch(VaultModel):
    """`status`: "queued", "running", "done" (its parts wait in the review queue) or
    "failed" (the file itself cannot be read; `error` says why)."""

    id: uuid.UUID
    file_name: str
    media_type: str
    sha256: str
    status: str
    progress: ImportProgress
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class ImportField(VaultModel):
    name: str  # full_name, date_of_birth, id_number, reference_number, issue_date
    value: str
    confidence: float
    flagged: bool  # failed validation or low confidence: check it
    problems: list[str]


class ImportPart(VaultModel):
    """One paper cut from a batch. `status`: "pending", "approved" (`document_id` is the
    paper it became) or "rejected"."""

    id: uuid.UUID
    batch_id: uuid.UUID
    seq: int
    pages: list[int]
    rotation: int
    owner_id: uuid.UUID | None
    paper_type: str | None
    suggested_type: str | None
    dossier_id: uuid.UUID | None
    result_reference: str | None
    fields: list[ImportField]
    problems: list[str]
    status: str
    document_id: uuid.UUID | None
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None

    def field(self, name: str) -> ImportField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class SeparatorSheet:
    """What a separator sheet's QR code says of the paper after it: its owner (the opaque
    id, never the personal number), and if known its type, dossier or result reference."""

    owner_id: uuid.UUID | str
    paper_type: str | None = None
    dossier_id: uuid.UUID | str | None = None
    result_reference: str | None = None
