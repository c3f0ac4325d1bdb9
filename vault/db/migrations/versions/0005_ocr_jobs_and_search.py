"""ocr jobs and search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

The job queue; text extracted from documents, derived files (searchable PDFs) and metadata
suggestions; the search index with its backend-specific full-text index:

- PostgreSQL: the lexemes are a tsvector column under a GIN index. They are folded by the
  application (ocr.folding) rather than by a text search configuration: PostgreSQL's parser
  cuts "15/QĐ-UBND" at the Đ ('15/q', 'd-ubnd'), so a configuration could not find document
  numbers as typed, and one folding for both backends keeps their results the same.
- SQLite: an FTS5 table over the same lexemes (external content: the index rows), kept in
  step by triggers. Its tokenizer splits on spaces only ('ascii' with / - . as token
  characters); FTS5's own diacritics removal is not used (it leaves đ).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')", name=op.f("ck_jobs_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_jobs_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_jobs_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_status_kind_run_after", ["status", "kind", "run_after"], unique=False
        )
        batch_op.create_index("ix_jobs_document_id", ["document_id"], unique=False)

    op.create_table(
        "extracted_texts",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("extracted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_extracted_texts_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_extracted_texts")),
    )
    op.create_table(
        "extracted_pages",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("page_number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "source IN ('ocr', 'text_layer')", name=op.f("ck_extracted_pages_source")
        ),
        sa.CheckConstraint(
            "page_number >= 1", name=op.f("ck_extracted_pages_page_number_positive")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_extracted_pages_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "page_number", name=op.f("pk_extracted_pages")),
    )
    op.create_table(
        "derived_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("blob_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('searchable_pdf')", name=op.f("ck_derived_files_kind")),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blobs.id"], name=op.f("fk_derived_files_blob_id_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_derived_files_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derived_files")),
        sa.UniqueConstraint("blob_id", name=op.f("uq_derived_files_blob_id")),
        sa.UniqueConstraint("document_id", "kind", name="uq_derived_files_document_kind"),
    )
    op.create_table(
        "metadata_suggestions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "kind IN ('paper_type', 'field', 'certified_copy')",
            name=op.f("ck_metadata_suggestions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_metadata_suggestions_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metadata_suggestions")),
    )
    with op.batch_alter_table("metadata_suggestions", schema=None) as batch_op:
        batch_op.create_index("ix_metadata_suggestions_document_id", ["document_id"], unique=False)

    op.create_table(
        "search_index",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("paper_type", sa.String(length=64), nullable=False),
        sa.Column("issuer_agency_code", sa.String(length=16), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column(
            "lexemes",
            sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=False,
        ),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_search_index_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_index")),
        sa.UniqueConstraint("document_id", name=op.f("uq_search_index_document_id")),
    )
    with op.batch_alter_table("search_index", schema=None) as batch_op:
        batch_op.create_index(
            "ix_search_index_owner_document", ["owner_id", "document_id"], unique=False
        )
        batch_op.create_index(
            "ix_search_index_issuer_document",
            ["issuer_agency_code", "document_id"],
            unique=False,
        )

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE INDEX ix_search_index_lexemes ON search_index USING gin (lexemes)")
        # Lexemes out of line once a row needs TOAST at all: the heap keeps the narrow
        # columns a search filters on, small enough to stay cached.
        op.execute("ALTER TABLE search_index SET (toast_tuple_target = 128)")
    elif dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(lexemes, content='search_index',"
            " content_rowid='id', tokenize=\"ascii tokenchars '/-.'\")"
        )
        op.execute(
            "CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN"
            " INSERT INTO search_fts(rowid, lexemes) VALUES (new.id, new.lexemes); END"
        )
        op.execute(
            "CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN"
            " INSERT INTO search_fts(search_fts, rowid, lexemes)"
            " VALUES ('delete', old.id, old.lexemes); END"
        )
        op.execute(
            "CREATE TRIGGER search_index_au AFTER UPDATE ON search_index BEGIN"
            " INSERT INTO search_fts(search_fts, rowid, lexemes)"
            " VALUES ('delete', old.id, old.lexemes);"
            " INSERT INTO search_fts(rowid, lexemes) VALUES (new.id, new.lexemes); END"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_index_lexemes")
    elif dialect == "sqlite":
        for trigger in ("search_index_au", "search_index_ad", "search_index_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table("search_index", schema=None) as batch_op:
        batch_op.drop_index("ix_search_index_issuer_document")
        batch_op.drop_index("ix_search_index_owner_document")
    op.drop_table("search_index")
    with op.batch_alter_table("metadata_suggestions", schema=None) as batch_op:
        batch_op.drop_index("ix_metadata_suggestions_document_id")
    op.drop_table("metadata_suggestions")
    op.drop_table("derived_files")
    op.drop_table("extracted_pages")
    op.drop_table("extracted_texts")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_document_id")
        batch_op.drop_index("ix_jobs_status_kind_run_after")
    op.drop_table("jobs")
