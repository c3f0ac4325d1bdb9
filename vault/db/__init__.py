"""Metadata in SQLAlchemy 2.0 (SQLite embedded, PostgreSQL in production). Only this package
imports SQLAlchemy; the rest of the vault sees repositories and the unit of work."""

from sqlalchemy import Engine

from vault.db.engine import create_engine_for, ping, session_factory
from vault.db.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "Engine",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "create_engine_for",
    "ping",
    "session_factory",
]
