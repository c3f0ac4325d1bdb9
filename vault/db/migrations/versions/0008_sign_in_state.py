"""sign-in throttles, token revocations, audit entries by actor; scans' stated issuers unindexed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Sign-in throttling and revoked tokens live in the database so that every API process sees
them. An account reads its own sign-in events from the audit log by actor. A scan's stated
issuer grants nothing: the search index keeps only issuers the vault verified.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_sign_in_throttles")),
    )
    op.create_table(
        "token_revocations",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_token_revocations")),
    )
    with op.batch_alter_table("token_revocations") as batch_op:
        batch_op.create_index("ix_token_revocations_expires_at", ["expires_at"])
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.create_index("ix_audit_entries_actor_seq", ["actor_id", "seq"])
    # Indexed before the rule: a scan's stated issuer opened it to that agency's searches.
    op.execute(
        "UPDATE search_index SET issuer_agency_code = NULL WHERE document_id IN "
        "(SELECT id FROM documents WHERE origin NOT IN ('issued_result', 'certified_copy'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_index("ix_audit_entries_actor_seq")
    with op.batch_alter_table("token_revocations") as batch_op:
        batch_op.drop_index("ix_token_revocations_expires_at")
    op.drop_table("token_revocations")
    op.drop_table("sign_in_throttles")
