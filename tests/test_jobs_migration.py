"""Migration 0012 (generic jobs) carries the OCR jobs over, both ways, on both databases: a
job's document becomes its subject, and back."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support import postgres
from vault.db import create_engine_for, migrate

OWNER, BLOB, DOCUMENT, JOB = "1" * 32, "2" * 32, "3" * 32, "4" * 32
BATCH_JOB, CANCELLED_JOB = "5" * 32, "6" * 32
AT = "2026-12-01 10:00:00.000000"


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
        return
    url = postgres.create_database("vault_jobs_migration")
    yield url
    postgres.drop_database(url)


def _hex(value: object) -> str:
    return str(value).replace("-", "")


def test_ocr_jobs_keep_their_document_as_subject_both_ways(database: str) -> None:
    migrate.upgrade(database, "0011")
    engine = create_engine_for(database)
    with engine.begin() as db:
        paper_type = db.execute(text("SELECT code FROM paper_types LIMIT 1")).scalar_one()
        db.execute(
            text(
                "INSERT INTO owners (id, kind, identifier_key_id, identifier_sealed,"
                " identifier_index, display_name, created_at)"
                " VALUES (:id, 'citizen', 'k1', :sealed, :index, 'Nguyễn Thị Hương', :at)"
            ),
            {"id": OWNER, "sealed": b"sealed", "index": b"i" * 32, "at": AT},
        )
        db.execute(
            text(
                "INSERT INTO blobs (id, object_key, size, media_type, sha256, key_id,"
                " wrapped_key, created_at)"
                " VALUES (:id, 'objects/x', 1, 'application/pdf', :sha, 'k1', :key, :at)"
            ),
            {"id": BLOB, "sha": "0" * 64, "key": b"wrapped", "at": AT},
        )
        db.execute(
            text(
                "INSERT INTO documents (id, owner_id, paper_type, title, origin, status,"
                " lineage_id, version, blob_id, created_at, has_signature)"
                " VALUES (:id, :owner, :type, 'Giấy phép', 'digitised', 'current', :id, 1,"
                " :blob, :at, false)"
            ),
            {"id": DOCUMENT, "owner": OWNER, "type": paper_type, "blob": BLOB, "at": AT},
        )
        db.execute(
            text(
                "INSERT INTO jobs (id, kind, document_id, status, attempts, run_after,"
                " last_error, created_at, updated_at)"
                " VALUES (:id, 'ocr', :document, 'failed', 3, :at, 'EngineFailure: x', :at, :at)"
            ),
            {"id": JOB, "document": DOCUMENT, "at": AT},
        )

    migrate.upgrade(database)
    with engine.begin() as db:
        row = db.execute(
            text(
                "SELECT kind, subject_type, subject_id, status, attempts, last_error,"
                " progress_done, progress_total, requested_by, payload FROM jobs"
            )
        ).one()
        assert _hex(row.subject_id) == DOCUMENT
        assert (row.kind, row.subject_type, row.status, row.attempts) == (
            "ocr",
            "document",
            "failed",
            3,
        )
        assert (row.last_error, row.progress_done, row.progress_total) == (
            "EngineFailure: x",
            0,
            None,
        )
        assert row.requested_by is None and row.payload in ({}, "{}")
        # Jobs the old table cannot hold: about no document, or cancelled.
        db.execute(
            text(
                "INSERT INTO jobs (id, kind, payload, subject_type, subject_id, status,"
                " attempts, run_after, progress_done, created_at, updated_at)"
                " VALUES (:id, 'export', '{}', 'batch', :subject, 'pending', 0, :at, 0, :at,"
                " :at)"
            ),
            {"id": BATCH_JOB, "subject": OWNER, "at": AT},
        )
        db.execute(
            text(
                "INSERT INTO jobs (id, kind, payload, subject_type, subject_id, status,"
                " attempts, run_after, progress_done, created_at, updated_at)"
                " VALUES (:id, 'ocr', '{}', 'document', :subject, 'cancelled', 1, :at, 0,"
                " :at, :at)"
            ),
            {"id": CANCELLED_JOB, "subject": DOCUMENT, "at": AT},
        )

    migrate.downgrade(database, "0011")
    with engine.begin() as db:
        rows = db.execute(text("SELECT id, document_id, status FROM jobs ORDER BY id")).all()
        assert [(_hex(r.id), _hex(r.document_id), r.status) for r in rows] == [
            (JOB, DOCUMENT, "failed"),
            (CANCELLED_JOB, DOCUMENT, "failed"),
        ]
    migrate.upgrade(database)
    with engine.begin() as db:
        subjects = db.execute(text("SELECT subject_type, subject_id FROM jobs")).all()
        assert {(t, _hex(i)) for t, i in subjects} == {("document", DOCUMENT)}
    engine.dispose()
