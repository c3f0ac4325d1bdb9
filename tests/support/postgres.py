"""Throw-away PostgreSQL databases for tests and benchmarks.

The admin URL names a superuser connection to an existing database (normally the
``postgres`` one); each run creates its own fresh database next to it and drops it after.
"""

from __future__ import annotations

import os
import secrets

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ADMIN_URL_ENV = "VAULT_TEST_PG_ADMIN_URL"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """SQLAlchemy URL of the admin connection (env ``VAULT_TEST_PG_ADMIN_URL``)."""
    return os.environ.get(ADMIN_URL_ENV) or DEFAULT_ADMIN_URL


def create_database(prefix: str) -> str:
    """Create a fresh, uniquely named database and return its SQLAlchemy URL."""
    # Lower-case letters, digits and "_" only: a valid unquoted identifier, well under
    # PostgreSQL's 63-byte name limit, and easy to spot (and clean up) by prefix.
    clean = "".join(c if c.isalnum() else "_" for c in prefix.lower())[:40]
    name = f"{clean}_{secrets.token_hex(6)}"
    with _admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin_url()).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database ``url`` points at; closes any connections still open to it."""
    name = make_url(url).database
    if not name:
        raise ValueError(f"no database name in {url!r}")
    with _admin_connection() as conn:
        # Leaked connections (a pool not disposed, a crashed worker) would block the DROP.
        # PostgreSQL 13+ also has DROP DATABASE ... WITH (FORCE); this works everywhere.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    # CREATE/DROP DATABASE cannot run inside a transaction, hence autocommit.
    return psycopg.connect(_libpq_dsn(admin_url()), autocommit=True, connect_timeout=10)


def _libpq_dsn(url: str) -> str:
    """Turn a SQLAlchemy URL (postgresql+psycopg://...) into a libpq URL psycopg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
