"""Retention periods, legal holds and disposal (thời hạn bảo quản, tạm giữ, hủy tài liệu)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from vault_client.types._base import VaultModel


class RetentionRule(VaultModel):
    """How long a paper type is kept (`years` None: permanently) and the rule it comes from."""

    paper_type: str
    years: int | None
    basis: str
    updated_at: datetime
    updated_by: str | None


class LegalHold(VaultModel):
    """A legal hold on a document (every version of it) or on an owner."""

    id: uuid.UUID
    document_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    reason: str
    placed_by: str
    placed_at: datetime
    active: bool
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None


class Tombstone(VaultModel):
    """What remains of a disposed document version: its hash and the approval."""

    document_id: uuid.UUID
    sha256: str
    size: int
    paper_type: str
    batch_id: uuid.UUID
    approved_by: str
    approved_at: datetime
    disposed_at: datetime


class DocumentRetention(VaultModel):
    document_id: uuid.UUID
    paper_type: str
    years: int | None
    basis: str | None
    retain_until: date | None
    holds: list[LegalHold]
    tombstone: Tombstone | None


class DisposalBatch(VaultModel):
    """A disposal list: `listed` (by a job), `approved` or `rejected`, then `disposed`."""

    id: uuid.UUID
    status: str
    as_of: date
    examined: int
    items: int
    listed_at: datetime
    listed_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    disposed_at: datetime | None
    has_record: bool


class DisposalItem(VaultModel):
    document_id: uuid.UUID
    owner_id: uuid.UUID
    paper_type: str
    version: int
    sha256: str
    size: int
    retain_until: date


class DisposalDetail(VaultModel):
    batch: DisposalBatch
    items: list[DisposalItem]
    tombstones: list[Tombstone]
