"""exports of an owner's warehouse

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08

One row per export package (issue 18): who asked, the job that builds it, where the
encrypted zip lies and its wrapped data key, the hash of the one-time download token, and
when it was downloaded, expired and deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("include_superseded", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("documents", sa.Integer(), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=True),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'ready', 'downloaded', 'expired', 'failed')",
            name=op.f("ck_exports_status"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_exports_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_exports_token_sha256")),
    )
    op.create_index("ix_exports_owner_id", "exports", ["owner_id"], unique=False)
    op.create_index(
        "ix_exports_status_expires_at", "exports", ["status", "expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_exports_status_expires_at", table_name="exports")
    op.drop_index("ix_exports_owner_id", table_name="exports")
    op.drop_table("exports")
