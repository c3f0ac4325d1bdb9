"""Signature verdicts of stored documents. Changed only through Alembic (0007)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime


class SignatureCheckRow(Base):
    """The latest verdict on a document's digital signatures (kết quả kiểm tra chữ ký số)."""

    __tablename__ = "signature_checks"
    __table_args__ = (
        CheckConstraint(
            "status IN ('valid', 'invalid', 'indeterminate', 'unsigned')", name="status"
        ),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    # The bytes the verdict is about: a verdict never carries over to other content.
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(200))  # ETSI sub-indication or problem
    signer: Mapped[str | None] = mapped_column(String(255))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
