"""papers taken from peer vaults, with their provenance

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08

One row per copy taken from another province's vault (issue 17): the local document, the
peer and the paper's id and SHA-256 there, who took it, when, and for which dossier.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_copies",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("peer_label", sa.String(200), nullable=False),
        sa.Column("remote_document_id", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(64), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_peer_copies_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_peer_copies_dossier_id_dossiers")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_peer_copies")),
        sa.UniqueConstraint(
            "peer",
            "remote_document_id",
            "sha256",
            name=op.f("uq_peer_copies_peer"),
        ),
    )


def downgrade() -> None:
    op.drop_table("peer_copies")
