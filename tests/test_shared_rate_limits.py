"""On PostgreSQL every API process counts against one bucket per client."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.people import People
from vault.db import create_engine_for
from vault.db.rate_limit_store import DatabaseRateStore
from vault.errors import RateLimited
from vault.ratelimit import RateLimiter, SharedRateLimiter
from vault.runtime import Vault


@pytest.fixture
def two_processes(pg_url: str) -> Iterator[tuple[SharedRateLimiter, SharedRateLimiter]]:
    """Two limiters on two engines: what two API processes hold (their own pools)."""
    engines = [create_engine_for(pg_url), create_engine_for(pg_url)]
    # One request every 10 s, bursts of 6: a loaded machine's slowness barely refills it.
    yield (
        SharedRateLimiter(DatabaseRateStore(engines[0]), 6, burst=6),
        SharedRateLimiter(DatabaseRateStore(engines[1]), 6, burst=6),
    )
    for engine in engines:
        engine.dispose()


def test_two_processes_share_one_bucket_per_client(
    two_processes: tuple[SharedRateLimiter, SharedRateLimiter],
) -> None:
    a, b = two_processes
    client = "client-" + uuid.uuid4().hex
    allowed: list[bool] = []
    waits: list[int] = []
    lock = threading.Lock()

    def hammer(limiter: SharedRateLimiter) -> None:
        for _ in range(10):
            try:
                limiter.check(client)
            except RateLimited as exc:
                with lock:
                    allowed.append(False)
                    waits.append(exc.retry_after)
            else:
                with lock:
                    allowed.append(True)

    threads = [threading.Thread(target=hammer, args=(lim,)) for lim in (a, b, a, b)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refills = int((time.monotonic() - started) / 10) + 1
    # The burst of 6 and what refilled meanwhile; a bucket per process would have let 12 by.
    assert len(allowed) == 40
    assert 6 <= sum(allowed) <= 6 + refills, (sum(allowed), refills)
    assert waits and min(waits) >= 1
    # Another client is not slowed down by this one.
    b.check("client-" + uuid.uuid4().hex)


def test_the_vault_shares_its_limiter_on_postgres_only(vault: Vault, people: People) -> None:
    if vault.engine.dialect.name == "postgresql":
        assert isinstance(vault.rate_limiter, SharedRateLimiter)
    else:
        assert isinstance(vault.rate_limiter, RateLimiter)
    with TestClient(create_app(vault=vault), headers=people.auth("clerk")) as http:
        assert http.get("/api/v1/me").status_code == 200
