"""When to retry, and how long to wait: exponential backoff with jitter, Retry-After first.

A request is retried only when doing so cannot act twice:
- the connection was never made (refused, connect timeout, no pooled connection free);
- 408 and 429: the vault did not process the request;
- any other failure (5xx, a reset or timeout after the request left) only for idempotent
  requests: reads, PUT, the endpoints idempotent by design (owner registration by
  identifier, dossier by code, attach), and uploads, which carry an Idempotency-Key.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from vault_client._constants import (
    DEFAULT_MAX_RETRIES,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
)
from vault_client._exceptions import parse_retry_after

# Statuses that say the request was not processed: safe to repeat whatever it was.
_NOT_PROCESSED = frozenset({408, 429})
# Raised before a byte of the request left: nothing can have happened on the server.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Transient failures after the request may have left (a request bug is not one of them).
_TRANSIENT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry and how long to wait between attempts.

    The n-th retry waits `min(initial_delay * 2**n, max_delay)` less up to `jitter` of it
    (so that many clients failing together do not come back together), unless the vault
    sent Retry-After: that is waited out exactly, if it is at most `max_retry_after`
    seconds; a longer one is not retried at all.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, retries_done: int) -> float:
        """Seconds to wait before retry number `retries_done + 1`."""
        delay = min(self.initial_delay * 2.0 ** min(retries_done, 32), self.max_delay)
        return delay * (1 - self.jitter * random.random())  # noqa: S311 - not for secrets

    def after_response(
        self, response: httpx.Response, *, idempotent: bool, retries_done: int
    ) -> float | None:
        """Seconds to wait before retrying this error response, or None: do not retry."""
        if retries_done >= self.max_retries:
            return None
        status = response.status_code
        if status not in _NOT_PROCESSED and not (idempotent and status >= 500):
            return None
        if response.headers.get("x-should-retry") == "false":
            return None
        retry_after = parse_retry_after(response.headers)
        if retry_after is None:
            return self.backoff(retries_done)
        return retry_after if retry_after <= self.max_retry_after else None

    def after_error(
        self, error: httpx.TransportError, *, idempotent: bool, retries_done: int
    ) -> float | None:
        """Seconds to wait before retrying after a transport error, or None."""
        if retries_done >= self.max_retries:
            return None
        if isinstance(error, _NEVER_SENT) or (idempotent and isinstance(error, _TRANSIENT)):
            return self.backoff(retries_done)
        return None
