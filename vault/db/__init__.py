"""Metadata in SQLAlchemy 2.0 (SQLite embedded, PostgreSQL in production). Only `db`
subpackages (this one, and the packages' own) import SQLAlchemy; the rest of the vault sees
repositories and the unit of work. Importing this package puts every vault table on the
metadata (vault.db.schema)."""

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from vault.db import schema as _schema  # noqa: F401 - every vault table on the metadata
from vault.db.engine import create_engine_for, ping, session_factory
from vault.db.unit_of_work import UnitOfWork, UnitOfWorkFactory

# What a query raises when the database is unreachable (the API answers 503).
DATABASE_DOWN = (OperationalError, InterfaceError)

__all__ = [
    "DATABASE_DOWN",
    "Engine",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "create_engine_for",
    "ping",
    "session_factory",
]
