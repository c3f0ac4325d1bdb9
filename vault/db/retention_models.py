"""Retention (thời hạn bảo quản), legal holds, disposal batches and tombstones.

A document version is never deleted as a row: disposal destroys its object and its data key
(crypto-shredding) and leaves a tombstone with the hash and the approval behind.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime, utcnow


class RetentionRuleRow(Base):
    """How long each paper type is kept; `years` None is permanent (bảo quản vĩnh viễn)."""

    __tablename__ = "retention_rules"
    __table_args__ = (CheckConstraint("years IS NULL OR years > 0", name="years_positive"),)

    paper_type: Mapped[str] = mapped_column(
        ForeignKey("paper_types.code", ondelete="CASCADE"), primary_key=True
    )
    years: Mapped[int | None] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(500))  # the rule the period comes from
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(255))


class LegalHoldRow(Base):
    """Lệnh tạm giữ: on one document (every version of its lineage) or on a whole owner."""

    __tablename__ = "legal_holds"
    __table_args__ = (
        CheckConstraint("(document_id IS NULL) <> (owner_id IS NULL)", name="document_or_owner"),
        Index("ix_legal_holds_document_id", "document_id"),
        Index("ix_legal_holds_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("owners.id"))
    reason: Mapped[str] = mapped_column(String(500))
    placed_by: Mapped[str] = mapped_column(String(255))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_by: Mapped[str | None] = mapped_column(String(255))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lift_reason: Mapped[str | None] = mapped_column(String(500))


class DisposalBatchRow(Base):
    """Danh mục tài liệu hết giá trị: listed by a job, approved by an officer, then carried out."""

    __tablename__ = "disposal_batches"
    __table_args__ = (
        CheckConstraint("status IN ('listed', 'approved', 'disposed', 'rejected')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="listed")
    as_of: Mapped[date] = mapped_column(Date)
    examined: Mapped[int] = mapped_column(BigInteger, default=0)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    listed_by: Mapped[str | None] = mapped_column(String(255))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    agency_code: Mapped[str | None] = mapped_column(String(16))
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The signed disposal record (biên bản hủy tài liệu), stored as a blob of its own.
    record_blob_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("blobs.id"))


class DisposalItemRow(Base):
    __tablename__ = "disposal_items"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disposal_batches.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    retain_until: Mapped[date] = mapped_column(Date)


class TombstoneRow(Base):
    """What remains of a disposed document version: its hash and who approved its disposal."""

    __tablename__ = "tombstones"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    object_key: Mapped[str] = mapped_column(String(128), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    paper_type: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disposal_batches.id"))
    approved_by: Mapped[str] = mapped_column(String(255))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CorrectionRow(Base):
    """Yêu cầu đính chính: a metadata correction recorded as a new version, with its reason."""

    __tablename__ = "document_corrections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    original_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    corrected_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
