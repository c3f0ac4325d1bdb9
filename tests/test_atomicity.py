"""A document row exists only if its blob is completely stored, with real failures:
an S3 server killed mid-upload, a process that dies before its commit, aborted transactions,
and two reissues racing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Backend, empty_database, new_bucket
from tests.factories import AGENCY, CITIZEN_ID, DEFAULT_FIELDS, padded_pdf, pdf_bytes, png_bytes
from tests.people import People
from tests.support.s3server import S3Server, start_seaweedfs
from vault.auth import Actor, ActorKind, Role
from vault.domain import DocumentOrigin, OwnerKind
from vault.errors import Conflict, StorageUnavailable
from vault.runtime import Vault
from vault.services import NewDocument, reconcile
from vault.settings import Settings

META = NewDocument(
    paper_type="birth_certificate", title="Giấy khai sinh", origin=DocumentOrigin.ISSUED_RESULT
)
# Service-level tests act as this officer (the services trust the actor they are given).
CLERK = Actor(
    uuid.UUID(int=1),
    ActorKind.OFFICER,
    "Test Clerk",
    roles=frozenset({Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER}),
    agency_code=AGENCY,
)


def register_owner(vault: Vault) -> uuid.UUID:
    with vault.uows() as uow:
        owner, _ = vault.owners.register(
            uow, CLERK, OwnerKind.CITIZEN, CITIZEN_ID, "Nguyễn Thị Hương"
        )
        uow.commit()
    return owner.id


def document_count(vault: Vault, owner_id: uuid.UUID) -> int:
    with vault.uows() as uow:
        return len(
            uow.documents.list_for_owner(
                owner_id,
                paper_type=None,
                origin=None,
                valid_on=None,
                include_superseded=True,
                before_id=None,
                limit=1000,
            )
        )


class KillsServerWhenHalfRead(io.BytesIO):
    """An upload source that SIGKILLs the S3 server once `after` bytes have been read."""

    def __init__(self, data: bytes, server: S3Server, after: int) -> None:
        super().__init__(data)
        self.server, self.after, self.killed = server, after, False

    def read(self, size: int | None = -1) -> bytes:
        if not self.killed and self.tell() >= self.after:
            self.server.kill()
            self.killed = True
        return super().read(size)


@pytest.fixture
def clean_pg(pg_url: str) -> Iterator[str]:
    """The session's PostgreSQL database, emptied after a test that uses it directly."""
    yield pg_url
    empty_database(pg_url)


@pytest.fixture
def own_s3(tmp_path: Path) -> Iterator[S3Server]:
    """A private S3 server this test may kill."""
    server = start_seaweedfs(tmp_path / "s3")
    yield server
    server.stop()


def test_s3_killed_mid_upload_leaves_no_row_and_no_object(
    own_s3: S3Server, clean_pg: str, tmp_path: Path
) -> None:
    bucket = new_bucket(own_s3)
    settings = Settings(
        database_url=clean_pg,
        storage_backend="s3",
        s3_endpoint=own_s3.endpoint,
        s3_access_key=own_s3.access_key,
        s3_secret_key=own_s3.secret_key,
        s3_bucket=bucket,
        s3_part_size=5 * 1024 * 1024,
    )
    vault = Vault.from_settings(settings)
    try:
        owner_id = register_owner(vault)
        source = KillsServerWhenHalfRead(padded_pdf(24 * 1024 * 1024), own_s3, 12 * 1024 * 1024)
        with pytest.raises(StorageUnavailable), vault.uows() as uow:
            vault.documents.upload(uow, CLERK, owner_id, META, source)
            uow.commit()
        assert source.killed
        assert document_count(vault, owner_id) == 0
    finally:
        vault.close()
    # The server comes back on the same data: the interrupted upload never became an object.
    revived = start_seaweedfs(
        tmp_path / "s3", access_key=own_s3.access_key, secret_key=own_s3.secret_key
    )
    try:
        store = Vault.from_settings(settings.model_copy(update={"s3_endpoint": revived.endpoint}))
        assert list(store.uows.blobs.list()) == []
        with store.uows() as uow:
            assert uow.blob_rows.existing_keys(["x"]) == set()
        store.close()
    finally:
        revived.stop()


def test_dead_s3_is_a_503_and_nothing_is_recorded(own_s3: S3Server, clean_pg: str) -> None:
    from fastapi.testclient import TestClient

    from api import create_app

    bucket = new_bucket(own_s3)
    settings = Settings(
        database_url=clean_pg,
        storage_backend="s3",
        s3_endpoint=own_s3.endpoint,
        s3_access_key=own_s3.access_key,
        s3_secret_key=own_s3.secret_key,
        s3_bucket=bucket,
    )
    vault = Vault.from_settings(settings)
    people = People.make(vault)
    with TestClient(create_app(vault=vault), headers=people.auth("clerk")) as client:
        owner_id = register_owner(vault)
        own_s3.kill()
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data={**DEFAULT_FIELDS, "title": "x"},
            files={"file": ("a.png", png_bytes(), "image/png")},
        )
        assert r.status_code == 503
        assert r.json()["type"].endswith("storage-unavailable")
        assert document_count(vault, owner_id) == 0
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["object_store"].startswith("unavailable")
        assert ready.json()["checks"]["database"] == "ok"
    vault.close()


def test_aborted_transaction_deletes_its_blob(backend: Backend, vault: Vault) -> None:
    owner_id = register_owner(vault)
    with pytest.raises(RuntimeError, match="officer cancelled"), vault.uows() as uow:
        vault.documents.upload(uow, CLERK, owner_id, META, io.BytesIO(pdf_bytes()))
        assert len(list(backend.store.list())) == 1  # written, not yet committed
        raise RuntimeError("officer cancelled")
    assert list(backend.store.list()) == []
    assert document_count(vault, owner_id) == 0
    # A unit of work left without commit also rolls back.
    with vault.uows() as uow:
        vault.documents.upload(uow, CLERK, owner_id, META, io.BytesIO(pdf_bytes()))
    assert list(backend.store.list()) == []
    assert document_count(vault, owner_id) == 0


CRASHER = r"""
import io, os, sys, uuid
from vault.domain import DocumentOrigin
from vault.runtime import Vault
from vault.services import NewDocument
from vault.settings import Settings
from tests.factories import pdf_bytes

vault = Vault.from_settings(Settings())
uow = vault.uows()
meta = NewDocument("birth_certificate", "Giấy khai sinh", DocumentOrigin.ISSUED_RESULT)
from vault.auth import Actor, ActorKind, Role
clerk = Actor(uuid.UUID(int=1), ActorKind.OFFICER, "Test Clerk",
              roles=frozenset({Role.ISSUING_OFFICER}), agency_code="000.00.15.H57")
doc = vault.documents.upload(uow, clerk, uuid.UUID(sys.argv[1]), meta,
                             io.BytesIO(pdf_bytes()))
print(doc.blob.object_key, flush=True)
os._exit(9)  # dies after the blob is stored and the rows flushed, before the commit
"""


def settings_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env.update(
        {
            "VAULT_DATABASE_URL": settings.database_url,
            "VAULT_STORAGE_BACKEND": settings.storage_backend,
            "VAULT_STORAGE_PATH": str(settings.storage_path),
            "VAULT_S3_ENDPOINT": settings.s3_endpoint,
            "VAULT_S3_ACCESS_KEY": settings.s3_access_key,
            "VAULT_S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
            "VAULT_S3_BUCKET": settings.s3_bucket,
        }
    )
    return env


def test_crash_before_commit_leaves_only_an_orphan_that_reconcile_removes(
    backend: Backend, vault: Vault, repo_root: Path
) -> None:
    owner_id = register_owner(vault)
    with vault.uows() as uow:  # a committed document, which reconcile must keep
        kept = vault.documents.upload(uow, CLERK, owner_id, META, io.BytesIO(png_bytes()))
        uow.commit()
    crash = subprocess.run(
        [sys.executable, "-c", CRASHER, str(owner_id)],
        cwd=repo_root,
        env=settings_env(backend.settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crash.returncode == 9, crash.stderr
    orphan = crash.stdout.strip()
    assert {o.key for o in backend.store.list()} == {orphan, kept.blob.object_key}
    assert document_count(vault, owner_id) == 1

    young = reconcile(vault.uows, grace=timedelta(hours=1))
    assert young.orphans_too_young == [orphan]
    assert young.orphans_removed == []
    dry = reconcile(vault.uows, grace=timedelta(0), dry_run=True)
    assert dry.orphans_removed == [orphan]
    assert {o.key for o in backend.store.list()} == {orphan, kept.blob.object_key}
    report = reconcile(vault.uows, grace=timedelta(0))
    assert report.orphans_removed == [orphan]
    assert report.missing_objects == []
    assert {o.key for o in backend.store.list()} == {kept.blob.object_key}

    # A row whose object vanished is reported, never deleted.
    backend.store.delete(kept.blob.object_key)
    report = reconcile(vault.uows, grace=timedelta(0))
    assert report.missing_objects == [kept.blob.object_key]
    assert document_count(vault, owner_id) == 1


def test_racing_reissues_one_wins_the_loser_leaves_nothing(backend: Backend, vault: Vault) -> None:
    owner_id = register_owner(vault)
    with vault.uows() as uow:
        v1 = vault.documents.upload(uow, CLERK, owner_id, META, io.BytesIO(png_bytes()))
        uow.commit()
    winner_flushed, loser_uploaded = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def winner() -> None:
        with vault.uows() as uow:
            outcome["winner"] = vault.documents.new_version(
                uow, CLERK, v1.id, META, io.BytesIO(pdf_bytes())
            )
            winner_flushed.set()
            loser_uploaded.wait(10)
            uow.commit()

    def loser() -> None:
        winner_flushed.wait(10)

        class Signalling(io.BytesIO):
            def read(self, size: int | None = -1) -> bytes:
                data = super().read(size)
                if not data:
                    loser_uploaded.set()
                return data

        try:
            with vault.uows() as uow:
                vault.documents.new_version(uow, CLERK, v1.id, META, Signalling(pdf_bytes(2)))
                uow.commit()
            outcome["loser"] = "committed"
        except Conflict as exc:
            outcome["loser"] = exc

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert isinstance(outcome["loser"], Conflict), outcome
    with vault.uows() as uow:
        versions = uow.documents.versions(v1.lineage_id)
    assert [v.version for v in versions] == [1, 2]
    assert {o.key for o in backend.store.list()} == {v.blob.object_key for v in versions}
