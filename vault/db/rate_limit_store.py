"""The rate limiter's state shared by every API process: one row per client key.

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time
(TAT) of the next request; a request is allowed when TAT - burst window <= now, and then
pushes TAT one interval on. That is one atomic upsert per request, the same on PostgreSQL and
SQLite, on its own short autocommit connection (never inside the request's transaction). On
PostgreSQL the table is UNLOGGED and the commit asynchronous: losing it in a crash only forgets
who was being slowed down.
"""

from __future__ import annotations

from sqlalchemy import Engine, case, select, text
from sqlalchemy.dialects import postgresql, sqlite

from vault.db.auth_models import RateLimitRow


class DatabaseRateStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

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
            if self._postgres:
                connection.execute(text("SET LOCAL synchronous_commit = off"))
            allowed = connection.execute(stmt).first()
            if allowed is None:
                tat = connection.execute(select(row.tat).where(row.key == key)).scalar_one()
            connection.commit()
        if allowed is not None:
            return None
        return max(0.0, float(tat) + interval - window - now)
