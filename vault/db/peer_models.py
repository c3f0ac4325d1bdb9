"""Papers taken from peer vaults, and where from. Changed only through Alembic (0015)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime


class PeerCopyRow(Base):
    """The provenance of a copy taken from another province's vault: the peer, the paper's
    id and digest there, who took it, when, and for which dossier."""

    __tablename__ = "peer_copies"
    __table_args__ = (UniqueConstraint("peer", "remote_document_id", "sha256"),)

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    peer: Mapped[str] = mapped_column(String(64))
    peer_label: Mapped[str] = mapped_column(String(200))
    remote_document_id: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_by: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id"))
