"""The id of the request being served (mã yêu cầu), carried across threads and into jobs.

The HTTP layer binds it for each request; a job keeps the id of the request that queued it and
its handler runs bound to that id, so one id ties an upload's log lines to its OCR's. The id is
opaque and random, never derived from what the request carries.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("vault_request_id", default=None)

# What a caller may hand us as its own id (X-Request-Id): short, and nothing a log could mis-read.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    return secrets.token_hex(16)


def acceptable_request_id(value: str | None) -> str | None:
    """The caller's id if it is safe to log and repeat, else None (a new one is made)."""
    if value is not None and _ACCEPTABLE.fullmatch(value):
        return value
    return None


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[str | None]:
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


# -- where a request's time goes (Server-Timing) -------------------------------------------


class Timings:
    """Seconds spent per stage of one request (token, account, queries, audit, ...).

    Stages are exclusive: SQL run inside a named stage (the account check's look-ups) counts
    for that stage, and only statements run outside any stage count as `sql`. One request's
    sync dependencies run one after another, on whichever threads, so no lock is needed."""

    __slots__ = ("depth", "stages")

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.depth = 0

    def add(self, stage: str, seconds: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds

    def header(self, total: float) -> str:
        """A Server-Timing value (RFC: `name;dur=<ms>`), `other` being what no stage took."""
        parts = [f"{name};dur={1000 * s:.3f}" for name, s in self.stages.items()]
        other = total - sum(self.stages.values())
        parts.append(f"other;dur={1000 * max(0.0, other):.3f}")
        parts.append(f"total;dur={1000 * total:.3f}")
        return ", ".join(parts)


_timings: ContextVar[Timings | None] = ContextVar("vault_timings", default=None)


@contextmanager
def collecting_timings() -> Iterator[Timings]:
    """Collects the stages of the work done in this context (one request)."""
    timings = Timings()
    token = _timings.set(timings)
    try:
        yield timings
    finally:
        _timings.reset(token)


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Counts the time of the block for `stage` when a request is collecting; else free."""
    timings = _timings.get()
    if timings is None:
        yield
        return
    timings.depth += 1
    start = time.perf_counter()
    try:
        yield
    finally:
        timings.depth -= 1
        timings.add(stage, time.perf_counter() - start)


@contextmanager
def timed_besides_sql(stage: str) -> Iterator[None]:
    """Counts the block's time for `stage` less the statements run in it (those stay `sql`):
    a use case's own work (ORM, rules, snippets, building the answer)."""
    timings = _timings.get()
    if timings is None:
        yield
        return
    sql_before = timings.stages.get("sql", 0.0)
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        timings.add(stage, elapsed - (timings.stages.get("sql", 0.0) - sql_before))


def count_statement(seconds: float) -> None:
    """A database statement's time: `sql`, unless a named stage around it takes it."""
    timings = _timings.get()
    if timings is not None and timings.depth == 0:
        timings.add("sql", seconds)
