"""The table of files derived from documents (a searchable PDF): the vault's own, since a
derived file is an encrypted blob of a document like any other. Changed only through Alembic
migrations (0005_ocr_jobs_and_search)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime, utcnow


class DerivedFileRow(Base):
    """A file made from a document (a searchable PDF), stored as its own encrypted blob."""

    __tablename__ = "derived_files"
    __table_args__ = (
        UniqueConstraint("document_id", "kind", name="uq_derived_files_document_kind"),
        CheckConstraint("kind IN ('searchable_pdf')", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    blob_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("blobs.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
