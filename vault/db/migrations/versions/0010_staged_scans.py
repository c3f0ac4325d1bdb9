"""staged scans of certified copies

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

The scans a certifying officer chose for a certified copy's preview, kept (encrypted, in the
object store) until the copy is signed or they expire, so signing does not ask for them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staged_scans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(length=128), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_staged_scans_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_staged_scans_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_scans")),
        sa.UniqueConstraint("object_key", name=op.f("uq_staged_scans_object_key")),
    )
    op.create_index("ix_staged_scans_expires_at", "staged_scans", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_staged_scans_expires_at", table_name="staged_scans")
    op.drop_table("staged_scans")
