"""OCR's tables: the text extracted from documents, the suggestions read from it, and the
search index. Declared on the vault's `Base` (one metadata, one Alembic history in
`vault/db/migrations`), changed only through migrations (0005_ocr_jobs_and_search). The
searchable copies OCR makes are the vault's `derived_files` (`vault.db.derived_models`).

The search index has one row per document: its lexemes (the folded and the exact spelling of
every word of its pages and metadata; the application makes them) and the columns search
filters and access rules look at. Each backend indexes the lexemes its own way, with
objects SQLAlchemy cannot describe (see `BACKEND_OBJECTS`):

- PostgreSQL: the column is a tsvector (the application's space-separated lexemes are a
  valid tsvector literal: no quote, colon or backslash is ever in one), under a GIN index;
- SQLite: the column is text, under an FTS5 table (external content, kept in step by
  triggers).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import models as _vault_models  # noqa: F401 - the documents their keys name
from vault.db.base import Base, UTCDateTime, utcnow

# The FTS5 table and its shadow tables (SQLite), the GIN index (PostgreSQL): made by the
# migration, invisible to the models. Schema comparisons (Alembic autogenerate, the
# migrations test) skip them through `include_name`.
FTS_TABLE = "search_fts"
GIN_INDEX = "ix_search_index_lexemes"
BACKEND_OBJECTS = frozenset(
    {
        FTS_TABLE,
        *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")),
        GIN_INDEX,
    }
)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic `include_name` hook: leaves out the backend-specific search objects."""
    return name not in BACKEND_OBJECTS


class ExtractedTextRow(Base):
    """That a document's text was extracted, and how well."""

    __tablename__ = "extracted_texts"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    page_count: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Double)
    extracted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExtractedPageRow(Base):
    __tablename__ = "extracted_pages"
    __table_args__ = (
        CheckConstraint("source IN ('ocr', 'text_layer')", name="source"),
        CheckConstraint("page_number >= 1", name="page_number_positive"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    page_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Double)
    source: Mapped[str] = mapped_column(String(16))


class SuggestionRow(Base):
    """A suggested paper type or field value, read from the text; never applied by itself."""

    __tablename__ = "metadata_suggestions"
    __table_args__ = (
        CheckConstraint("kind IN ('paper_type', 'field', 'certified_copy')", name="kind"),
        Index("ix_metadata_suggestions_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(500))
    confidence: Mapped[float] = mapped_column(Double)
    evidence: Mapped[str] = mapped_column(String(500))


class SearchIndexRow(Base):
    """One document in the search index. Rebuildable at any time from the stored documents
    and their extracted text (`vault reindex`)."""

    __tablename__ = "search_index"
    __table_args__ = (
        # Scoped searches: an owner's warehouse, what an agency issued; newest first.
        Index("ix_search_index_owner_document", "owner_id", "document_id"),
        Index("ix_search_index_issuer_document", "issuer_agency_code", "document_id"),
    )

    # An integer key: SQLite's FTS5 table refers to rows by rowid.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    # Copies of the document's own (immutable) columns, so a search filters and applies the
    # access rules without a join.
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    paper_type: Mapped[str] = mapped_column(String(64))
    issuer_agency_code: Mapped[str | None] = mapped_column(String(16))
    issue_date: Mapped[date | None] = mapped_column(Date)
    # A stored tsvector on PostgreSQL, not an expression index over text: a search then
    # reads each candidate's lexemes as they are (a recheck is a lookup, not a re-parse).
    lexemes: Mapped[str] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
