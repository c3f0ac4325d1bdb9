"""Alembic environment: the URL comes from the caller (vault.db.migrate), never a file."""

from __future__ import annotations

from alembic import context

from vault.db.engine import create_engine_for
from vault.db.schema import Base  # with every vault table on its metadata

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("no database URL given to the migrations")

engine = create_engine_for(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
