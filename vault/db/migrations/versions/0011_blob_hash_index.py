"""index on blobs.sha256

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

The public verification page names the certified copy or signed result a dropped file is by
the file's SHA-256: without an index every anonymous check scanned the blobs table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_blobs_sha256", "blobs", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_blobs_sha256", table_name="blobs")
