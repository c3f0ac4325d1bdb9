"""Owners' identification numbers are sealed at rest, found by a keyed blind index, resealed
by key rotation, and sealed by the migration for rows written before it."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import DateTime, String, Uuid, column, insert, select, table, text

from tests.conftest import Backend
from tests.factories import CITIZEN_ID, OTHER_CITIZEN_ID, TAX_CODE
from tests.people import People
from tests.support import postgres
from vault.db import create_engine_for, migrate
from vault.domain import OwnerKind
from vault.errors import IntegrityFailure
from vault.personal_data import IdentifierCipher
from vault.runtime import Vault
from vault.services import rotate_keys
from vault.settings import Environment, Settings


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _raw_owner_rows(vault: Vault) -> list[dict[str, object]]:
    engine = create_engine_for(vault.settings.database_url)
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(text("SELECT * FROM owners"))]
    engine.dispose()
    return rows


def _register(vault: Vault, people: People, kind: OwnerKind, identifier: str) -> uuid.UUID:
    actor = people.actor("clerk")
    with vault.uows() as uow:
        owner, _ = vault.owners.register(uow, actor, kind, identifier, "Nguyễn Thị Hương")
        uow.commit()
    return owner.id


def test_the_owners_table_holds_no_identification_number_in_clear(
    vault: Vault, people: People
) -> None:
    _register(vault, people, OwnerKind.CITIZEN, CITIZEN_ID)
    _register(vault, people, OwnerKind.ORGANISATION, TAX_CODE)
    rows = _raw_owner_rows(vault)
    assert len(rows) == 2
    assert "identifier" not in rows[0]
    for row in rows:
        for value in row.values():
            raw = value if isinstance(value, bytes) else str(value).encode()
            assert CITIZEN_ID.encode() not in raw and TAX_CODE.encode() not in raw
        assert len(row["identifier_index"]) == 32  # type: ignore[arg-type]
    # Yet the domain object carries the number in clear, found by exact look-up.
    with vault.uows() as uow:
        owner = vault.owners.lookup(uow, people.actor("clerk"), CITIZEN_ID)
        uow.commit()
    assert owner.identifier == CITIZEN_ID
    assert owner.kind is OwnerKind.CITIZEN


def test_registering_twice_finds_the_sealed_owner(vault: Vault, people: People) -> None:
    first = _register(vault, people, OwnerKind.CITIZEN, CITIZEN_ID)
    assert _register(vault, people, OwnerKind.CITIZEN, CITIZEN_ID) == first
    assert _register(vault, people, OwnerKind.CITIZEN, OTHER_CITIZEN_ID) != first
    assert len(_raw_owner_rows(vault)) == 2


def test_a_sealed_identifier_cannot_be_moved_onto_another_owner() -> None:
    cipher = IdentifierCipher({"k1": os.urandom(32)}, "k1")
    a, b = uuid.uuid4(), uuid.uuid4()
    sealed = cipher.seal(a, CITIZEN_ID)
    assert cipher.open(a, sealed.key_id, sealed.sealed) == CITIZEN_ID
    with pytest.raises(IntegrityFailure):
        cipher.open(b, sealed.key_id, sealed.sealed)
    # The index is deterministic per key (that is what makes it searchable) and keyed.
    assert cipher.index(CITIZEN_ID) == cipher.seal(b, CITIZEN_ID).index
    other = IdentifierCipher({"k1": os.urandom(32)}, "k1")
    assert other.index(CITIZEN_ID) != cipher.index(CITIZEN_ID)


def _rotated(vault: Vault, backend: Backend, new_key: str) -> Vault:
    """The same database and store, with a new active master key beside the old one."""
    old = {k: v.get_secret_value() for k, v in vault.settings.master_keys.items()}
    settings = vault.settings.model_copy(
        update={
            "master_keys": Settings(
                master_keys={**old, "k-new": new_key}, active_master_key_id="k-new"
            ).master_keys,
            "active_master_key_id": "k-new",
        }
    )
    return Vault.from_settings(settings, blobs=backend.store)


def test_key_rotation_reseals_and_reindexes(vault: Vault, backend: Backend, people: People) -> None:
    owner_id = _register(vault, people, OwnerKind.CITIZEN, CITIZEN_ID)
    before = _raw_owner_rows(vault)[0]
    rotated = _rotated(vault, backend, _key())
    try:
        clerk = people.actor("clerk")
        # Before the rotation runs, the new configuration still finds the old row.
        with rotated.uows() as uow:
            assert rotated.owners.lookup(uow, clerk, CITIZEN_ID).id == owner_id
            uow.commit()
        rotate_keys(rotated.uows, rotated.keyring)
        after = _raw_owner_rows(vault)[0]
        assert after["identifier_key_id"] == "k-new"
        assert after["identifier_index"] != before["identifier_index"]
        assert after["identifier_sealed"] != before["identifier_sealed"]
        with rotated.uows() as uow:
            found = rotated.owners.lookup(uow, clerk, CITIZEN_ID)
            uow.commit()
        assert (found.id, found.identifier) == (owner_id, CITIZEN_ID)
        # Once resealed, the old key alone no longer opens the row.
        with vault.uows() as uow, pytest.raises(Exception, match="k-new"):
            vault.owners.get(uow, clerk, owner_id)
    finally:
        rotated.close()


# -- the migration -------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def database_at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = postgres.create_database("vault_0009")
    migrate.upgrade(url, "0007")
    yield url
    if request.param == "postgres":
        postgres.drop_database(url)


def test_the_migration_seals_rows_written_before_it(database_at_0007: str) -> None:
    url = database_at_0007
    owner_id, other_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    engine = create_engine_for(url)
    # Typed as the models were at 0007 (reflection sees SQLite's uuids as plain text).
    owners = table(
        "owners",
        column("id", Uuid()),
        column("kind", String()),
        column("identifier", String()),
        column("display_name", String()),
        column("created_at", DateTime(timezone=True)),
    )
    dossiers = table(
        "dossiers",
        *(column(c, Uuid()) for c in ("id", "owner_id")),
        *(column(c, String()) for c in ("code", "procedure_code", "receiving_agency_code")),
        *(column(c, DateTime(timezone=True)) for c in ("received_at", "created_at")),
        column("status", String()),
    )
    with engine.begin() as connection:
        connection.execute(
            insert(owners),
            [
                {
                    "id": owner_id,
                    "kind": "citizen",
                    "identifier": CITIZEN_ID,
                    "display_name": "Nguyễn Thị Hương",
                    "created_at": now,
                },
                {
                    "id": other_id,
                    "kind": "organisation",
                    "identifier": TAX_CODE,
                    "display_name": "Công ty TNHH Sao Mai",
                    "created_at": now,
                },
            ],
        )
        # A row that points at an owner: the table's rebuild on SQLite must keep it valid.
        connection.execute(
            insert(dossiers).values(
                id=uuid.uuid4(),
                code="000.00.15.H57-250115-0001",
                procedure_code="1.001193",
                receiving_agency_code="000.00.15.H57",
                owner_id=owner_id,
                received_at=now,
                created_at=now,
                status="open",
            )
        )
    engine.dispose()

    key = _key()
    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        storage_backend="filesystem",
        storage_path=Path("/nonexistent"),
        master_keys={"k-2026": key},
        active_master_key_id="k-2026",
    )
    cipher = IdentifierCipher(settings.master_key_bytes(), "k-2026")
    migrate.upgrade(url, identifiers=cipher)

    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            citizen = uow.owners.by_identifier(CITIZEN_ID)
            organisation = uow.owners.by_identifier(TAX_CODE)
            dossier_owners = list(uow.session.execute(text("SELECT owner_id FROM dossiers")))
        assert citizen is not None and citizen.id == owner_id
        assert citizen.identifier == CITIZEN_ID
        assert organisation is not None and organisation.id == other_id
        assert len(dossier_owners) == 1
        rows = _raw_owner_rows(vault)
        assert all(r["identifier_key_id"] == "k-2026" for r in rows)
        assert all(CITIZEN_ID.encode() not in bytes(r["identifier_sealed"]) for r in rows)  # type: ignore[arg-type]
    finally:
        vault.close()

    # And back: the numbers are in clear again at 0007.
    migrate.downgrade(url, "0007", identifiers=cipher)
    engine = create_engine_for(url)
    with engine.connect() as connection:
        back = dict(connection.execute(select(owners.c.id, owners.c.identifier)).all())
    engine.dispose()
    assert back == {owner_id: CITIZEN_ID, other_id: TAX_CODE}
