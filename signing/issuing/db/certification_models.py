"""Tables of electronic certified copies (chứng thực bản sao điện tử từ bản chính).

Changed only through Alembic migrations (0004_certified_copies). Every table here refers to
agencies, owners or documents, so the tests' `TRUNCATE ... CASCADE` of those empties them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import models as _vault_models  # noqa: F401 - the tables the foreign keys name
from vault.db.base import Base, UTCDateTime, utcnow

# Why an original may not be certified (Decree 23/2015/NĐ-CP, art. 22). The codes are
# stored; their wording lives with the certification use case.
REFUSAL_REASONS = (
    "altered",  # tẩy xóa, sửa chữa, thêm, bớt nội dung không hợp lệ
    "damaged",  # hư hỏng, cũ nát, không xác định được nội dung
    "classified",  # đóng dấu mật, hoặc ghi rõ không được sao chụp
    "unlawful_content",  # nội dung trái pháp luật, đạo đức xã hội
    "not_legalised",  # giấy tờ nước ngoài chưa hợp pháp hóa lãnh sự
    "unconfirmed_private",  # cá nhân tự lập, không có xác nhận của cơ quan có thẩm quyền
)


class CertifiedCopyRow(Base):
    """One entry of an electronic certification book: number, book, who, when, what."""

    __tablename__ = "certified_copies"
    __table_args__ = (
        # Paper and electronic books are separate books; within a book of an office and a
        # year, a number is given once.
        UniqueConstraint(
            "office_agency_code", "book", "year", "number", name="uq_certified_copies_entry"
        ),
        CheckConstraint("number >= 1", name="number_positive"),
        Index("ix_certified_copies_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The copy's first stored version (its lineage): reissues keep pointing here.
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), unique=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id"))
    office_agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    book: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    # Random and unguessable: the only key the public verification page accepts.
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    paper_type: Mapped[str] = mapped_column(ForeignKey("paper_types.code"))
    title: Mapped[str] = mapped_column(String(500))
    pages: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    officer_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    officer_name: Mapped[str] = mapped_column(String(255))
    certified_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertificationCounterRow(Base):
    """The last number given in a book of an office in a year. Its row is locked by the
    transaction that takes the next number, until that transaction ends."""

    __tablename__ = "certification_counters"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    office_agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    book: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class CertificationRefusalRow(Base):
    """An original the office refused to certify, and why (a reason code)."""

    __tablename__ = "certification_refusals"
    __table_args__ = (
        CheckConstraint(
            "reason IN (" + ", ".join(f"'{r}'" for r in REFUSAL_REASONS) + ")", name="reason"
        ),
        Index("ix_certification_refusals_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    office_agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id"))
    paper_type: Mapped[str] = mapped_column(ForeignKey("paper_types.code"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    officer_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    officer_name: Mapped[str] = mapped_column(String(255))
    refused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
