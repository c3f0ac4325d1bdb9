"""Tables. Changed only through Alembic migrations (vault/db/migrations)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can alter them on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OwnerRow(Base):
    """Chủ sở hữu kho: a citizen (CCCD number) or an organisation (tax code)."""

    __tablename__ = "owners"
    __table_args__ = (CheckConstraint("kind IN ('citizen', 'organisation')", name="kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    identifier: Mapped[str] = mapped_column(String(14), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaperTypeRow(Base):
    """Danh mục loại giấy tờ."""

    __tablename__ = "paper_types"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    default_validity_days: Mapped[int | None] = mapped_column(Integer)


class BlobRow(Base):
    __tablename__ = "blobs"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    object_key: Mapped[str] = mapped_column(String(128), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentRow(Base):
    """Giấy tờ in an owner's warehouse; each version is a row, sharing a lineage id."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(
            "origin IN ('digitised', 'certified_copy', 'issued_result', 'uploaded_by_owner')",
            name="origin",
        ),
        CheckConstraint("status IN ('current', 'superseded')", name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("lineage_id", "version", name="uq_documents_lineage_version"),
        Index("ix_documents_owner_id_id", "owner_id", "id"),
        Index("ix_documents_owner_type_id", "owner_id", "paper_type", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id", ondelete="RESTRICT"))
    paper_type: Mapped[str] = mapped_column(ForeignKey("paper_types.code"))
    title: Mapped[str] = mapped_column(String(500))
    reference_number: Mapped[str | None] = mapped_column(String(100))
    issuer_agency_code: Mapped[str | None] = mapped_column(String(16))
    issue_date: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="current")
    lineage_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"), unique=True)
    blob_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("blobs.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    blob: Mapped[BlobRow] = relationship(lazy="joined", innerjoin=True)


class DossierRow(Base):
    """Hồ sơ thủ tục hành chính received by an agency for an owner."""

    __tablename__ = "dossiers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(16))
    receiving_agency_code: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DossierDocumentRow(Base):
    """A document attached to a dossier (thành phần hồ sơ)."""

    __tablename__ = "dossier_documents"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
