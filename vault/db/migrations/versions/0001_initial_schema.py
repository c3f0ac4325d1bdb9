"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Owners, the paper type catalogue (seeded), blobs, documents with versions, dossiers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Danh mục loại giấy tờ: the common papers of DOMAIN.md. Validity in days where the law sets
# one for every paper of the type; None where it is indefinite or differs per paper (the
# officer then enters the paper's own expiry).
PAPER_TYPES = [
    ("birth_certificate", "Giấy khai sinh", "Birth certificate", None),
    ("chip_id_card", "Thẻ căn cước / Căn cước công dân gắn chip", "Chip ID card", None),
    ("marriage_certificate", "Giấy chứng nhận kết hôn", "Marriage certificate", None),
    (
        "marital_status_certificate",
        "Giấy xác nhận tình trạng hôn nhân",
        "Certificate of marital status",
        180,
    ),
    ("diploma", "Bằng tốt nghiệp", "Diploma", None),
    (
        "land_use_right_certificate",
        "Giấy chứng nhận quyền sử dụng đất",
        "Land-use right certificate",
        None,
    ),
    (
        "business_registration_certificate",
        "Giấy chứng nhận đăng ký doanh nghiệp",
        "Business registration certificate",
        None,
    ),
    (
        "household_business_registration",
        "Giấy chứng nhận đăng ký hộ kinh doanh",
        "Household business registration certificate",
        None,
    ),
    ("driving_licence", "Giấy phép lái xe", "Driving licence", None),
    ("health_certificate", "Giấy khám sức khỏe", "Health certificate", 365),
    ("criminal_record_extract", "Phiếu lý lịch tư pháp", "Criminal record extract", 180),
    (
        "procedure_result",
        "Kết quả giải quyết thủ tục hành chính",
        "Result of an administrative procedure",
        None,
    ),
]


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_blobs_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blobs")),
        sa.UniqueConstraint("object_key", name=op.f("uq_blobs_object_key")),
    )
    op.create_table(
        "owners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("identifier", sa.String(length=14), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('citizen', 'organisation')", name=op.f("ck_owners_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owners")),
        sa.UniqueConstraint("identifier", name=op.f("uq_owners_identifier")),
    )
    paper_types = op.create_table(
        "paper_types",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("default_validity_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_paper_types")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("paper_type", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("reference_number", sa.String(length=100), nullable=True),
        sa.Column("issuer_agency_code", sa.String(length=16), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lineage_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("blob_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "origin IN ('digitised', 'certified_copy', 'issued_result', 'uploaded_by_owner')",
            name=op.f("ck_documents_origin"),
        ),
        sa.CheckConstraint("status IN ('current', 'superseded')", name=op.f("ck_documents_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_documents_version_positive")),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name=op.f("fk_documents_blob_id_blobs")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["owners.id"],
            name=op.f("fk_documents_owner_id_owners"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["paper_type"], ["paper_types.code"], name=op.f("fk_documents_paper_type_paper_types")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["documents.id"], name=op.f("fk_documents_supersedes_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("blob_id", name=op.f("uq_documents_blob_id")),
        sa.UniqueConstraint("lineage_id", "version", name="uq_documents_lineage_version"),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_documents_supersedes_id")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_owner_id_id", ["owner_id", "id"], unique=False)
        batch_op.create_index(
            "ix_documents_owner_type_id", ["owner_id", "paper_type", "id"], unique=False
        )

    op.create_table(
        "dossiers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("procedure_code", sa.String(length=16), nullable=False),
        sa.Column("receiving_agency_code", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_dossiers_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("code", name=op.f("uq_dossiers_code")),
    )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossiers_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "dossier_documents",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_dossier_documents_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_documents_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dossier_id", "document_id", name=op.f("pk_dossier_documents")),
    )
    op.bulk_insert(
        paper_types,
        [
            {"code": c, "name_vi": vi, "name_en": en, "default_validity_days": days}
            for c, vi, en, days in PAPER_TYPES
        ],
    )


def downgrade() -> None:
    op.drop_table("dossier_documents")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossiers_owner_id"))

    op.drop_table("dossiers")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_owner_type_id")
        batch_op.drop_index("ix_documents_owner_id_id")

    op.drop_table("documents")
    op.drop_table("paper_types")
    op.drop_table("owners")
    op.drop_table("blobs")
