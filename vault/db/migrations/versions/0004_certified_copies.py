"""certified copies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Electronic certified copies: the book entries (number per office, book and year), the
counters that hand out those numbers without gaps, and refusals with a reason code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a later change to the codes is a new migration.
REFUSAL_REASONS = (
    "altered",
    "damaged",
    "classified",
    "unlawful_content",
    "not_legalised",
    "unconfirmed_private",
)


def upgrade() -> None:
    op.create_table(
        "certification_counters",
        sa.Column("office_agency_code", sa.String(length=16), nullable=False),
        sa.Column("book", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "last_number >= 0", name=op.f("ck_certification_counters_last_number_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["office_agency_code"],
            ["agencies.code"],
            name=op.f("fk_certification_counters_office_agency_code_agencies"),
        ),
        sa.PrimaryKeyConstraint(
            "office_agency_code", "book", "year", name=op.f("pk_certification_counters")
        ),
    )
    op.create_table(
        "certified_copies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("office_agency_code", sa.String(length=16), nullable=False),
        sa.Column("book", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("verification_code", sa.String(length=32), nullable=False),
        sa.Column("paper_type", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("officer_account_id", sa.Uuid(), nullable=False),
        sa.Column("officer_name", sa.String(length=255), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_certified_copies_number_positive")),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_certified_copies_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["office_agency_code"],
            ["agencies.code"],
            name=op.f("fk_certified_copies_office_agency_code_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_account_id"],
            ["accounts.id"],
            name=op.f("fk_certified_copies_officer_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_certified_copies_owner_id_owners")
        ),
        sa.ForeignKeyConstraint(
            ["paper_type"],
            ["paper_types.code"],
            name=op.f("fk_certified_copies_paper_type_paper_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certified_copies")),
        sa.UniqueConstraint("document_id", name=op.f("uq_certified_copies_document_id")),
        sa.UniqueConstraint(
            "office_agency_code", "book", "year", "number", name="uq_certified_copies_entry"
        ),
        sa.UniqueConstraint(
            "verification_code", name=op.f("uq_certified_copies_verification_code")
        ),
    )
    with op.batch_alter_table("certified_copies", schema=None) as batch_op:
        batch_op.create_index("ix_certified_copies_owner_id", ["owner_id"], unique=False)

    op.create_table(
        "certification_refusals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_agency_code", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("paper_type", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("officer_account_id", sa.Uuid(), nullable=False),
        sa.Column("officer_name", sa.String(length=255), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN (" + ", ".join(f"'{r}'" for r in REFUSAL_REASONS) + ")",
            name=op.f("ck_certification_refusals_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["office_agency_code"],
            ["agencies.code"],
            name=op.f("fk_certification_refusals_office_agency_code_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_account_id"],
            ["accounts.id"],
            name=op.f("fk_certification_refusals_officer_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_certification_refusals_owner_id_owners")
        ),
        sa.ForeignKeyConstraint(
            ["paper_type"],
            ["paper_types.code"],
            name=op.f("fk_certification_refusals_paper_type_paper_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_refusals")),
    )
    with op.batch_alter_table("certification_refusals", schema=None) as batch_op:
        batch_op.create_index("ix_certification_refusals_owner_id", ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certification_refusals", schema=None) as batch_op:
        batch_op.drop_index("ix_certification_refusals_owner_id")
    op.drop_table("certification_refusals")
    with op.batch_alter_table("certified_copies", schema=None) as batch_op:
        batch_op.drop_index("ix_certified_copies_owner_id")
    op.drop_table("certified_copies")
    op.drop_table("certification_counters")
