"""Per-client rate limiting: a token bucket per key, in this process's memory.

Several API processes each keep their own buckets, so the effective limit is per process;
a shared limiter (Redis, or the gateway in front) is the production answer.
"""

from __future__ import annotations

import math
import threading
import time

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
