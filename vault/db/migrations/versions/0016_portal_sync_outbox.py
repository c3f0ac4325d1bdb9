"""the portal sync outbox, and the day a dossier's result was returned

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

`portal_outbox` holds every dossier event the National Public Service Portal needs, written
in the transaction of the change itself, with its delivery state (pending, sending,
delivered, dead). `dossiers.returned_at` is the day the result was handed back (NgayTra).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("dossier_code", sa.String(length=32), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_status", sa.String(length=16), nullable=True),
        sa.Column("portal_reference", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'dead')",
            name=op.f("ck_portal_outbox_status"),
        ),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_portal_outbox_sequence_positive")),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_portal_outbox_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_outbox")),
        sa.UniqueConstraint(
            "dossier_id", "sequence", name=op.f("uq_portal_outbox_dossier_sequence")
        ),
    )
    op.create_index("ix_portal_outbox_status_due", "portal_outbox", ["status", "next_attempt_at"])
    op.create_index(
        "ix_portal_outbox_agency_created", "portal_outbox", ["agency_code", "created_at"]
    )
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.drop_column("returned_at")
    op.drop_index("ix_portal_outbox_agency_created", table_name="portal_outbox")
    op.drop_index("ix_portal_outbox_status_due", table_name="portal_outbox")
    op.drop_table("portal_outbox")
