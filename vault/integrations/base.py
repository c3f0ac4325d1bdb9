"""What every outbound integration shares: its errors and its retry policy.

The adapters (`portal`, `peer`) speak HTTP through `vault.integrations.http`; the rest of the
vault sees only the interfaces (typing.Protocol) and these errors, never httpx.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from vault.errors import VaultError


class IntegrationError(VaultError):
    """Base of the errors an outside system's adapter raises. `system` names the peer
    (e.g. "national_portal"); the detail never repeats a request body or a token."""

    def __init__(self, system: str, detail: str) -> None:
        super().__init__(f"{system}: {detail}")
        self.system = system


class IntegrationUnavailable(IntegrationError):
    """The peer could not be reached, timed out or failed (5xx, 429) on every attempt the
    retry policy allowed: try again later. `retry_after` is the peer's own hint, if any."""

    def __init__(self, system: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(system, detail)
        self.retry_after = retry_after


class IntegrationRefused(IntegrationError):
    """The peer answered with a definitive 4xx refusal: repeating the same call will not
    help. `problem` is the peer's RFC 9457 problem detail (or {} when it sent none)."""

    def __init__(self, system: str, status: int, problem: dict[str, Any]) -> None:
        title = problem.get("title") or problem.get("detail") or "refused"
        super().__init__(system, f"refused with {status}: {str(title)[:200]}")
        self.status = status
        self.problem = problem


class IntegrationProtocolError(IntegrationError):
    """The peer answered, but not in the agreed shape (not JSON, missing fields, a digest
    that does not match): a bug or a version mismatch on one side, not a transient fault."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long a call that is safe to repeat is tried.

    Attempt n (1-based) waits a random time in [0, min(max_delay, base_delay * 2**(n-1))]
    before attempt n+1 ("full jitter": callers that failed together do not come back
    together), or the peer's Retry-After when it sent one. No attempt starts after
    `deadline` seconds from the first, and no attempt's read outlasts it.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    deadline: float = 60.0
    # The jitter's source; a test may give a seeded one.
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy needs at least one attempt")
        if self.base_delay < 0 or self.max_delay < 0 or self.deadline <= 0:
            raise ValueError("delays must not be negative and the deadline must be positive")

    def backoff(self, failed_attempt: int) -> float:
        """Seconds to wait after the `failed_attempt`-th attempt (1-based) failed."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (failed_attempt - 1))
        return self.rng.uniform(0, ceiling)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds for opening a connection, and for each read or write on it. The whole call,
    retries included, is bounded by the retry policy's deadline."""

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0


class ClientAuth(Protocol):
    """How this vault proves who it is to a peer: the headers each attempt carries."""

    def headers(self) -> dict[str, str]:
        """Authorization headers for the next attempt. May call the peer's token endpoint;
        raises IntegrationUnavailable or IntegrationRefused when that fails."""
        ...

    def invalidate(self) -> None:
        """Forgets a cached credential the peer just refused (401), so the next call gets a
        fresh one."""
        ...
