"""accounts, access, consent, audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Accounts (officers and owners), agency API clients, the procedure catalogue with the paper
types each procedure needs (seeded), consents, the hash-chained audit log, dossier status,
and the national sync payload's flags on dossier components.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A handful of real procedures (mã TTHC as listed in the National Database on Administrative
# Procedures) with the papers they need from the warehouse. (code, name, returns a result,
# [(paper type, component name, result codes that may replace it)])
PROCEDURES = [
    (
        "1.001193",
        "Đăng ký khai sinh",
        True,
        [
            ("marriage_certificate", "Giấy chứng nhận kết hôn của cha mẹ", ""),
            ("chip_id_card", "Giấy tờ tùy thân của người đi đăng ký", ""),
        ],
    ),
    (
        "1.000894",
        "Đăng ký kết hôn",
        True,
        [
            ("chip_id_card", "Giấy tờ tùy thân của hai bên nam, nữ", ""),
            ("marital_status_certificate", "Giấy xác nhận tình trạng hôn nhân", "KQ.G15.000031"),
        ],
    ),
    (
        "2.000488",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        True,
        [
            ("chip_id_card", "Thẻ căn cước / Căn cước công dân", ""),
            ("birth_certificate", "Giấy khai sinh", ""),
        ],
    ),
    (
        "1.002809",
        "Cấp lại Giấy phép lái xe",
        True,
        [
            ("driving_licence", "Giấy phép lái xe đã được cấp", ""),
            ("health_certificate", "Giấy khám sức khỏe của người lái xe", ""),
            ("chip_id_card", "Thẻ căn cước / Căn cước công dân", ""),
        ],
    ),
    (
        "2.000720",
        "Đăng ký thành lập hộ kinh doanh",
        True,
        [
            ("chip_id_card", "Thẻ căn cước của chủ hộ kinh doanh", ""),
            (
                "land_use_right_certificate",
                "Giấy tờ chứng minh quyền sử dụng địa điểm kinh doanh",
                "",
            ),
        ],
    ),
]


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agencies")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=255), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("agency_code", sa.String(length=16), nullable=True),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("dossier_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_agency_seq", ["agency_code", "seq"], unique=False)
        batch_op.create_index("ix_audit_entries_owner_seq", ["owner_id", "seq"], unique=False)

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    procedures = op.create_table(
        "procedures",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_vi", sa.String(length=500), nullable=False),
        sa.Column("returns_result", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_procedures")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("roles", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("oidc_issuer", sa.String(length=255), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'officer' AND agency_code IS NOT NULL AND owner_id IS NULL)"
            " OR (kind = 'owner' AND owner_id IS NOT NULL AND agency_code IS NULL)",
            name=op.f("ck_accounts_officer_or_owner"),
        ),
        sa.CheckConstraint("kind IN ('officer', 'owner')", name=op.f("ck_accounts_kind")),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_accounts_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_accounts_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_accounts_oidc"),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
    )
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_api_clients_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_api_clients")),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("paper_types", sa.String(length=1000), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_consents_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_owner_agency", ["owner_id", "agency_code"], unique=False)

    requirements = op.create_table(
        "procedure_requirements",
        sa.Column("procedure_code", sa.String(length=16), nullable=False),
        sa.Column("paper_type", sa.String(length=64), nullable=False),
        sa.Column("component_name", sa.String(length=500), nullable=False),
        sa.Column("replacing_result_codes", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_type"],
            ["paper_types.code"],
            name=op.f("fk_procedure_requirements_paper_type_paper_types"),
        ),
        sa.ForeignKeyConstraint(
            ["procedure_code"],
            ["procedures.code"],
            name=op.f("fk_procedure_requirements_procedure_code_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "procedure_code", "paper_type", name=op.f("pk_procedure_requirements")
        ),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("has_signature", sa.Boolean(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), server_default="component", nullable=False)
        )
        batch_op.add_column(
            sa.Column("digitised", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("reused", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("from_warehouse", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("replacing_result_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("result_code", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint("role", "role IN ('component', 'result')")
        batch_op.create_check_constraint("reused", "reused IN (0, 1, 2)")

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="open", nullable=False)
        )
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))

    # The chain starts from a fixed genesis hash.
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.bulk_insert(
        procedures,
        [{"code": c, "name_vi": n, "returns_result": r} for c, n, r, _ in PROCEDURES],
    )
    op.bulk_insert(
        requirements,
        [
            {
                "procedure_code": c,
                "paper_type": t,
                "component_name": name,
                "replacing_result_codes": codes,
            }
            for c, _, _, needs in PROCEDURES
            for t, name, codes in needs
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("status")

    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.drop_constraint("reused", type_="check")
        batch_op.drop_constraint("role", type_="check")
        batch_op.drop_column("result_code")
        batch_op.drop_column("replacing_result_code")
        batch_op.drop_column("from_warehouse")
        batch_op.drop_column("reused")
        batch_op.drop_column("digitised")
        batch_op.drop_column("role")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("has_signature")

    op.drop_table("procedure_requirements")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_owner_agency")

    op.drop_table("consents")
    op.drop_table("api_clients")
    op.drop_table("accounts")
    op.drop_table("procedures")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_owner_seq")
        batch_op.drop_index("ix_audit_entries_agency_seq")

    op.drop_table("audit_entries")
    op.drop_table("agencies")
