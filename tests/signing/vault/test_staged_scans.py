"""Scans kept between a certified copy's preview and its signing, on both backends: encrypted
in the object store under a key that names no one, usable only by the officer who chose
them, for the same owner, until they expire; expired ones are purged, rows and objects."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from signing.issuing.staging import ScanStaging, StageExpired
from tests.factories import CITIZEN_ID, create_owner
from tests.people import People
from vault.errors import InvalidInput, PermissionDenied
from vault.runtime import Vault
from vault.storage.base import ObjectMissing

OTHER_CITIZEN = "079203005678"


def scans() -> list[bytes]:
    return [b"\xff\xd8\xff" + os.urandom(150_000), b"Trang hai, ban chup ban chinh. " * 3000]


def _row(vault: Vault, staged_id: uuid.UUID) -> dict[str, object] | None:
    with vault.engine.connect() as connection:
        row = connection.execute(
            text("SELECT object_key, account_id, owner_id FROM staged_scans WHERE id = :id"),
            {"id": staged_id.hex if vault.engine.dialect.name == "sqlite" else staged_id},
        ).first()
    return dict(row._mapping) if row is not None else None


def _stored(vault: Vault, key: str) -> bytes | None:
    try:
        return b"".join(vault.uows.blobs.get(key))
    except ObjectMissing:
        return None


def test_kept_encrypted_and_only_for_the_officer_and_owner_they_were_chosen_for(
    vault: Vault, people: People, client: TestClient
) -> None:
    owner_id = uuid.UUID(create_owner(client))
    other_owner = uuid.UUID(create_owner(client, OTHER_CITIZEN, "Trần Văn Bình"))
    staging = ScanStaging(vault.keyring)
    files = scans()
    certifier = people.actor("certifier")
    with vault.uows() as uow:
        staged = staging.stage(uow, certifier, owner_id, files)
        uow.commit()
    assert staged.expires_at - datetime.now(UTC) > timedelta(minutes=29)

    row = _row(vault, staged.id)
    assert row is not None
    key = str(row["object_key"])
    # A random key: no identification number, no owner id, no paper in it.
    assert key.startswith("staging/")
    for secret in (CITIZEN_ID, str(owner_id), owner_id.hex):
        assert secret not in key
    raw = _stored(vault, key)
    assert raw is not None and raw.startswith(b"VLT1")  # the vault's envelope format
    assert files[0][3:1003] not in raw and b"ban chup ban chinh" not in raw

    with vault.uows() as uow:
        assert staging.load(uow, certifier, staged.id, owner_id).files == files
    # Another certifying officer of the same office: as if there were nothing kept.
    with vault.uows() as uow, pytest.raises(StageExpired):
        staging.load(uow, people.actor("clerk"), staged.id, owner_id)
    # The same officer, another owner: refused, and said so.
    with vault.uows() as uow, pytest.raises(InvalidInput) as refused:
        staging.load(uow, certifier, staged.id, other_owner)
    assert refused.value.field == "staged_scans" and not isinstance(refused.value, StageExpired)
    # Not a certifying officer at all.
    with vault.uows() as uow, pytest.raises(PermissionDenied):
        staging.load(uow, people.actor("receiver"), staged.id, owner_id)
    # An id never given out.
    with vault.uows() as uow, pytest.raises(StageExpired):
        staging.load(uow, certifier, uuid.uuid4(), owner_id)

    # Someone else cannot discard it; its officer can, and the object goes with the row.
    with vault.uows() as uow:
        staging.discard(uow, people.actor("clerk"), staged.id)
        uow.commit()
    assert _row(vault, staged.id) is not None and _stored(vault, key) is not None
    with vault.uows() as uow:
        staging.discard(uow, certifier, staged.id)
        uow.commit()
    assert _row(vault, staged.id) is None and _stored(vault, key) is None
    with vault.uows() as uow, pytest.raises(StageExpired):
        staging.load(uow, certifier, staged.id, owner_id)


def test_expired_scans_are_refused_then_purged(
    vault: Vault, people: People, client: TestClient
) -> None:
    owner_id = uuid.UUID(create_owner(client))
    now = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]
    staging = ScanStaging(vault.keyring, ttl=timedelta(minutes=30), clock=lambda: now[0])
    certifier = people.actor("certifier")
    with vault.uows() as uow:
        old = staging.stage(uow, certifier, owner_id, scans())
        uow.commit()
    old_key = str((_row(vault, old.id) or {})["object_key"])

    now[0] += timedelta(minutes=29)
    with vault.uows() as uow:
        assert len(staging.load(uow, certifier, old.id, owner_id).files) == 2
    now[0] += timedelta(minutes=2)
    with vault.uows() as uow, pytest.raises(StageExpired):
        staging.load(uow, certifier, old.id, owner_id)

    # Staging again purges what has expired (anyone's), rows and objects; keeps the new.
    with vault.uows() as uow:
        fresh = staging.stage(uow, people.actor("clerk"), owner_id, scans())
        uow.commit()
    assert _row(vault, old.id) is None and _stored(vault, old_key) is None
    assert _row(vault, fresh.id) is not None
    with vault.uows() as uow:
        assert staging.purge_expired(uow) == 0


def test_a_rolled_back_staging_leaves_no_object(
    vault: Vault, people: People, client: TestClient
) -> None:
    owner_id = uuid.UUID(create_owner(client))
    staging = ScanStaging(vault.keyring)
    with vault.uows() as uow:
        staged = staging.stage(uow, people.actor("certifier"), owner_id, scans())
        uow.rollback()
    assert _row(vault, staged.id) is None
    assert not [o for o in vault.uows.blobs.list("staging/")]


def test_a_kept_row_whose_object_is_gone_reads_as_expired(
    vault: Vault, people: People, client: TestClient
) -> None:
    """A discard deletes the object at once; if its transaction then rolls back, the row
    stays without an object: choosing again is asked for, not a crash."""
    owner_id = uuid.UUID(create_owner(client))
    staging = ScanStaging(vault.keyring)
    certifier = people.actor("certifier")
    with vault.uows() as uow:
        staged = staging.stage(uow, certifier, owner_id, scans())
        uow.commit()
    with vault.uows() as uow:
        staging.discard(uow, certifier, staged.id)
        uow.rollback()
    assert _row(vault, staged.id) is not None
    with vault.uows() as uow, pytest.raises(StageExpired):
        staging.load(uow, certifier, staged.id, owner_id)
