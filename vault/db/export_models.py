"""Export packages (bản sao kho dữ liệu của công dân). Changed only through Alembic (0016)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime, utcnow


class ExportRow(Base):
    """One export of an owner's warehouse: asked for, built by a job, downloaded once."""

    __tablename__ = "exports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'ready', 'downloaded', 'expired', 'failed')", name="status"
        ),
        Index("ix_exports_owner_id", "owner_id"),
        Index("ix_exports_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id"))
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    include_superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # The encrypted package in the blob store, and its data key wrapped by a master key.
    object_key: Mapped[str | None] = mapped_column(String(200))
    key_id: Mapped[str | None] = mapped_column(String(64))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int | None] = mapped_column(BigInteger)  # of the plaintext zip
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the plaintext zip
    documents: Mapped[int | None] = mapped_column(Integer)
    # Only the hash of the one-time download token is kept.
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
