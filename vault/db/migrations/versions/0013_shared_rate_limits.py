"""the rate limiter's state, shared by every API process

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

One row per client key with its GCRA theoretical arrival time (vault.db.rate_limit_store).
Unlogged on PostgreSQL: it is rewritten on every request and worth nothing after a crash.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("tat", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_limits SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("rate_limits")
