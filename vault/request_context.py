"""The id of the request being served (mã yêu cầu), carried across threads and into jobs.

The HTTP layer binds it for each request; a job keeps the id of the request that queued it and
its handler runs bound to that id, so one id ties an upload's log lines to its OCR's. The id is
opaque and random, never derived from what the request carries.
"""

from __future__ import annotations

import re
import secrets
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
