"""Backup and restore of a whole vault (sao lưu và khôi phục): the database and every object.

A backup is a folder:

- `database.sqlite` (SQLite's online backup API) or `database.pgdump` (`pg_dump -Fc`): the
  whole database, every table whatever the schema revision, taken as one snapshot;
- `objects/<key>`: each object the snapshot references, byte for byte as stored (encrypted);
  or nothing, with `--objects reference`, when the bucket is versioned and replicated itself;
- `manifest.json`, written last: each object's key, size, SHA-256 of its stored bytes and the
  id of the master key its data key is wrapped with, and the dump's SHA-256.

Consistency: the object list is read from the same snapshot as the dump (SQLite: from the
snapshot file itself; PostgreSQL: in the REPEATABLE READ transaction whose snapshot `pg_dump
--snapshot` exports). Objects are immutable (a fresh random key per blob; a new version is a
new blob), so copying them after the snapshot copies exactly what it references.

Master keys are never in a backup. A restore names the master key ids it needs and refuses to
start without them, refuses a target that is not empty, and checks every hash before it
writes anything.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from vault import crypto
from vault.audit import AuditDraft, Outcome
from vault.crypto import Keyring
from vault.db import UnitOfWorkFactory
from vault.errors import IntegrityFailure, VaultError
from vault.retention import SHREDDED_KEY_ID
from vault.storage.base import READ_SIZE, BlobStore, ObjectMissing

FORMAT = "citizen-vault-backup/1"
MANIFEST = "manifest.json"
OBJECTS = "objects"
SQLITE_DUMP = "database.sqlite"
PG_DUMP = "database.pgdump"
ObjectsMode = Literal["copy", "reference"]


class BackupRefused(VaultError):
    """Not a backup, or not one this target can take."""


class MissingMasterKeys(VaultError):
    """The restore needs master keys that are not configured (they are never in a backup)."""


class TargetNotEmpty(VaultError):
    """A restore only rebuilds an empty stack: it never merges into existing data."""


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    key: str
    size: int  # stored (encrypted) bytes
    sha256: str  # of the stored bytes
    key_id: str  # master key that wraps the blob's data key


@dataclass
class BackupReport:
    path: str
    backend: str
    schema_revision: str | None
    objects: int = 0
    object_bytes: int = 0
    database_bytes: int = 0
    objects_mode: str = "copy"
    master_key_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0
    manifest_sha256: str = ""  # names this backup in the audit log and in a restore's


@dataclass
class RestoreReport:
    backend: str
    schema_revision: str | None
    objects: int = 0
    object_bytes: int = 0
    seconds: float = 0.0
    backup_created_at: str | None = None
    manifest_sha256: str = ""


# -- the database, per backend ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _BlobRef:
    blob_id: uuid.UUID
    object_key: str
    key_id: str
    wrapped_key: bytes


def _backend(database_url: str) -> str:
    if database_url.startswith("sqlite:///"):
        return "sqlite"
    if database_url.startswith(("postgresql://", "postgresql+psycopg://")):
        return "postgresql"
    raise BackupRefused(f"backup supports SQLite files and PostgreSQL, not {database_url[:16]}…")


def _sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


def _libpq_uri(database_url: str) -> str:
    return "postgresql://" + database_url.split("://", 1)[1]


def _libpq_target(database_url: str) -> tuple[str, dict[str, str]]:
    """The connection string for pg_dump/pg_restore `-d`, without the password, and their
    environment with it (PGPASSWORD): a password never goes on a command line. Other
    parameters (sslmode, ...) stay in the string."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(_libpq_uri(database_url))
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env


def _blob_refs(rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]) -> list[_BlobRef]:
    return [_BlobRef(uuid.UUID(str(r[0])), str(r[1]), str(r[2]), bytes(r[3])) for r in rows]


# Every table with these columns holds rows that each own one encrypted object (`blobs`, and
# since 0010 `staged_scans`): found by their columns, so a later table of the kind is backed
# up too without a change here.
_OBJECT_COLUMNS = ("id", "object_key", "key_id", "wrapped_key")
_PG_OBJECT_TABLES_SQL = (
    "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
    "AND column_name IN ('id', 'object_key', 'key_id', 'wrapped_key') "
    "GROUP BY table_name HAVING count(*) = 4 ORDER BY table_name"
)


def _objects_sql(tables: list[str]) -> str:
    # Table names come from the database's own catalogue, quoted as identifiers.
    columns = ", ".join(_OBJECT_COLUMNS)
    # A disposed blob (its data key destroyed, its object deleted) has nothing left to copy.
    parts = [
        f"SELECT {columns} FROM \"{t}\" WHERE key_id <> '{SHREDDED_KEY_ID}'"  # noqa: S608
        for t in tables
        if t.isidentifier()
    ]
    if not parts:
        raise BackupRefused("the database has no table of stored objects: not a vault database")
    return " UNION ALL ".join(parts) + " ORDER BY object_key"


def _sqlite_object_tables(conn: sqlite3.Connection) -> list[str]:
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return [
        name
        for name in names
        if set(_OBJECT_COLUMNS) <= {str(c[1]) for c in conn.execute(f'PRAGMA table_info("{name}")')}
    ]


_REVISION_SQL = "SELECT version_num FROM alembic_version"


def _dump_sqlite(database_url: str, target: Path) -> tuple[list[_BlobRef], str | None]:
    source = sqlite3.connect(f"file:{_sqlite_path(database_url)}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # a consistent copy even while the API writes (WAL)
    finally:
        source.close()
    try:
        # A plain rollback-journal file: it opens read-only from a read-only backup volume.
        copy.execute("PRAGMA journal_mode=DELETE")
        refs = _blob_refs(copy.execute(_objects_sql(_sqlite_object_tables(copy))).fetchall())
        revision = copy.execute(_REVISION_SQL).fetchone()
    finally:
        copy.close()
    return refs, (str(revision[0]) if revision else None)


def _dump_postgres(database_url: str, target: Path) -> tuple[list[_BlobRef], str | None]:
    import psycopg

    conninfo, env = _libpq_target(database_url)
    with psycopg.connect(_libpq_uri(database_url)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot = str(row[0])
        tables = [str(r[0]) for r in conn.execute(_PG_OBJECT_TABLES_SQL).fetchall()]
        refs = _blob_refs(conn.execute(_objects_sql(tables)).fetchall())
        revision = conn.execute(_REVISION_SQL).fetchone()
        # pg_dump reads the very snapshot the object list came from, while it is held open.
        dump = ["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target)]
        _run([*dump, "-d", conninfo], env)
        conn.rollback()
    return refs, (str(revision[0]) if revision else None)


def _run(args: list[str], env: Mapping[str, str]) -> None:
    try:
        result = subprocess.run(args, env=dict(env), capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise VaultError(f"{args[0]} is not installed (Debian: postgresql-client)") from exc
    if result.returncode != 0:
        raise VaultError(f"{args[0]} failed: {result.stderr.strip()[-2000:]}")


def database_is_empty(database_url: str) -> bool:
    if _backend(database_url) == "sqlite":
        path = _sqlite_path(database_url)
        if not path.exists():
            return True
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            count = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'"
            ).fetchone()
        return count is None or count[0] == 0
    import psycopg

    with psycopg.connect(_libpq_uri(database_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        ).fetchone()
    return row is None or row[0] == 0


def _load_database(database_url: str, dump: Path) -> None:
    if _backend(database_url) == "sqlite":
        path = _sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{dump}?mode=ro&immutable=1", uri=True)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return
    conninfo, env = _libpq_target(database_url)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            conninfo,
            str(dump),
        ],
        env,
    )


# -- files and hashes ---------------------------------------------------------------------------


def _sha256_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while piece := handle.read(READ_SIZE):
            digest.update(piece)
            size += len(piece)
    return size, digest.hexdigest()


def _object_file(root: Path, key: str) -> Path:
    path = (root / OBJECTS / key).resolve()
    if not path.is_relative_to((root / OBJECTS).resolve()):
        raise IntegrityFailure(f"the manifest names an object outside the backup: {key!r}")
    return path


def _copy_object(store: BlobStore, key: str, target: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for piece in store.get(key):
            digest.update(piece)
            size += len(piece)
            out.write(piece)
    return size, digest.hexdigest()


def _hash_stored(store: BlobStore, key: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for piece in store.get(key):
        digest.update(piece)
        size += len(piece)
    return size, digest.hexdigest()


# -- backup -------------------------------------------------------------------------------------


def backup(
    destination: Path,
    *,
    database_url: str,
    store: BlobStore,
    objects: ObjectsMode = "copy",
) -> BackupReport:
    """Writes a consistent backup of the vault to the folder `destination` (new or empty)."""
    started = time.monotonic()
    backend = _backend(database_url)
    if destination.exists() and any(destination.iterdir()):
        raise TargetNotEmpty(f"backup folder {destination} is not empty")
    destination.mkdir(parents=True, exist_ok=True)
    dump = destination / (SQLITE_DUMP if backend == "sqlite" else PG_DUMP)
    if backend == "sqlite":
        refs, revision = _dump_sqlite(database_url, dump)
    else:
        refs, revision = _dump_postgres(database_url, dump)
    dump_size, dump_sha = _sha256_file(dump)

    entries: list[ObjectEntry] = []
    for ref in refs:
        try:
            if objects == "copy":
                size, sha = _copy_object(
                    store, ref.object_key, _object_file(destination, ref.object_key)
                )
            else:
                size, sha = _hash_stored(store, ref.object_key)
        except ObjectMissing as exc:
            # Objects are never rewritten, but `vault reconcile` deletes those no row refers
            # to any more (a replaced searchable PDF): one of them may go after the snapshot.
            raise IntegrityFailure(
                f"object {ref.object_key} of the snapshot is gone from the store (was `vault "
                "reconcile` running, or is it missing? see `vault reconcile --dry-run`); "
                "the backup is incomplete: run it again into a new folder"
            ) from exc
        entries.append(ObjectEntry(ref.object_key, size, sha, ref.key_id))

    # One wrapped data key per master key id: a restore unwraps it to prove the configured
    # key is the right one, not just one with the same id. (Wrapped keys are in the dump
    # anyway; without the master key they are useless.)
    probes: dict[str, dict[str, str]] = {}
    for ref in refs:
        probes.setdefault(
            ref.key_id,
            {
                "blob_id": str(ref.blob_id),
                "wrapped_key": base64.b64encode(ref.wrapped_key).decode(),
            },
        )
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "backend": backend,
        "schema_revision": revision,
        "database": {"file": dump.name, "size": dump_size, "sha256": dump_sha},
        "objects_mode": objects,
        "master_key_ids": sorted(probes),
        "key_checks": probes,
        "objects": [
            {"key": e.key, "size": e.size, "sha256": e.sha256, "key_id": e.key_id} for e in entries
        ],
    }
    tmp = destination / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, destination / MANIFEST)  # its presence marks the backup complete
    _, manifest_sha = _sha256_file(destination / MANIFEST)
    return BackupReport(
        path=str(destination),
        backend=backend,
        schema_revision=revision,
        objects=len(entries),
        object_bytes=sum(e.size for e in entries),
        database_bytes=dump_size,
        objects_mode=objects,
        master_key_ids=sorted(probes),
        seconds=round(time.monotonic() - started, 3),
        manifest_sha256=manifest_sha,
    )


# -- restore ------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupRefused(
            f"{source} has no {MANIFEST}: not a backup, or an unfinished one"
        ) from exc
    except json.JSONDecodeError as exc:
        raise IntegrityFailure(f"{source / MANIFEST} is not valid JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{source} is not a backup of format {FORMAT}")
    try:
        for e in manifest["objects"]:
            if not isinstance(e["size"], int) or not all(
                isinstance(e[k], str) for k in ("key", "sha256", "key_id")
            ):
                raise TypeError(f"object entry {e!r}")
        needed = ("backend", "objects_mode", "master_key_ids", "key_checks")
        missing = [name for name in needed if name not in manifest]
        if missing or not isinstance(manifest["database"]["file"], str):
            raise KeyError(", ".join(missing) or "database")
    except (KeyError, TypeError) as exc:
        raise IntegrityFailure(f"{source / MANIFEST} is incomplete or malformed: {exc}") from exc
    return manifest


def check_master_keys(manifest: Mapping[str, Any], master_keys: Mapping[str, bytes]) -> None:
    """Refuses unless every master key the backup's data keys are wrapped with is configured,
    and is the right key (it unwraps a data key of the backup)."""
    needed = sorted(manifest["master_key_ids"])
    missing = [k for k in needed if k not in master_keys]
    if missing:
        raise MissingMasterKeys(
            "the restore needs the master keys "
            + ", ".join(missing)
            + " (configure them in VAULT_MASTER_KEYS; a backup never contains master keys)"
        )
    for key_id, probe in manifest["key_checks"].items():
        keyring = Keyring({key_id: master_keys[key_id]}, key_id)
        try:
            keyring.unwrap(
                uuid.UUID(probe["blob_id"]), key_id, base64.b64decode(probe["wrapped_key"])
            )
        except IntegrityFailure as exc:
            raise MissingMasterKeys(
                f"the configured master key {key_id} is not the one the backup's data keys "
                "are wrapped with"
            ) from exc


def _check_backup_files(source: Path, manifest: Mapping[str, Any]) -> list[str]:
    problems = []
    database = manifest["database"]
    dump = source / database["file"]
    if not dump.is_file() or _sha256_file(dump) != (database["size"], database["sha256"]):
        problems.append(f"{database['file']}: missing or its SHA-256 differs from the manifest")
    if manifest["objects_mode"] == "copy":
        for entry in manifest["objects"]:
            path = _object_file(source, entry["key"])
            if not path.is_file():
                problems.append(f"{entry['key']}: missing from the backup")
            elif _sha256_file(path) != (entry["size"], entry["sha256"]):
                problems.append(f"{entry['key']}: SHA-256 differs from the manifest")
    return problems


def _check_in_bucket(store: BlobStore, entry: Mapping[str, Any]) -> None:
    """The bucket kept the objects (versioned, replicated): each must be there, whole."""
    try:
        found = _hash_stored(store, entry["key"])
    except ObjectMissing:
        found = (0, "")
    if found != (entry["size"], entry["sha256"]):
        raise IntegrityFailure(
            f"object {entry['key']} is missing or changed in the bucket: restore its "
            "version from the bucket's history first"
        )


def _store_is_empty(store: BlobStore) -> bool:
    return next(iter(store.list()), None) is None


def restore(
    source: Path,
    *,
    database_url: str,
    store: BlobStore,
    master_keys: Mapping[str, bytes],
) -> RestoreReport:
    """Rebuilds an empty stack (database and object store) from the backup in `source`."""
    started = time.monotonic()
    manifest = read_manifest(source)
    check_master_keys(manifest, master_keys)
    backend = _backend(database_url)
    if manifest["backend"] != backend:
        raise BackupRefused(
            f"this backup is of a {manifest['backend']} database; the target is {backend}"
        )
    problems = _check_backup_files(source, manifest)
    if problems:
        raise IntegrityFailure(
            f"the backup is damaged ({len(problems)} problems): " + "; ".join(problems[:10])
        )
    if not database_is_empty(database_url):
        raise TargetNotEmpty(
            "the target database already has tables: restore into a new, empty database "
            "(do not run `vault migrate` before; the backup carries its schema)"
        )
    reference = manifest["objects_mode"] == "reference"
    if not reference and not _store_is_empty(store):
        raise TargetNotEmpty("the target object store is not empty: restore into a new bucket")

    total = 0
    written: list[str] = []
    try:
        for entry in manifest["objects"]:
            if reference:
                _check_in_bucket(store, entry)
            else:
                with _object_file(source, entry["key"]).open("rb") as handle:
                    store.put(entry["key"], handle, entry["size"])
                written.append(entry["key"])
            total += entry["size"]
        # The database last: until it is there, nothing refers to the objects just written.
        _load_database(database_url, source / manifest["database"]["file"])
    except BaseException:
        # Back to empty, so the restore can simply be run again (pg_restore ran in one
        # transaction; a half-copied SQLite file is removed).
        for key in written:
            store.delete(key)
        if backend == "sqlite":
            with contextlib.suppress(OSError):
                _sqlite_path(database_url).unlink(missing_ok=True)
        raise
    return RestoreReport(
        backend=backend,
        schema_revision=manifest.get("schema_revision"),
        objects=len(manifest["objects"]),
        object_bytes=total,
        seconds=round(time.monotonic() - started, 3),
        backup_created_at=manifest.get("created_at"),
        manifest_sha256=_sha256_file(source / MANIFEST)[1],
    )


# -- the audit log ------------------------------------------------------------------------------

# Backups and restores are run on the server by an operator, not through a signed-in account.
_OPERATOR = "vault command"


def record_backup(
    uows: UnitOfWorkFactory, destination: Path, report: BackupReport | None, error: str = ""
) -> None:
    """Audits a backup in the database it was taken of: a copy of every paper left the
    vault (encrypted), so the log says when, where to and which manifest; or that it
    failed and why."""
    if report is None:
        draft = AuditDraft(
            action="vault.backup",
            outcome=Outcome.FAILED,
            actor_name=_OPERATOR,
            detail=f"to {destination}: {error}"[:500],
        )
    else:
        draft = AuditDraft(
            action="vault.backup",
            actor_name=_OPERATOR,
            detail=(
                f"to {report.path}: {report.objects} objects ({report.objects_mode}), "
                f"{report.object_bytes} bytes, manifest sha256 {report.manifest_sha256}"
            ),
        )
    with uows() as uow:
        uow.record(draft)
        uow.commit()


def record_restore(uows: UnitOfWorkFactory, source: Path, report: RestoreReport) -> None:
    """Audits a restore in the restored database, as the entry after the backup's last one:
    the chain shows the vault was rebuilt, from which backup, and continues unbroken."""
    with uows() as uow:
        uow.record(
            AuditDraft(
                action="vault.restore",
                actor_name=_OPERATOR,
                detail=(
                    f"from {source} (backup of {report.backup_created_at}, manifest sha256 "
                    f"{report.manifest_sha256}): {report.objects} objects"
                ),
            )
        )
        uow.commit()


# -- after a restore ----------------------------------------------------------------------------


def verify_contents(uows: UnitOfWorkFactory, keyring: Keyring) -> tuple[int, list[str]]:
    """Decrypts every blob and compares it with its recorded plaintext SHA-256.

    Returns how many blobs were checked and the problems found (object key: why)."""
    problems: list[str] = []
    checked = 0
    with uows() as uow:
        for blob in uow.blob_rows.iter_all():
            checked += 1
            try:
                data_key = keyring.unwrap(blob.id, blob.key_id, uow.documents.wrapped_key(blob.id))
                header = b"".join(uow.blobs.get(blob.object_key, 0, crypto.HEADER_SIZE))
                body = uow.blobs.get(blob.object_key, crypto.HEADER_SIZE)
                for _ in crypto.decrypt_chunks(
                    header, body, data_key, plaintext_size=blob.size, expected_sha256=blob.sha256
                ):
                    pass
            except (VaultError, LookupError) as exc:
                problems.append(f"{blob.object_key}: {exc}")
    return checked, problems
