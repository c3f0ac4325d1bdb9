"""Anchors of the audit chain: RFC 3161 timestamps over the chain head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime, utcnow


class AuditAnchorRow(Base):
    """A timestamp token proving the chain up to `seq` (head hash `hash`) existed then."""

    __tablename__ = "audit_anchors"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    tsa_url: Mapped[str] = mapped_column(String(500))
    token: Mapped[bytes] = mapped_column(LargeBinary)  # DER TimeStampToken (CMS SignedData)
    gen_time: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
