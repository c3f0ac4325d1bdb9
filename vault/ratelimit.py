"""Per-client rate limiting: a token bucket per key.

On PostgreSQL every API process shares one bucket per client, kept in the database
(`SharedRateLimiter`); on the embedded SQLite default, one process on one machine, the buckets
are in this process's memory (`RateLimiter`).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

from vault.errors import RateLimited


class RateLimiter:
    def __init__(self, per_minute: int, *, burst: int | None = None, max_keys: int = 100_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, per_minute // 10))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1 - tokens) / self.rate)
                raise RateLimited("too many requests: slow down", retry_after=max(1, wait))
            if len(self._buckets) >= self._max_keys and key not in self._buckets:
                self._buckets.clear()  # crude, bounded memory under key floods
            self._buckets[key] = (tokens - 1, now)


class RateStore(Protocol):
    def take(self, key: str, now: float, interval: float, window: float) -> float | None: ...

    def close(self) -> None: ...


class SharedRateLimiter:
    """The same limit, kept in the metadata database so that every API process counts
    against one bucket per client (`vault.db.rate_limit_store`)."""

    def __init__(self, store: RateStore, per_minute: int, *, burst: int | None = None) -> None:
        self.interval = 60.0 / per_minute
        self.burst = float(burst if burst is not None else max(1, per_minute // 10))
        self._store = store

    def check(self, key: str) -> None:
        wait = self._store.take(key, time.time(), self.interval, self.burst * self.interval)
        if wait is not None:
            raise RateLimited("too many requests: slow down", retry_after=max(1, math.ceil(wait)))

    def close(self) -> None:
        self._store.close()
