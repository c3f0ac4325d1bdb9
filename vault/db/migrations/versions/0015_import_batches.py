"""batch import: separator sheets, batches, pages, parts, corrections

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08

Bulk digitisation (issue 19): scanned batches cut at separator sheets into parts that wait in
a review queue; the corrections officers make are kept as training data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "separator_sheets",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("paper_type", sa.String(length=64), nullable=True),
        sa.Column("dossier_id", sa.Uuid(), nullable=True),
        sa.Column("result_reference", sa.String(length=200), nullable=True),
        sa.Column("printed_by", sa.Uuid(), nullable=False),
        _when("printed_at"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_separator_sheets_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_separator_sheets")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("object_key", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("pages_done", sa.Integer(), nullable=False),
        sa.Column("part_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        _when("created_at"),
        _when("started_at", True),
        _when("finished_at", True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("object_key", name=op.f("uq_import_batches_object_key")),
        sa.UniqueConstraint("sha256", name=op.f("uq_import_batches_sha256")),
    )
    op.create_table(
        "import_pages",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sheet", sa.String(length=500), nullable=True),
        sa.Column("problem", sa.String(length=500), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_pages_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "number", name=op.f("pk_import_pages")),
    )
    op.create_table(
        "import_parts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("sheet_ref", sa.String(length=32), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("paper_type", sa.String(length=64), nullable=True),
        sa.Column("suggested_type", sa.String(length=64), nullable=True),
        sa.Column("dossier_id", sa.Uuid(), nullable=True),
        sa.Column("result_reference", sa.String(length=200), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        _when("reviewed_at", True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_parts_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_import_parts_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_import_parts_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_parts")),
    )
    op.create_index("ix_import_parts_batch_id_seq", "import_parts", ["batch_id", "seq"])
    op.create_table(
        "import_corrections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("part_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("suggested", sa.String(length=500), nullable=True),
        sa.Column("corrected", sa.String(length=500), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["import_parts.id"],
            name=op.f("fk_import_corrections_part_id_import_parts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_corrections")),
    )


def downgrade() -> None:
    op.drop_table("import_corrections")
    op.drop_index("ix_import_parts_batch_id_seq", table_name="import_parts")
    op.drop_table("import_parts")
    op.drop_table("import_pages")
    op.drop_table("import_batches")
    op.drop_table("separator_sheets")
