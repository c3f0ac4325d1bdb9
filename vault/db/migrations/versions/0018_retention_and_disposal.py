"""retention periods, legal holds, disposal batches, tombstones, metadata corrections

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08

Seeds a retention period for each paper type with the rule it comes from, and adds database
triggers as a last line: a document row or a tombstone is never deleted, and a blob's data key
is destroyed (crypto-shredded) only under a tombstone that records an approved disposal.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (paper type, years or None for permanent, where the period comes from). Defaults an
# administrator changes with `PUT /api/v1/retention/rules/{paper_type}` (audited).
CIVIL_STATUS = (
    "Luật Hộ tịch 2014 (60/2014/QH13) and Decree 123/2015/NĐ-CP: civil-status records "
    "(sổ hộ tịch, giấy tờ hộ tịch) are kept permanently"
)
ARCHIVES = (
    "Luật Lưu trữ 2024 (33/2024/QH15) and Circular 10/2022/TT-BNV (thời hạn bảo quản tài "
    "liệu): dossiers of administrative procedures, {years} years"
)
RULES = [
    ("birth_certificate", None, CIVIL_STATUS),
    ("marriage_certificate", None, CIVIL_STATUS),
    ("marital_status_certificate", 10, ARCHIVES.format(years=10)),
    (
        "chip_id_card",
        20,
        "Luật Căn cước 2023 (26/2023/QH15): the card is reissued; a digitised copy kept as a "
        "dossier component, Circular 10/2022/TT-BNV, 20 years",
    ),
    (
        "diploma",
        None,
        "Luật Giáo dục 2019 (43/2019/QH14) and Circular 27/2016/TT-BGDĐT: registers of "
        "diplomas are kept permanently",
    ),
    (
        "land_use_right_certificate",
        None,
        "Luật Đất đai 2024 (31/2024/QH15): cadastral records (hồ sơ địa chính) are kept "
        "permanently",
    ),
    ("business_registration_certificate", 20, ARCHIVES.format(years=20)),
    ("household_business_registration", 20, ARCHIVES.format(years=20)),
    ("driving_licence", 10, ARCHIVES.format(years=10)),
    ("health_certificate", 5, ARCHIVES.format(years=5)),
    ("criminal_record_extract", 5, ARCHIVES.format(years=5)),
    (
        "procedure_result",
        20,
        "Decree 45/2020/NĐ-CP (electronic results of procedures are kept as archives) and "
        "Circular 10/2022/TT-BNV, 20 years",
    ),
]

_PG_FUNCTIONS = """
CREATE FUNCTION vault_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'retention: rows of % are never deleted', TG_TABLE_NAME;
END $$;
CREATE FUNCTION vault_shred_needs_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF length(NEW.wrapped_key) = 0 AND NOT EXISTS (
        SELECT 1 FROM tombstones WHERE object_key = NEW.object_key
    ) THEN
        RAISE EXCEPTION 'retention: a data key is destroyed only under a disposal tombstone';
    END IF;
    RETURN NEW;
END $$;
"""


def _never_deleted(table: str, dialect: str) -> str:
    if dialect == "postgresql":
        return (
            f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION vault_never_deleted()"
        )
    return (
        f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'retention: rows of {table} are never deleted'); END"
    )


def upgrade() -> None:
    op.create_table(
        "retention_rules",
        sa.Column("paper_type", sa.String(length=64), nullable=False),
        sa.Column("years", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.CheckConstraint(
            "years IS NULL OR years > 0", name=op.f("ck_retention_rules_years_positive")
        ),
        sa.ForeignKeyConstraint(
            ["paper_type"],
            ["paper_types.code"],
            name=op.f("fk_retention_rules_paper_type_paper_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_type", name=op.f("pk_retention_rules")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("placed_by", sa.String(length=255), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=255), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "(document_id IS NULL) <> (owner_id IS NULL)",
            name=op.f("ck_legal_holds_document_or_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_legal_holds_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_legal_holds_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index("ix_legal_holds_document_id", "legal_holds", ["document_id"])
    op.create_index("ix_legal_holds_owner_id", "legal_holds", ["owner_id"])
    op.create_table(
        "disposal_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("examined", sa.BigInteger(), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("listed_by", sa.String(length=255), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("agency_code", sa.String(length=16), nullable=True),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("record_blob_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "status IN ('listed', 'approved', 'disposed', 'rejected')",
            name=op.f("ck_disposal_batches_status"),
        ),
        sa.ForeignKeyConstraint(
            ["record_blob_id"],
            ["blobs.id"],
            name=op.f("fk_disposal_batches_record_blob_id_blobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_batches")),
    )
    op.create_table(
        "disposal_items",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["disposal_batches.id"],
            name=op.f("fk_disposal_items_batch_id_disposal_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_disposal_items_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("batch_id", "document_id", name=op.f("pk_disposal_items")),
    )
    op.create_table(
        "tombstones",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("paper_type", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["disposal_batches.id"],
            name=op.f("fk_tombstones_batch_id_disposal_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_tombstones_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_tombstones")),
        sa.UniqueConstraint("object_key", name=op.f("uq_tombstones_object_key")),
    )
    op.create_table(
        "document_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("original_id", sa.Uuid(), nullable=False),
        sa.Column("corrected_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["documents.id"],
            name=op.f("fk_document_corrections_original_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["corrected_id"],
            ["documents.id"],
            name=op.f("fk_document_corrections_corrected_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_corrections")),
        sa.UniqueConstraint("corrected_id", name=op.f("uq_document_corrections_corrected_id")),
    )
    op.create_index(
        op.f("ix_document_corrections_original_id"), "document_corrections", ["original_id"]
    )
    rules = sa.table(
        "retention_rules",
        sa.column("paper_type", sa.String),
        sa.column("years", sa.Integer),
        sa.column("basis", sa.String),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("updated_by", sa.String),
    )
    known = {row[0] for row in op.get_bind().execute(sa.text("SELECT code FROM paper_types"))}
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    op.bulk_insert(
        rules,
        [
            {"paper_type": c, "years": y, "basis": b, "updated_at": now, "updated_by": None}
            for c, y, b in RULES
            if c in known
        ],
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_FUNCTIONS)
        op.execute(
            "CREATE TRIGGER blobs_shred_needs_tombstone BEFORE UPDATE OF wrapped_key ON blobs "
            "FOR EACH ROW EXECUTE FUNCTION vault_shred_needs_tombstone()"
        )
    else:
        op.execute(
            "CREATE TRIGGER blobs_shred_needs_tombstone BEFORE UPDATE OF wrapped_key ON blobs "
            "WHEN length(NEW.wrapped_key) = 0 AND NOT EXISTS "
            "(SELECT 1 FROM tombstones WHERE object_key = NEW.object_key) "
            "BEGIN SELECT RAISE(ABORT, 'retention: a data key is destroyed only under a "
            "disposal tombstone'); END"
        )
    for table in ("documents", "tombstones"):
        op.execute(_never_deleted(table, dialect))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in ("documents", "tombstones"):
        op.execute(
            f"DROP TRIGGER IF EXISTS {table}_never_deleted"
            + (f" ON {table}" if dialect == "postgresql" else "")
        )
    op.execute(
        "DROP TRIGGER IF EXISTS blobs_shred_needs_tombstone"
        + (" ON blobs" if dialect == "postgresql" else "")
    )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS vault_never_deleted()")
        op.execute("DROP FUNCTION IF EXISTS vault_shred_needs_tombstone()")
    op.drop_index(op.f("ix_document_corrections_original_id"), table_name="document_corrections")
    op.drop_table("document_corrections")
    op.drop_table("tombstones")
    op.drop_table("disposal_items")
    op.drop_table("disposal_batches")
    op.drop_index("ix_legal_holds_owner_id", table_name="legal_holds")
    op.drop_index("ix_legal_holds_document_id", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_table("retention_rules")
