"""S3 Object Lock as the second line behind the vault's retention rule, against a real S3
server (SeaweedFS). The tests check that the vault sets the right lock on each object and
mirrors legal holds, and what the server does with them. (Found here: the SeaweedFS of the
lock file refuses to delete a locked or held *version*, while a delete by key only adds a
delete marker, as S3 does; the adapter deletes versions. Reported as unenforced upstream,
seaweedfs#11333, so the vault never relies on the server alone: tests/test_retention.py.)"""

from __future__ import annotations

import contextlib
import io
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error

from tests.conftest import s3_store
from tests.factories import CITIZEN_ID, png_bytes
from tests.people import People
from tests.support.s3server import S3Server
from vault.domain import DocumentOrigin, OwnerKind
from vault.errors import StorageUnavailable
from vault.retention import RetainedRecord
from vault.runtime import Vault
from vault.services import NewDocument
from vault.services.retention import PERMANENT_LOCK
from vault.settings import Environment, Settings
from vault.storage.s3 import S3BlobStore


@pytest.fixture
def locked_bucket(s3_server: S3Server) -> Iterator[str]:
    bucket = "lock-" + secrets.token_hex(6)
    client = Minio(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, secure=False)
    client.make_bucket(bucket, object_lock=True)
    yield bucket
    # Objects locked for years stay in the session's throw-away server.
    for obj in client.list_objects(bucket, recursive=True, include_version=True):
        with contextlib.suppress(S3Error):
            client.remove_object(bucket, obj.object_name or "", obj.version_id)
    with contextlib.suppress(S3Error):
        client.remove_bucket(bucket)


def test_the_adapter_sets_and_reads_retention_and_legal_hold(
    s3_server: S3Server, locked_bucket: str
) -> None:
    store: S3BlobStore = s3_store(s3_server, locked_bucket, object_lock=True)
    store.put("blobs/aa/x", io.BytesIO(b"sealed bytes"), 12)
    until = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
    store.lock("blobs/aa/x", until)
    store.legal_hold("blobs/aa/x", True)
    assert store.lock_state("blobs/aa/x") == (until, True)
    with pytest.raises(StorageUnavailable, match="AccessDenied"):
        store.delete("blobs/aa/x")
    store.legal_hold("blobs/aa/x", False)
    assert store.lock_state("blobs/aa/x") == (until, False)
    with pytest.raises(StorageUnavailable, match="AccessDenied"):
        store.delete("blobs/aa/x")  # the retention still runs
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.5)
    store.delete("blobs/aa/x")  # period over, no hold: every version goes
    assert list(store.list("blobs/")) == []


@pytest.fixture
def locking_vault(
    s3_server: S3Server, pg_url: str, locked_bucket: str, tmp_path: Path
) -> Iterator[Vault]:
    from tests.conftest import empty_database

    settings = Settings(
        env=Environment.TEST,
        database_url=pg_url,
        storage_backend="s3",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=locked_bucket,
        s3_object_lock=True,
    )
    vault = Vault.from_settings(settings)
    yield vault
    vault.close()
    empty_database(pg_url)


def test_the_vault_locks_each_new_object_and_mirrors_holds(locking_vault: Vault) -> None:
    vault = locking_vault
    people = People.make(vault)
    with vault.uows() as uow:
        owner, _ = vault.owners.register(
            uow, people.actor("clerk"), OwnerKind.CITIZEN, CITIZEN_ID, "Trần Văn An"
        )
        uow.commit()

    def upload(paper_type: str, issued: date) -> tuple[uuid.UUID, str]:
        meta = NewDocument(
            paper_type,
            "test",
            DocumentOrigin.ISSUED_RESULT,
            issue_date=issued,
            valid_until=issued + timedelta(days=1),
        )
        with vault.uows() as uow:
            d = vault.documents.upload(
                uow, people.actor("clerk"), owner.id, meta, io.BytesIO(png_bytes())
            )
            uow.commit()
        return d.id, d.blob.object_key

    store = vault.uows.blobs.inner  # type: ignore[attr-defined]
    _, permanent_key = upload("birth_certificate", date(2020, 5, 4))
    licence, licence_key = upload("driving_licence", date(2020, 5, 4))
    assert store.lock_state(permanent_key) == (PERMANENT_LOCK, False)
    assert store.lock_state(licence_key) == (datetime(2030, 5, 4, tzinfo=UTC), False)

    with vault.uows() as uow:
        hold = vault.retention.place_hold(
            uow, people.actor("records"), document_id=licence, reason="Điều tra vụ việc"
        )
        uow.commit()
    assert store.lock_state(licence_key)[1] is True
    with pytest.raises(RetainedRecord):  # the vault's rule, first
        vault.uows.blobs.delete(licence_key)
    for key in (licence_key, permanent_key):  # and the server's, behind the vault's back
        with pytest.raises(StorageUnavailable, match="AccessDenied"):
            store.delete(key)
    with vault.uows() as uow:
        vault.retention.lift_hold(uow, people.actor("records"), hold.id, "Đã kết thúc")
        uow.commit()
    assert store.lock_state(licence_key)[1] is False
