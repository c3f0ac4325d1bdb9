"""The outbox of the dossier sync to the National Public Service Portal (Cổng DVC quốc gia).
Changed only through Alembic migrations (0014_portal_sync_outbox)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime, utcnow


class PortalOutboxRow(Base):
    """One dossier event to deliver, written in the transaction of the change it reports.

    `payload` is the dossier as the portal wants it at that moment, minus the owner's number
    and name: those are sealed in `owners` and put in only when the event is sent."""

    __tablename__ = "portal_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'delivered', 'dead')", name="status"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        UniqueConstraint("dossier_id", "sequence", name="uq_portal_outbox_dossier_sequence"),
        # What a delivery pass scans: the due events, oldest first.
        Index("ix_portal_outbox_status_due", "status", "next_attempt_at"),
        Index("ix_portal_outbox_agency_created", "agency_code", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    dossier_code: Mapped[str] = mapped_column(String(32))
    agency_code: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_status: Mapped[str | None] = mapped_column(String(16))
    portal_reference: Mapped[str | None] = mapped_column(String(64))
