"""Fixtures: every storage and metadata test runs on both backends, for real.

- "sqlite+folder": the embedded default, a SQLite file and a local folder;
- "postgres+s3": PostgreSQL (a fresh database per test session) and a real S3 server
  (SeaweedFS, started here on free loopback ports, a fresh bucket per test).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from minio import Minio
from sqlalchemy import text

from api import create_app
from signing.verify import TrustSettings, Verifier
from tests.factories import signer_certificate
from tests.people import People
from tests.support import postgres
from tests.support.s3server import S3Server, start_seaweedfs
from vault.db import create_engine_for, migrate
from vault.runtime import Vault
from vault.settings import Environment, Settings
from vault.storage import BlobStore
from vault.storage.filesystem import FilesystemBlobStore
from vault.storage.s3 import S3BlobStore

BACKENDS = ["sqlite+folder", "postgres+s3"]
TABLES = (
    "idempotency_keys, dossier_documents, dossiers, documents, blobs, consents, accounts, "
    "api_clients, agencies, audit_anchors, audit_entries, owners, jobs, extracted_texts, "
    "extracted_pages, derived_files, metadata_suggestions, search_index, certified_copies, "
    "certification_counters, certification_refusals, signature_checks, staged_scans, "
    "sign_in_throttles, token_revocations, rate_limits, peer_copies, import_corrections, "
    "import_parts, import_pages, import_batches, separator_sheets, portal_outbox, exports, "
    "document_corrections, tombstones, disposal_items, disposal_batches, legal_holds"
)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh database for this test session (one per xdist worker), migrated to head."""
    url = postgres.create_database("vault_test")
    migrate.upgrade(url)
    yield url
    postgres.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def empty_database(url: str) -> None:
    """Back to the state right after the migrations (catalogues seeded, chain at genesis)."""
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} CASCADE"))
        connection.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
    engine.dispose()


def new_bucket(server: S3Server) -> str:
    bucket = "t-" + secrets.token_hex(6)
    Minio(server.endpoint, server.access_key, server.secret_key, secure=False).make_bucket(bucket)
    return bucket


def s3_store(server: S3Server, bucket: str, **kwargs: object) -> S3BlobStore:
    return S3BlobStore(
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        bucket=bucket,
        **kwargs,  # type: ignore[arg-type]
    )


@dataclass
class Backend:
    name: str
    settings: Settings
    store: BlobStore


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite+folder":
        db = tmp_path / "vault.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), db)
        settings = Settings(
            env=Environment.TEST,
            database_url=f"sqlite:///{db}",
            storage_backend="filesystem",
            storage_path=tmp_path / "objects",
        )
        yield Backend(request.param, settings, FilesystemBlobStore(settings.storage_path))
        return

    server: S3Server = request.getfixturevalue("s3_server")
    url: str = request.getfixturevalue("pg_url")
    bucket = new_bucket(server)
    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        storage_backend="s3",
        s3_endpoint=server.endpoint,
        s3_access_key=server.access_key,
        s3_secret_key=server.secret_key,
        s3_bucket=bucket,
    )
    store = s3_store(server, bucket)
    yield Backend(request.param, settings, store)
    empty_database(url)
    client = Minio(server.endpoint, server.access_key, server.secret_key, secure=False)
    for obj in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, obj.object_name or "")
    client.remove_bucket(bucket)


@pytest.fixture
def vault(backend: Backend) -> Iterator[Vault]:
    v = Vault.from_settings(backend.settings, blobs=backend.store)
    yield v
    v.close()


@pytest.fixture
def people(vault: Vault) -> People:
    """Two agencies, their officers by role, an auditor and an administrator."""
    return People.make(vault)


@pytest.fixture(scope="session")
def test_verifier() -> Iterator[Verifier]:
    """The signature verifier of the API under test: it trusts the throw-away test signer of
    `signed_pdf_bytes` and nothing else (never the machine's ./var development root)."""
    with Verifier(TrustSettings(roots=(signer_certificate(),))) as verifier:
        yield verifier


def api_app(vault: Vault, verifier: Verifier) -> FastAPI:
    app = create_app(vault=vault)
    app.state.verifier = verifier
    return app


@pytest.fixture
def client(vault: Vault, people: People, test_verifier: Verifier) -> Iterator[TestClient]:
    """The API as an officer of AGENCY with the receiving, issuing and certifying roles."""
    with TestClient(api_app(vault, test_verifier), headers=people.auth("clerk")) as c:
        yield c


@pytest.fixture
def anonymous(vault: Vault, test_verifier: Verifier) -> Iterator[TestClient]:
    with TestClient(api_app(vault, test_verifier)) as c:
        yield c


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_developer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own VAULT_* variables must not leak into what the tests build.
    for name in list(os.environ):
        if name.startswith("VAULT_") and not name.startswith("VAULT_TEST_"):
            monkeypatch.delenv(name)
