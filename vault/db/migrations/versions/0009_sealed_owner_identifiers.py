"""owners' identification numbers sealed at rest, with a keyed blind index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

The owners table kept identification numbers in clear. They are now sealed (AES-256-GCM under
a subkey of a master key) with an HMAC blind index for exact look-up (vault.personal_data);
existing rows are sealed here, with the master keys the caller passes (vault.db.migrate) or,
from the command line, those of the configuration.

SQLite cannot drop a UNIQUE column, so there the table is rebuilt: the rows are copied aside,
the table dropped and made again, the rows written back. Foreign keys to owners are deferred
meanwhile and checked at commit, when every owner is back.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from vault.personal_data import IdentifierCipher

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ASIDE = "_owners_0009"  # spelt out in the SQL of _sqlite_set_aside


def _cipher() -> IdentifierCipher:
    given = context.config.attributes.get("identifier_cipher")
    if isinstance(given, IdentifierCipher):
        return given
    from vault.runtime import build_identifier_cipher
    from vault.settings import Settings

    return build_identifier_cipher(Settings())


def _table(name: str, *columns: str) -> Any:
    types: dict[str, Any] = {
        "id": sa.Uuid(),
        "kind": sa.String(),
        "identifier": sa.String(),
        "identifier_key_id": sa.String(),
        "identifier_sealed": sa.LargeBinary(),
        "identifier_index": sa.LargeBinary(),
        "display_name": sa.String(),
        "created_at": sa.DateTime(timezone=True),
    }
    return sa.table(name, *(sa.column(c, types[c]) for c in columns))


def _sealed(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows with `identifier` in clear, with it sealed and indexed instead."""
    if not rows:
        return []
    cipher = _cipher()
    out = []
    for row in rows:
        values = dict(row._mapping)
        sealed = cipher.seal(values["id"], values.pop("identifier"))
        values.update(
            identifier_key_id=sealed.key_id,
            identifier_sealed=sealed.sealed,
            identifier_index=sealed.index,
        )
        out.append(values)
    return out


def _opened(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Sealed rows, with the identifier opened in clear instead."""
    if not rows:
        return []
    cipher = _cipher()
    out = []
    for row in rows:
        values = dict(row._mapping)
        values["identifier"] = cipher.open(
            values["id"], values.pop("identifier_key_id"), values.pop("identifier_sealed")
        )
        values.pop("identifier_index", None)
        out.append(values)
    return out


def _sqlite_set_aside() -> None:
    """Copies owners aside and drops the table, foreign keys to it deferred to the commit."""
    op.execute("CREATE TABLE _owners_0009 AS SELECT * FROM owners WHERE 0")
    # A data statement first: the driver opens the transaction the deferral lives in.
    op.execute("INSERT INTO _owners_0009 SELECT * FROM owners")
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.drop_table("owners")


def _owners_table(*identifier_columns: sa.Column[Any], unique: sa.UniqueConstraint) -> None:
    op.create_table(
        "owners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        *identifier_columns,
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('citizen', 'organisation')", name=op.f("ck_owners_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owners")),
        unique,
    )


_COMMON = ("id", "kind", "display_name", "created_at")
_SEALED = ("identifier_key_id", "identifier_sealed", "identifier_index")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_set_aside()
        _owners_table(
            sa.Column("identifier_key_id", sa.String(length=64), nullable=False),
            sa.Column("identifier_sealed", sa.LargeBinary(), nullable=False),
            sa.Column("identifier_index", sa.LargeBinary(length=32), nullable=False),
            unique=sa.UniqueConstraint("identifier_index", name=op.f("uq_owners_identifier_index")),
        )
        aside = _table(_ASIDE, *_COMMON, "identifier")
        rows = _sealed(bind.execute(sa.select(aside)).all())
        if rows:
            bind.execute(sa.insert(_table("owners", *_COMMON, *_SEALED)), rows)
        op.drop_table(_ASIDE)
        return

    with op.batch_alter_table("owners") as batch:
        batch.add_column(sa.Column("identifier_key_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("identifier_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("identifier_index", sa.LargeBinary(length=32), nullable=True))
    owners = _table("owners", "id", "identifier", *_SEALED)
    for values in _sealed(bind.execute(sa.select(owners.c.id, owners.c.identifier)).all()):
        bind.execute(sa.update(owners).where(owners.c.id == values.pop("id")).values(**values))
    with op.batch_alter_table("owners") as batch:
        batch.alter_column("identifier_key_id", nullable=False)
        batch.alter_column("identifier_sealed", nullable=False)
        batch.alter_column("identifier_index", nullable=False)
        batch.create_unique_constraint(op.f("uq_owners_identifier_index"), ["identifier_index"])
        batch.drop_constraint(op.f("uq_owners_identifier"), type_="unique")
        batch.drop_column("identifier")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_set_aside()
        _owners_table(
            sa.Column("identifier", sa.String(length=14), nullable=False),
            unique=sa.UniqueConstraint("identifier", name=op.f("uq_owners_identifier")),
        )
        aside = _table(_ASIDE, *_COMMON, *_SEALED)
        rows = _opened(bind.execute(sa.select(aside)).all())
        if rows:
            bind.execute(sa.insert(_table("owners", *_COMMON, "identifier")), rows)
        op.drop_table(_ASIDE)
        return

    with op.batch_alter_table("owners") as batch:
        batch.add_column(sa.Column("identifier", sa.String(length=14), nullable=True))
    owners = _table("owners", "id", "identifier", *_SEALED)
    sealed = bind.execute(
        sa.select(owners.c.id, owners.c.identifier_key_id, owners.c.identifier_sealed)
    ).all()
    for values in _opened(sealed):
        bind.execute(
            sa.update(owners)
            .where(owners.c.id == values["id"])
            .values(identifier=values["identifier"])
        )
    with op.batch_alter_table("owners") as batch:
        batch.alter_column("identifier", nullable=False)
        batch.create_unique_constraint(op.f("uq_owners_identifier"), ["identifier"])
        batch.drop_constraint(op.f("uq_owners_identifier_index"), type_="unique")
        batch.drop_column("identifier_key_id")
        batch.drop_column("identifier_sealed")
        batch.drop_column("identifier_index")
