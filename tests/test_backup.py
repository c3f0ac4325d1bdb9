"""`vault backup` / `vault restore`, on both backends, with the restore drill of issue 16.

Each test here gets a stack of its own (a fresh PostgreSQL database and bucket, or a SQLite
file and folder) because the drill really destroys it: the database is dropped or deleted and
the bucket removed, then the stack is rebuilt from the backup alone.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from minio import Minio

from signing.issuing.wiring import VaultSigning
from tests.conftest import BACKENDS, Backend, new_bucket, s3_store
from tests.factories import pdf_bytes, png_bytes, upload
from tests.people import People
from tests.signing.conftest import dev, pki, runtime  # noqa: F401 - fixtures
from tests.signing.vault.conftest import (  # noqa: F401 - fixtures
    api,
    csc,
    signer_settings,
    signing,
    signing_app,
)
from tests.signing.vault.test_certified_copies import BOOK, certify, scanned_jpeg
from tests.signing.vault.test_vault_signing import new_owner
from tests.support import postgres
from tests.support.s3server import S3Server
from tests.test_atomicity import settings_env
from tests.test_cli import vault_cli
from vault.audit import verify_chain
from vault.db import migrate
from vault.domain import AuditEntry
from vault.errors import IntegrityFailure
from vault.runtime import Vault
from vault.services.backup import (
    BackupRefused,
    MissingMasterKeys,
    TargetNotEmpty,
    backup,
    database_is_empty,
    read_manifest,
    restore,
    verify_contents,
)
from vault.settings import (
    DEVELOPMENT_MASTER_KEY,
    DEVELOPMENT_MASTER_KEY_ID,
    Environment,
    Settings,
)
from vault.storage.filesystem import FilesystemBlobStore


def _drop_bucket(server: S3Server, bucket: str) -> None:
    client = Minio(server.endpoint, server.access_key, server.secret_key, secure=False)
    if not client.bucket_exists(bucket):
        return
    for obj in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, obj.object_name or "")
    client.remove_bucket(bucket)


class Stacks:
    """Makes empty stacks of one backend and removes them all at the end."""

    def __init__(self, kind: str, tmp_path: Path, server: S3Server | None) -> None:
        self.kind, self.tmp_path, self.server = kind, tmp_path, server
        self.databases: list[str] = []
        self.buckets: list[str] = []

    def empty(self, name: str) -> Backend:
        """A stack with nothing in it: no tables, no objects."""
        if self.kind == "sqlite+folder":
            settings = Settings(
                env=Environment.TEST,  # no embedded OCR worker writing beside the drill
                database_url=f"sqlite:///{self.tmp_path / name / 'vault.db'}",
                storage_backend="filesystem",
                storage_path=self.tmp_path / name / "objects",
            )
            settings.storage_path.mkdir(parents=True)
            return Backend(self.kind, settings, FilesystemBlobStore(settings.storage_path))
        assert self.server is not None
        url = postgres.create_database("vault_backup")
        self.databases.append(url)
        bucket = new_bucket(self.server)
        self.buckets.append(bucket)
        settings = Settings(
            env=Environment.TEST,
            database_url=url,
            storage_backend="s3",
            s3_endpoint=self.server.endpoint,
            s3_access_key=self.server.access_key,
            s3_secret_key=self.server.secret_key,
            s3_bucket=bucket,
        )
        return Backend(self.kind, settings, s3_store(self.server, bucket))

    def destroy(self, stack: Backend) -> None:
        """Loses the database and the bucket (or the file and the folder) for good."""
        if self.kind == "sqlite+folder":
            db = Path(stack.settings.database_url.removeprefix("sqlite:///"))
            for path in db.parent.glob(db.name + "*"):  # with its -wal and -shm
                path.unlink()
            shutil.rmtree(stack.settings.storage_path)
            stack.settings.storage_path.mkdir()
            return
        assert self.server is not None
        postgres.drop_database(stack.settings.database_url)
        _drop_bucket(self.server, stack.settings.s3_bucket)

    def close(self) -> None:
        for url in self.databases:
            postgres.drop_database(url)
        for bucket in self.buckets:
            assert self.server is not None
            _drop_bucket(self.server, bucket)


@pytest.fixture(params=BACKENDS)
def stacks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stacks]:
    server = request.getfixturevalue("s3_server") if request.param == "postgres+s3" else None
    made = Stacks(request.param, tmp_path, server)
    yield made
    made.close()


@pytest.fixture
def backend(stacks: Stacks) -> Backend:
    """Overrides conftest's: the vault (and people, api, signing) on a stack of its own."""
    stack = stacks.empty("source")
    migrate.upgrade(stack.settings.database_url)
    return stack


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content(client: TestClient, people: People, document_id: str) -> bytes:
    r = client.get(f"/api/v1/documents/{document_id}/content", headers=people.auth("certifier"))
    assert r.status_code == 200, r.text
    return r.content


def _audit_entries(vault: Vault) -> int:
    report = verify_chain(vault.uows)
    assert report.ok, report
    return report.entries


def _last_audit_entry(vault: Vault) -> AuditEntry:
    with vault.uows() as uow:
        *_, last = uow.audit.iter_all()
        return last


def test_restore_drill_documents_copies_and_audit_survive_losing_everything(
    stacks: Stacks,
    backend: Backend,
    vault: Vault,
    people: People,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    # (By name: these fixtures are imported from the signing tests' conftest.)
    client: TestClient = request.getfixturevalue("api")
    vault_signing: VaultSigning = request.getfixturevalue("signing")
    # -- a vault in use: papers, two certified copies, their audit entries ----------------------
    owner_id = new_owner(client, people)
    documents = [
        upload(client, owner_id, png_bytes(300, 200), headers=people.auth("clerk"))["id"],
        upload(
            client,
            owner_id,
            pdf_bytes(3),
            filename="kết-quả.pdf",
            content_type="application/pdf",
            headers=people.auth("clerk"),
        )["id"],
    ]
    numbers = []
    for _ in range(2):
        r = certify(client, people, owner_id, [("trang-1.jpg", scanned_jpeg(), "image/jpeg")])
        assert r.status_code == 201, r.text
        documents.append(r.json()["document"]["id"])
        numbers.append(r.json()["certification"]["number"])
    assert numbers == [1, 2]
    recorded = {d: _sha256(_content(client, people, d)) for d in documents}
    entries = _audit_entries(vault)
    assert entries >= 6
    blobs_before = sorted(o.key for o in backend.store.list())

    # -- back up (the command, as an operator runs it) ------------------------------------------
    folder = tmp_path / "backup-1"
    env = settings_env(backend.settings)
    result = vault_cli(["backup", str(folder)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)
    manifest = read_manifest(folder)
    assert made["objects"] == len(blobs_before) == len(manifest["objects"])
    assert sorted(e["key"] for e in manifest["objects"]) == blobs_before
    assert manifest["master_key_ids"] == [DEVELOPMENT_MASTER_KEY_ID]
    # The backup is in the audit log of the vault it was taken of, naming its manifest.
    backup_entry = _last_audit_entry(vault)
    assert (backup_entry.action, backup_entry.outcome) == ("vault.backup", "ok")
    assert backup_entry.actor_name == "vault command"
    assert made["manifest_sha256"] == _sha256((folder / "manifest.json").read_bytes())
    assert made["manifest_sha256"] in (backup_entry.detail or "")
    for entry in manifest["objects"]:  # the stored (encrypted) bytes, as the manifest says
        stored = b"".join(backend.store.get(entry["key"]))
        assert (len(stored), _sha256(stored)) == (entry["size"], entry["sha256"])
        assert entry["key_id"] == DEVELOPMENT_MASTER_KEY_ID
    # No master key anywhere in the backup.
    master = base64.b64decode(DEVELOPMENT_MASTER_KEY)
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert master not in data and DEVELOPMENT_MASTER_KEY.encode() not in data, path

    # -- disaster: the database and the bucket are gone ----------------------------------------
    vault.close()
    stacks.destroy(backend)

    # -- restore into an empty stack -----------------------------------------------------------
    target = stacks.empty("source") if stacks.kind == "postgres+s3" else backend
    result = vault_cli(["restore", str(folder)], settings_env(target.settings), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    restored_report = json.loads(result.stdout)
    assert restored_report["problems"] == []
    # The restored chain is the backup's (taken before its own "vault.backup" entry), plus
    # one entry that records the restore: it verifies whole.
    assert restored_report["verified"] == {
        "audit_entries": entries + 1,
        "blobs_decrypted": len(blobs_before),
    }
    print(
        f"\nDRILL {stacks.kind}: {made['objects']} objects, {made['object_bytes']} object bytes, "
        f"database dump {made['database_bytes']} bytes; backup {made['seconds']} s, "
        f"restore {restored_report['restore']['seconds']} s"
    )

    restored = Vault.from_settings(target.settings, blobs=target.store)
    try:
        # The audit chain verifies, whole, and every blob decrypts to its recorded hash.
        assert _audit_entries(restored) == entries + 1
        restore_entry = _last_audit_entry(restored)
        assert (restore_entry.action, restore_entry.outcome) == ("vault.restore", "ok")
        assert made["manifest_sha256"] in (restore_entry.detail or "")
        checked, problems = verify_contents(restored.uows, restored.keyring)
        assert (checked, problems) == (len(blobs_before), [])
        # Every document reads back, through the API, as it was recorded.
        again = People(restored, people.accounts)
        with TestClient(signing_app(restored, vault_signing)) as after:
            for document_id, sha in recorded.items():
                assert _sha256(_content(after, again, document_id)) == sha
            # The certification book goes on from where it stopped: no gap, no repeat.
            pages = [("trang-1.jpg", scanned_jpeg(), "image/jpeg")]
            r = certify(after, again, owner_id, pages)
            assert r.status_code == 201, r.text
            assert r.json()["certification"]["number"] == 3
            assert r.json()["certification"]["book"] == BOOK
        assert _audit_entries(restored) > entries + 1  # the chain grows on after the restore
    finally:
        restored.close()


def _small_vault(vault: Vault, people: People) -> str:
    """One owner and one document, through the services' API."""
    return _owner_and_document(vault, people)[1]


def _owner_and_document(vault: Vault, people: People) -> tuple[str, str]:
    from api import create_app

    with TestClient(create_app(vault=vault)) as client:
        owner_id = new_owner(client, people)
        document = upload(client, owner_id, png_bytes(), headers=people.auth("clerk"))
        return owner_id, str(document["id"])


def test_restore_names_the_master_keys_it_needs_and_refuses_without_them(
    stacks: Stacks, backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    _small_vault(vault, people)
    folder = tmp_path / "backup"
    backup(folder, database_url=backend.settings.database_url, store=backend.store)
    target = stacks.empty("target")
    other = {"2027-01": os.urandom(32)}
    with pytest.raises(
        MissingMasterKeys, match=f"needs the master keys {DEVELOPMENT_MASTER_KEY_ID}"
    ):
        restore(
            folder, database_url=target.settings.database_url, store=target.store, master_keys=other
        )
    # The right id with other key material is refused too, before anything is written.
    wrong = {DEVELOPMENT_MASTER_KEY_ID: os.urandom(32)}
    with pytest.raises(MissingMasterKeys, match="is not the one"):
        restore(
            folder, database_url=target.settings.database_url, store=target.store, master_keys=wrong
        )
    assert list(target.store.list()) == []

    # The command says the same, in words, and exits non-zero.
    env = settings_env(target.settings)
    env["VAULT_MASTER_KEYS"] = json.dumps({"2027-01": base64.b64encode(other["2027-01"]).decode()})
    env["VAULT_ACTIVE_MASTER_KEY_ID"] = "2027-01"
    result = vault_cli(["restore", str(folder)], env, tmp_path)
    assert result.returncode == 2
    assert f"needs the master keys {DEVELOPMENT_MASTER_KEY_ID}" in result.stderr


def test_restore_refuses_a_stack_that_is_not_empty(
    stacks: Stacks, backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    _small_vault(vault, people)
    folder = tmp_path / "backup"
    backup(folder, database_url=backend.settings.database_url, store=backend.store)
    keys = {DEVELOPMENT_MASTER_KEY_ID: base64.b64decode(DEVELOPMENT_MASTER_KEY)}
    before = sorted(o.key for o in backend.store.list())
    with pytest.raises(TargetNotEmpty, match="already has tables"):
        restore(
            folder,
            database_url=backend.settings.database_url,
            store=backend.store,
            master_keys=keys,
        )
    # A migrated but unused database is not empty either: the backup carries its own schema.
    migrated = stacks.empty("migrated")
    migrate.upgrade(migrated.settings.database_url)
    with pytest.raises(TargetNotEmpty, match="do not run `vault migrate` before"):
        restore(
            folder,
            database_url=migrated.settings.database_url,
            store=migrated.store,
            master_keys=keys,
        )
    # An empty database beside a bucket with objects in it.
    crowded = stacks.empty("crowded")
    crowded.store.put("blobs/someone-else", io.BytesIO(b"x"), 1)
    with pytest.raises(TargetNotEmpty, match="object store is not empty"):
        restore(
            folder,
            database_url=crowded.settings.database_url,
            store=crowded.store,
            master_keys=keys,
        )
    assert sorted(o.key for o in backend.store.list()) == before
    # A backup never overwrites an earlier one either.
    with pytest.raises(TargetNotEmpty):
        backup(folder, database_url=backend.settings.database_url, store=backend.store)


def test_restore_checks_every_hash_before_writing_anything(
    stacks: Stacks, backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    _small_vault(vault, people)
    folder = tmp_path / "backup"
    backup(folder, database_url=backend.settings.database_url, store=backend.store)
    entry = read_manifest(folder)["objects"][0]
    damaged = folder / "objects" / entry["key"]
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 1
    damaged.write_bytes(bytes(data))
    target = stacks.empty("target")
    keys = {DEVELOPMENT_MASTER_KEY_ID: base64.b64decode(DEVELOPMENT_MASTER_KEY)}
    with pytest.raises(IntegrityFailure, match=f"{entry['key']}: SHA-256 differs"):
        restore(
            folder, database_url=target.settings.database_url, store=target.store, master_keys=keys
        )
    assert list(target.store.list()) == []
    assert not _has_tables(target)


def _has_tables(stack: Backend) -> bool:
    return not database_is_empty(stack.settings.database_url)


def test_a_reference_backup_relies_on_the_bucket_and_says_which_object_is_gone(
    stacks: Stacks, backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    document_id = _small_vault(vault, people)
    folder = tmp_path / "backup"
    report = backup(
        folder, database_url=backend.settings.database_url, store=backend.store, objects="reference"
    )
    assert report.objects == 1 and not (folder / "objects").exists()
    keys = {DEVELOPMENT_MASTER_KEY_ID: base64.b64decode(DEVELOPMENT_MASTER_KEY)}
    # Only the database is lost; the (versioned, replicated) bucket kept every object.
    target = stacks.empty("target")
    restore(
        folder, database_url=target.settings.database_url, store=backend.store, master_keys=keys
    )
    restored = Vault.from_settings(target.settings, blobs=backend.store)
    try:
        assert verify_contents(restored.uows, restored.keyring) == (1, [])
        with restored.uows() as uow:
            assert uow.documents.get(uuid.UUID(document_id)) is not None
    finally:
        restored.close()
    # An object missing from the bucket is named, and nothing is restored.
    key = read_manifest(folder)["objects"][0]["key"]
    backend.store.delete(key)
    second = stacks.empty("second")
    with pytest.raises(IntegrityFailure, match=f"object {key} is missing or changed"):
        restore(
            folder, database_url=second.settings.database_url, store=backend.store, master_keys=keys
        )
    assert not _has_tables(second)


def test_a_folder_that_is_not_a_whole_backup_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        BackupRefused, match=r"has no manifest\.json: not a backup, or an unfinished"
    ):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something-else/1"}))
    with pytest.raises(BackupRefused, match="is not a backup of format"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(
        json.dumps({"format": "citizen-vault-backup/1", "objects": [{"key": "blobs/x"}]})
    )
    with pytest.raises(IntegrityFailure, match="incomplete or malformed"):
        read_manifest(tmp_path)


def test_a_backup_that_cannot_copy_an_object_says_which_and_stays_unfinished(
    backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    _small_vault(vault, people)
    (lost,) = [o.key for o in backend.store.list()]
    backend.store.delete(lost)  # a row whose object is gone (a lost disk, a wrong delete)
    folder = tmp_path / "backup"
    with pytest.raises(IntegrityFailure, match=f"object {lost} of the snapshot is gone"):
        backup(folder, database_url=backend.settings.database_url, store=backend.store)
    assert not (folder / "manifest.json").exists()  # no manifest: never taken for a backup

    # The command says so, and the failed attempt is in the audit log with its reason.
    again = tmp_path / "backup-again"
    result = vault_cli(["backup", str(again)], settings_env(backend.settings), tmp_path)
    assert result.returncode != 0 and f"object {lost} of the snapshot is gone" in result.stderr
    failed = _last_audit_entry(vault)
    assert (failed.action, failed.outcome) == ("vault.backup", "failed")
    assert f"object {lost} of the snapshot is gone" in (failed.detail or "")


def test_every_table_of_encrypted_objects_is_backed_up_staged_scans_too(
    stacks: Stacks, backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    """Found by their columns (id, object_key, key_id, wrapped_key), not by a list: the scans
    an officer staged between a copy's preview and its signing come back with the rest."""
    from signing.issuing.staging import ScanStaging

    owner_id, _ = _owner_and_document(vault, people)
    staging = ScanStaging(vault.keyring)
    certifier = people.actor("certifier")
    with vault.uows() as uow:
        staged = staging.stage(uow, certifier, uuid.UUID(owner_id), [b"scan one", b"scan two"])
        uow.commit()
    folder = tmp_path / "backup"
    report = backup(folder, database_url=backend.settings.database_url, store=backend.store)
    keys = sorted(e["key"] for e in read_manifest(folder)["objects"])
    assert report.objects == 2 and sum(k.startswith("staging/") for k in keys) == 1
    assert keys == sorted(o.key for o in backend.store.list())

    target = stacks.empty("target")
    master = {DEVELOPMENT_MASTER_KEY_ID: base64.b64decode(DEVELOPMENT_MASTER_KEY)}
    restore(
        folder, database_url=target.settings.database_url, store=target.store, master_keys=master
    )
    restored = Vault.from_settings(target.settings, blobs=target.store)
    try:
        with restored.uows() as uow:
            again = ScanStaging(restored.keyring).load(
                uow, certifier, staged.id, uuid.UUID(owner_id)
            )
        assert again.files == [b"scan one", b"scan two"]
    finally:
        restored.close()
