"""Scans staged between a certified copy's preview and its signing (migration 0010).

A row per staging: who staged it (the officer's account), for which owner, until when, and
the envelope key of its one encrypted object. Nothing in it names the owner but the opaque
owner id; the object key is random.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import models as _vault_models  # noqa: F401 - the tables the foreign keys name
from vault.db.base import Base, UTCDateTime


class StagedScansRow(Base):
    __tablename__ = "staged_scans"
    __table_args__ = (Index("ix_staged_scans_expires_at", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id"))
    object_key: Mapped[str] = mapped_column(String(128), unique=True)
    files: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)  # of the plaintext bundle
    sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
