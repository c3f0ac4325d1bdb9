"""Request and response bodies of retention, legal holds and disposal."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import Text
from vault.retention import DisposalBatch, DisposalItem, LegalHold, RetentionRule, Tombstone
from vault.services.retention import DocumentRetention


class RetentionRuleOut(BaseModel):
    paper_type: str
    years: int | None = Field(description="null: kept permanently (bảo quản vĩnh viễn)")
    basis: str = Field(description="the rule the period comes from")
    updated_at: datetime
    updated_by: str | None

    @classmethod
    def of(cls, r: RetentionRule) -> RetentionRuleOut:
        return cls(
            paper_type=r.paper_type,
            years=r.years,
            basis=r.basis,
            updated_at=r.updated_at,
            updated_by=r.updated_by,
        )


class RetentionRuleIn(BaseModel):
    years: int | None = Field(ge=1, le=500, description="null: permanent", examples=[10])
    basis: Text = Field(
        min_length=3, max_length=500, examples=["Circular 10/2022/TT-BNV, 10 years"]
    )


class HoldIn(BaseModel):
    on: Literal["document", "owner"] = Field(
        description="a document (every version of it) or an owner (all their papers)",
        examples=["document"],
    )
    target_id: uuid.UUID = Field(description="the document's or the owner's id")
    reason: Text = Field(min_length=3, max_length=500, examples=["Thanh tra số 5/2026"])


class ReasonIn(BaseModel):
    reason: Text = Field(min_length=3, max_length=500, examples=["Vụ việc đã kết thúc"])


class HoldOut(BaseModel):
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

    @classmethod
    def of(cls, h: LegalHold) -> HoldOut:
        return cls(
            id=h.id,
            document_id=h.document_id,
            owner_id=h.owner_id,
            reason=h.reason,
            placed_by=h.placed_by,
            placed_at=h.placed_at,
            active=h.active,
            lifted_by=h.lifted_by,
            lifted_at=h.lifted_at,
            lift_reason=h.lift_reason,
        )


class TombstoneOut(BaseModel):
    document_id: uuid.UUID
    sha256: str
    size: int
    paper_type: str
    batch_id: uuid.UUID
    approved_by: str
    approved_at: datetime
    disposed_at: datetime

    @classmethod
    def of(cls, t: Tombstone) -> TombstoneOut:
        return cls(
            document_id=t.document_id,
            sha256=t.sha256,
            size=t.size,
            paper_type=t.paper_type,
            batch_id=t.batch_id,
            approved_by=t.approved_by,
            approved_at=t.approved_at,
            disposed_at=t.disposed_at,
        )


class DocumentRetentionOut(BaseModel):
    document_id: uuid.UUID
    paper_type: str
    years: int | None
    basis: str | None
    retain_until: date | None = Field(description="null: kept permanently")
    holds: list[HoldOut]
    tombstone: TombstoneOut | None

    @classmethod
    def of(cls, r: DocumentRetention) -> DocumentRetentionOut:
        return cls(
            document_id=r.document_id,
            paper_type=r.paper_type,
            years=r.years,
            basis=r.basis,
            retain_until=r.retain_until,
            holds=[HoldOut.of(h) for h in r.holds],
            tombstone=TombstoneOut.of(r.tombstone) if r.tombstone else None,
        )


class DisposalRequestIn(BaseModel):
    as_of: date | None = Field(default=None, description="default: today")


class DecisionIn(BaseModel):
    approve: bool = Field(examples=[True])
    note: Text = Field(min_length=3, max_length=500, examples=["Đã rà soát danh mục"])


class DisposalItemOut(BaseModel):
    document_id: uuid.UUID
    owner_id: uuid.UUID
    paper_type: str
    version: int
    sha256: str
    size: int
    retain_until: date

    @classmethod
    def of(cls, i: DisposalItem) -> DisposalItemOut:
        return cls(
            document_id=i.document_id,
            owner_id=i.owner_id,
            paper_type=i.paper_type,
            version=i.version,
            sha256=i.sha256,
            size=i.size,
            retain_until=i.retain_until,
        )


class DisposalBatchOut(BaseModel):
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

    @classmethod
    def of(cls, b: DisposalBatch) -> DisposalBatchOut:
        return cls(
            id=b.id,
            status=b.status.value,
            as_of=b.as_of,
            examined=b.examined,
            items=b.items,
            listed_at=b.listed_at,
            listed_by=b.listed_by,
            decided_by=b.decided_by,
            decided_at=b.decided_at,
            decision_note=b.decision_note,
            disposed_at=b.disposed_at,
            has_record=b.record_blob_id is not None,
        )


class DisposalDetailOut(BaseModel):
    batch: DisposalBatchOut
    items: list[DisposalItemOut]
    tombstones: list[TombstoneOut]


class CorrectionIn(BaseModel):
    """Only the fields given change; `reason` and `requested_by` are kept with the version."""

    reason: Text = Field(min_length=3, max_length=500, examples=["Sai số ký hiệu"])
    requested_by: Text = Field(
        min_length=1, max_length=255, description="who asked", examples=["chủ hồ sơ"]
    )
    title: Text | None = Field(
        default=None, min_length=1, max_length=500, examples=["Giấy phép xây dựng số 12"]
    )
    reference_number: Text | None = Field(default=None, max_length=100)
    issue_date: date | None = None
    valid_until: date | None = None
