"""The schema comes only from Alembic migrations, and they run both ways on both databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

# Every package's tables, so the comparison below covers them all: the vault's (its models
# module imports the rest of vault.db's) and OCR's. Alembic's env.py imports only the vault's
# (vault.db may not import the packages built on it); the migrations are written by hand.
import ocr.db.batch_models
import ocr.db.models  # noqa: F401
import vault.db.models  # noqa: F401
from signing.issuing.db import certification_models, staging_models  # noqa: F401 - their tables
from tests.support import postgres
from vault.db import create_engine_for, migrate
from vault.db.schema import Base  # with every vault table on its metadata

# Made by the search migration for one backend only, outside the ORM models: SQLite's FTS5
# table with its shadow tables, and PostgreSQL's GIN expression index.
BACKEND_SPECIFIC = ("search_fts", "ix_search_index_lexemes")


def _modelled(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    return not (name or "").startswith(BACKEND_SPECIFIC)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = postgres.create_database("vault_migrations")
    yield url
    postgres.drop_database(url)


def test_upgrade_downgrade_upgrade_and_models_match(empty_database: str) -> None:
    # OCR's tables and the vault's derived files are on the metadata compared.
    ocr_tables = {"extracted_texts", "extracted_pages", "metadata_suggestions", "search_index"}
    assert {*ocr_tables, "derived_files", "documents"} <= set(Base.metadata.tables)
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    engine = create_engine_for(empty_database)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _modelled, "compare_type": True}
        )
        diffs = compare_metadata(context, Base.metadata)
        assert diffs == [], "models and migrations disagree: write a migration"
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert {
        "owners",
        "paper_types",
        "documents",
        "blobs",
        "dossiers",
        "dossier_documents",
    } <= tables
