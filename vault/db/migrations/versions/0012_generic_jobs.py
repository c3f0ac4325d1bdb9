"""generic jobs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

The job queue serves any kind a package registers, not only OCR: a job has a JSON payload, an
optional subject (document, dossier, owner or batch) instead of a document, the account and
the request that asked for it, progress (done of total), a cancel request, and a `cancelled`
status. Existing jobs keep their document as their subject. A downgrade drops the jobs that
are not about a document (the old table cannot hold them) and turns `cancelled` into
`failed`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUS = "status IN ('pending', 'running', 'done', 'failed')"
_NEW_STATUS = "status IN ('pending', 'running', 'done', 'failed', 'cancelled')"
_SUBJECT = (
    "(subject_type IS NULL) = (subject_id IS NULL)"
    " AND (subject_type IS NULL"
    " OR subject_type IN ('document', 'dossier', 'owner', 'batch'))"
)


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("subject_type", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("subject_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("requested_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE jobs SET payload = '{}', subject_type = 'document', subject_id = document_id,"
        " progress_done = 0"
    )
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=32), type_=sa.String(length=64))
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("progress_done", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(op.f("ck_jobs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_jobs_status"), _NEW_STATUS)
        batch.create_check_constraint(op.f("ck_jobs_subject"), _SUBJECT)
        batch.drop_index("ix_jobs_document_id")
        batch.create_index("ix_jobs_subject", ["subject_type", "subject_id"], unique=False)
        batch.drop_constraint(op.f("fk_jobs_document_id_documents"), type_="foreignkey")
        batch.drop_column("document_id")


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE subject_type IS NULL OR subject_type <> 'document'")
    op.execute("UPDATE jobs SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("document_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE jobs SET document_id = subject_id")
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("document_id", existing_type=sa.Uuid(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_jobs_document_id_documents"), "documents", ["document_id"], ["id"]
        )
        batch.drop_index("ix_jobs_subject")
        batch.create_index("ix_jobs_document_id", ["document_id"], unique=False)
        batch.drop_constraint(op.f("ck_jobs_subject"), type_="check")
        batch.drop_constraint(op.f("ck_jobs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_jobs_status"), _OLD_STATUS)
        batch.alter_column("kind", existing_type=sa.String(length=64), type_=sa.String(length=32))
        for column in (
            "cancel_requested_at",
            "progress_total",
            "progress_done",
            "request_id",
            "requested_by",
            "subject_id",
            "subject_type",
            "payload",
        ):
            batch.drop_column(column)
