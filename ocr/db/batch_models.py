"""Batch import's tables (nhập lô hồ sơ giấy): separator sheets the vault printed, scanned
batches, each page as it was read, the parts a batch was cut into (the review queue), and the
corrections officers made (training data for the field extractor). Changed only through
migrations (0018_import_batches)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import models as _vault_models  # noqa: F401 - the owners and documents named
from vault.db.base import Base, UTCDateTime, utcnow


class SeparatorSheetRow(Base):
    """A separator sheet (tờ phân cách) as printed: its QR carries `ref` and these fields."""

    __tablename__ = "separator_sheets"

    ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id"))
    paper_type: Mapped[str | None] = mapped_column(String(64))
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    result_reference: Mapped[str | None] = mapped_column(String(200))
    printed_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportBatchRow(Base):
    """One scanned file; its bytes are an encrypted object (a random key naming no one)."""

    __tablename__ = "import_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Re-importing the same file finds this row instead of making a second batch.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(128), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    agency_code: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16))
    page_count: Mapped[int | None] = mapped_column(Integer)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    part_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportPageRow(Base):
    """A page as the import read it: kept so that an interrupted batch resumes after it."""

    __tablename__ = "import_pages"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # from 1
    kind: Mapped[str] = mapped_column(String(16))  # content | separator | blank | damaged
    sheet: Mapped[str | None] = mapped_column(String(500))  # the QR text of a separator
    problem: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Double, default=0.0)


class ImportPartRow(Base):
    """A part of a batch: one paper waiting for review (or reviewed)."""

    __tablename__ = "import_parts"
    __table_args__ = (Index("ix_import_parts_batch_id_seq", "batch_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    pages: Mapped[list[int]] = mapped_column(JSON)  # batch page numbers, in order
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    sheet_ref: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("owners.id"))
    paper_type: Mapped[str | None] = mapped_column(String(64))
    suggested_type: Mapped[str | None] = mapped_column(String(64))
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    result_reference: Mapped[str | None] = mapped_column(String(200))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    problems: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportCorrectionRow(Base):
    """A field an officer corrected in review: what was read, what it should have been."""

    __tablename__ = "import_corrections"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_parts.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(64))
    suggested: Mapped[str | None] = mapped_column(String(500))
    corrected: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[str] = mapped_column(Text, default="")
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
