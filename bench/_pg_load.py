"""Bulk loading PostgreSQL for the benchmarks (list_owner, search, reuse): COPY, the schema
checks that keep a loader honest after a migration, index deferral, VACUUM and sizes.

The rows come from `bench._corpus`; the columns below are the migrations' tables, in the order
the corpus writes them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql as pgsql

from bench._common import log

OWNER_COLUMNS = (
    "id",
    "kind",
    "identifier_key_id",
    "identifier_sealed",
    "identifier_index",
    "display_name",
    "created_at",
)
BLOB_COLUMNS = (
    "id",
    "object_key",
    "size",
    "media_type",
    "sha256",
    "key_id",
    "wrapped_key",
    "created_at",
)
DOCUMENT_COLUMNS = (
    "id",
    "owner_id",
    "paper_type",
    "title",
    "reference_number",
    "issuer_agency_code",
    "issue_date",
    "valid_until",
    "origin",
    "status",
    "lineage_id",
    "version",
    "supersedes_id",
    "blob_id",
    "created_at",
)


def copy(
    cur: psycopg.Cursor[Any],
    table: str,
    columns: Sequence[str],
    data: str | Iterable[str],
    *,
    freeze: bool = False,
) -> None:
    """COPY text rows into `table`. FREEZE only for a table emptied in this transaction."""
    options = " (FREEZE)" if freeze else ""
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{options}") as out:
        out.write(data if isinstance(data, str) else "".join(data))


class Copier:
    """Runs the COPY statements on a thread of its own, so the server parses one batch on
    one core while Python formats the next on the other (libpq waits without the GIL)."""

    def __init__(self, cur: psycopg.Cursor[Any], *, freeze: bool = False) -> None:
        self._cur = cur
        self._freeze = freeze
        self._queue: queue.Queue[list[tuple[str, Sequence[str], str]] | None] = queue.Queue(2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copier", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is None:
                try:
                    for table, columns, data in batch:
                        copy(self._cur, table, columns, data, freeze=self._freeze)
                except BaseException as exc:
                    self._error = exc  # raised on the next put; keep draining the queue

    def put(self, table: str, columns: Sequence[str], data: str) -> None:
        self.put_many([(table, columns, data)])

    def put_many(self, batch: list[tuple[str, Sequence[str], str]]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def check_schema(conn: psycopg.Connection[Any], filled: Mapping[str, Sequence[str]]) -> None:
    """Fails clearly if a migration added a required column a loader does not fill."""
    for table, columns in filled.items():
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND is_nullable = 'NO' AND column_default IS NULL",
            (table,),
        ).fetchall()
        missing = sorted({r[0] for r in rows} - set(columns))
        if missing:
            raise RuntimeError(f"{table} has required columns the loader does not fill: {missing}")


def paper_type_titles(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """The seeded paper types, code -> Vietnamese name, checked to need no COPY escaping."""
    titles: dict[str, str] = dict(
        conn.execute("SELECT code, name_vi FROM paper_types ORDER BY code").fetchall()
    )
    for code, title in titles.items():
        if any(c in code + title for c in "\t\n\r\\"):
            raise RuntimeError(f"paper type {code!r} needs COPY escaping")
    return titles


def empty_for_freeze(cur: psycopg.Cursor[Any], tables: Sequence[str]) -> None:
    """COPY FREEZE needs its tables emptied in the same transaction, and TRUNCATE the tables
    that refer to them: all must still be empty (a fresh database)."""
    referring = [
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND confrelid = ANY(%s::regclass[])",
            (list(tables),),
        )
    ]
    emptied = sorted(set(tables) | set(referring))
    for table in emptied:
        exists = pgsql.SQL("SELECT EXISTS (SELECT FROM {})").format(pgsql.Identifier(table))
        if cur.execute(exists).fetchone() != (False,):
            raise RuntimeError(f"{table} is not empty: not a fresh database")
    cur.execute(f"TRUNCATE {', '.join(emptied)}")


# -- indexes built after the load --------------------------------------------------------


@dataclass(frozen=True)
class Deferred:
    """The indexes of the loaded tables that no foreign key depends on: dropped before the
    load, made again after it from the definitions the migrations left."""

    tables: tuple[str, ...]
    constraints: list[tuple[str, str, str]]  # (table, name, definition)
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX statement)
    expected: list[tuple[Any, ...]]  # the catalogue before, to compare after


_CATALOGUE = """
SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
  FROM pg_constraint WHERE conrelid = ANY(%(tables)s::regclass[])
UNION ALL
SELECT 'index', indrelid::regclass::text, indexrelid::regclass::text,
       pg_get_indexdef(indexrelid), indisvalid
  FROM pg_index WHERE indrelid = ANY(%(tables)s::regclass[])
ORDER BY 1, 2, 3
"""


def catalogue(conn: psycopg.Connection[Any], tables: Sequence[str]) -> list[tuple[Any, ...]]:
    return conn.execute(_CATALOGUE, {"tables": list(tables)}).fetchall()


def drop_deferred(conn: psycopg.Connection[Any], tables: Sequence[str]) -> Deferred:
    expected = catalogue(conn, tables)
    names = {"tables": list(tables)}
    # Unique and primary key constraints whose index no foreign key references.
    constraints = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
        " FROM pg_constraint c WHERE c.conrelid = ANY(%(tables)s::regclass[])"
        " AND c.contype IN ('p', 'u') AND NOT EXISTS (SELECT 1 FROM pg_constraint f"
        "  WHERE f.contype = 'f' AND f.conindid = c.conindid)"
        " ORDER BY 1, 2",
        names,
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        names,
    ).fetchall()
    for table, name, _ in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.commit()
    return Deferred(tuple(tables), constraints, indexes, expected)


def rebuild_deferred(dsn: str, deferred: Deferred) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for table, name, definition in deferred.constraints:
            started = time.monotonic()
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            log(f"  {name} in {time.monotonic() - started:.1f} s")
        for name, statement in deferred.indexes:
            started = time.monotonic()
            conn.execute(statement)
            log(f"  {name} in {time.monotonic() - started:.1f} s")
        if catalogue(conn, deferred.tables) != deferred.expected:
            raise RuntimeError("the rebuilt indexes and constraints differ from the migrations'")


# -- after the load ----------------------------------------------------------------------


def vacuum_analyze(dsn: str, tables: Sequence[str], *, analyze_all: bool = False) -> None:
    """VACUUM as well as ANALYZE: it sets hint bits and the visibility map as a steady
    production table would have them (and, after COPY FREEZE, resets the insert counters so
    no autovacuum starts during the measurement), keeping that work out of it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {table}")
        if analyze_all:
            conn.execute("ANALYZE")


def table_sizes(dsn: str, relations: Sequence[str], *, rows: bool = False) -> str:
    """`name size` (or `name n rows size`) of tables and indexes, indexes included in a
    table's size."""
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "SELECT relname, reltuples::bigint, pg_size_pretty(pg_total_relation_size(oid))"
            " FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
            (list(relations),),
        ).fetchall()
    if rows:
        return ", ".join(f"{name} {n:,} rows {size}" for name, n, size in found)
    return ", ".join(f"{name} {size}" for name, _, size in found)
