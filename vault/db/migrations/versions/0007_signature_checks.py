"""signature checks of stored documents

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

The latest verdict on each stored document's digital signatures, so that reuse (API and
console alike) refuses a paper whose signature is broken without re-verifying it each time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signature_checks",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("signer", sa.String(length=255), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('valid', 'invalid', 'indeterminate', 'unsigned')",
            name=op.f("ck_signature_checks_status"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_signature_checks_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_signature_checks")),
    )


def downgrade() -> None:
    op.drop_table("signature_checks")
