"""The vault's core tables: owners, documents and blobs, dossiers, accounts, the catalogue,
consents, the audit chain. Changed only through Alembic migrations (vault/db/migrations);
vault.db.schema lists every module that declares vault tables."""

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
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db.base import Base, UTCDateTime, utcnow


class OwnerRow(Base):
    """Chủ sở hữu kho: a citizen (CCCD number) or an organisation (tax code)."""

    __tablename__ = "owners"
    __table_args__ = (CheckConstraint("kind IN ('citizen', 'organisation')", name="kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The identification number is never stored in clear (vault.personal_data): sealed under
    # a subkey of a master key, and found by its keyed blind index (HMAC-SHA256).
    identifier_key_id: Mapped[str] = mapped_column(String(64))
    identifier_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    identifier_index: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
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
    __table_args__ = (
        CheckConstraint("size >= 0", name="size_not_negative"),
        # The public verification page finds the paper a dropped file is by its hash.
        Index("ix_blobs_sha256", "sha256"),
    )

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
    # The file carries a PDF signature (checked at upload; validation is the signing module's).
    has_signature: Mapped[bool] = mapped_column(default=False, server_default="0")

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
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # ngày trả kết quả


class DossierDocumentRow(Base):
    """A document attached to a dossier (thành phần hồ sơ)."""

    __tablename__ = "dossier_documents"
    __table_args__ = (
        CheckConstraint("role IN ('component', 'result')", name="role"),
        CheckConstraint("reused IN (0, 1, 2)", name="reused"),
        # Joins from a document to its dossiers (results that replace a component).
        Index("ix_dossier_documents_document_id", "document_id"),
    )

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The national sync payload's flags: the component was digitised for this dossier;
    # reused 0 no / 1 yes / 2 through a result that replaces it; taken from the warehouse.
    role: Mapped[str] = mapped_column(String(16), default="component", server_default="component")
    digitised: Mapped[bool] = mapped_column(default=False, server_default="0")
    reused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    from_warehouse: Mapped[bool] = mapped_column(default=False, server_default="0")
    replacing_result_code: Mapped[str | None] = mapped_column(String(32))
    result_code: Mapped[str | None] = mapped_column(String(32))


class AgencyRow(Base):
    """Cơ quan, by its code (QCVN 102:2016/BTTTT)."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))


class AccountRow(Base):
    """Who signs in: an officer of an agency, or an owner (citizen / organisation)."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('officer', 'owner')", name="kind"),
        CheckConstraint(
            "(kind = 'officer' AND agency_code IS NOT NULL AND owner_id IS NULL)"
            " OR (kind = 'owner' AND owner_id IS NOT NULL AND agency_code IS NULL)",
            name="officer_or_owner",
        ),
        UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_accounts_oidc"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("owners.id"))
    roles: Mapped[str] = mapped_column(String(255), default="")  # comma-separated
    password_hash: Mapped[str | None] = mapped_column(String(255))
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiClientRow(Base):
    """An agency system using OAuth2 client credentials."""

    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    secret_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcedureRow(Base):
    """Thủ tục hành chính: what a procedure needs, from the national catalogue."""

    __tablename__ = "procedures"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(500))
    returns_result: Mapped[bool] = mapped_column(default=True)


class ProcedureRequirementRow(Base):
    """A paper type a procedure needs, and result codes that may replace it."""

    __tablename__ = "procedure_requirements"

    procedure_code: Mapped[str] = mapped_column(
        ForeignKey("procedures.code", ondelete="CASCADE"), primary_key=True
    )
    paper_type: Mapped[str] = mapped_column(ForeignKey("paper_types.code"), primary_key=True)
    component_name: Mapped[str] = mapped_column(String(500))
    replacing_result_codes: Mapped[str] = mapped_column(String(255), default="")  # comma list


class ConsentRow(Base):
    """Sự đồng ý: an owner lets an agency read some paper types for a purpose, until expiry."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_owner_agency", "owner_id", "agency_code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id"))
    agency_code: Mapped[str] = mapped_column(String(16))
    paper_types: Mapped[str] = mapped_column(String(1000))  # comma list
    purpose: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntryRow(Base):
    """Nhật ký truy cập: append-only and hash-chained (each entry hashes the one before)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_owner_seq", "owner_id", "seq"),
        Index("ix_audit_entries_agency_seq", "agency_code", "seq"),
        # An account's own sign-in events are read from the audit log by actor.
        Index("ix_audit_entries_actor_seq", "actor_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(255))
    client_id: Mapped[str | None] = mapped_column(String(64))
    agency_code: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    purpose: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(1000))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain head: one row, locked by whoever appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class IdempotencyKeyRow(Base):
    """A client's Idempotency-Key for an upload: a retried upload replays, never stores twice."""

    __tablename__ = "idempotency_keys"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request: Mapped[str] = mapped_column(String(255))  # what the key was first used for
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
