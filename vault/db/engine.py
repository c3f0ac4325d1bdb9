"""Engines and sessions for both backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from vault.errors import InvalidInput
from vault.request_context import count_statement


def _strings(parameters: Any) -> Iterator[str]:
    if isinstance(parameters, str):
        yield parameters
    elif isinstance(parameters, dict):
        for value in parameters.values():
            yield from _strings(value)
    elif isinstance(parameters, list | tuple):
        for value in parameters:
            yield from _strings(value)


def _refuse_nul(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    """The last line against a NUL in text: PostgreSQL's driver fails on it (a 500) where
    SQLite stores it. Fields refuse control characters long before; this keeps both
    databases alike for anything that slips through (a 422, never a crash)."""
    if any("\x00" in s for s in _strings(parameters)):
        raise InvalidInput("text", "a NUL character is not allowed in text")


def _start_clock(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    conn.info["statement_started"] = time.perf_counter()


def _stop_clock(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    # Where a request's time goes: its statements' time, round trip included.
    started = conn.info.pop("statement_started", None)
    if started is not None:
        count_statement(time.perf_counter() - started)


def _guarded(engine: Engine) -> Engine:
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    event.listen(engine, "before_cursor_execute", _start_clock)
    event.listen(engine, "after_cursor_execute", _stop_clock)
    return engine


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside the writer; foreign keys are off unless asked.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return _guarded(engine)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # No pre-ping (a round trip per checkout, several per request); connections are recycled
    # instead, and one that died with the server fails its request once (503), not forever.
    kwargs.setdefault("pool_recycle", 300)
    return _guarded(create_engine(url, **kwargs))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
