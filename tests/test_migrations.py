"""The schema comes only from Alembic migrations, and they run both ways on both databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.support import postgres
from vault.db import create_engine_for, migrate
from vault.db.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = postgres.create_database("vault_migrations")
    yield url
    postgres.drop_database(url)


def test_upgrade_downgrade_upgrade_and_models_match(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    engine = create_engine_for(empty_database)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_database)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
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
