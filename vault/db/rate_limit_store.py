"""The rate limiter's state shared by every API process: one row per client key.

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time
(TAT) of the next request; a request is allowed when TAT - burst window <= now, and then
pushes TAT one interval on. That is one atomic upsert per request, the same on PostgreSQL and
SQLite, on its own short connection (never inside the request's transaction). On PostgreSQL the
table is UNLOGGED and the upsert runs in autocommit on a small pool of its own whose sessions
commit asynchronously: one round trip per request, and losing it in a crash only forgets who
was being slowed down.
"""

from __future__ import annotations

from sqlalchemy import Engine, case, create_engine, select
from sqlalchemy.dialects import postgresql, sqlite

from vault.db.auth_models import RateLimitRow


class DatabaseRateStore:
    def __init__(self, engine: Engine) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._own: Engine | None = None
        if self._postgres:
            # Its own pool: `synchronous_commit = off` for the whole session must not reach
            # the connections that carry documents and the audit log.
            self._own = create_engine(
                engine.url,
                pool_size=2,
                max_overflow=8,
                pool_recycle=300,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c synchronous_commit=off"},
            )
        self._engine = self._own or engine

    def take(self, key: str, now: float, interval: float, window: float) -> float | None:
        """Takes one request for `key`: None if allowed, else the seconds to wait."""
        row = RateLimitRow
        insert = (postgresql.insert if self._postgres else sqlite.insert)(row)
        later = case((row.tat > now, row.tat), else_=now)
        stmt = (
            insert.values(key=key, tat=now + interval)
            .on_conflict_do_update(
                index_elements=[row.key],
                set_={"tat": later + interval},
                where=later + interval - window <= now,
            )
            .returning(row.tat)
        )
        with self._engine.connect() as connection:
            allowed = connection.execute(stmt).first()
            if allowed is None:
                tat = connection.execute(select(row.tat).where(row.key == key)).scalar_one()
            connection.commit()
        if allowed is not None:
            return None
        return max(0.0, float(tat) + interval - window - now)

    def close(self) -> None:
        if self._own is not None:
            self._own.dispose()
