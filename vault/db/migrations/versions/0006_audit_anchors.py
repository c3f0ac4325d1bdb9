"""audit anchors, dossier_documents by document

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

RFC 3161 timestamps over the audit chain head, proving the log existed at that time; an index
to find a document's dossiers (the reuse plan's replacing results scanned the whole table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("tsa_url", sa.String(length=500), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("gen_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_anchors")),
    )
    with op.batch_alter_table("dossier_documents") as batch_op:
        batch_op.create_index("ix_dossier_documents_document_id", ["document_id"])


def downgrade() -> None:
    with op.batch_alter_table("dossier_documents") as batch_op:
        batch_op.drop_index("ix_dossier_documents_document_id")
    op.drop_table("audit_anchors")
