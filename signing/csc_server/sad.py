"""Signature activation data (SAD): what `credentials/authorize` hands out, `signHash` spends.

A SAD is an opaque random token, valid for a short time and once. It is bound to the caller
that asked for it, the credential, the exact multiset of hashes and their count: a SAD for
one credential or hash set signs nothing else. The store keeps only a digest of each token.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from signing.csc_server.algorithms import HashAlgorithm
from signing.csc_server.errors import InvalidSAD


@dataclass(frozen=True)
class Authorization:
    client_id: str
    credential_id: str
    hashes: tuple[bytes, ...]  # sorted: order does not matter, multiplicity does
    num_signatures: int
    hash_algorithm: HashAlgorithm | None  # when the client named it (CSC v2)
    expires_at: float  # on the store's monotonic clock

    def covers(
        self,
        client_id: str,
        credential_id: str,
        hashes: Sequence[bytes],
        hash_algorithm: HashAlgorithm,
    ) -> bool:
        return (
            self.client_id == client_id
            and self.credential_id == credential_id
            and len(hashes) == self.num_signatures
            and tuple(sorted(hashes)) == self.hashes
            and self.hash_algorithm in (None, hash_algorithm)
        )


@dataclass(frozen=True)
class SadGrant:
    sad: str
    expires_in: int  # seconds

    def __repr__(self) -> str:
        return f"SadGrant(sad=..., expires_in={self.expires_in})"


def _key(sad: str) -> bytes:
    return hashlib.sha256(sad.encode()).digest()


class SadStore:
    """Outstanding SADs, in memory: one signing-service process per token (see token.py)."""

    def __init__(
        self,
        ttl_seconds: int,
        *,
        max_outstanding: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._max = max_outstanding
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[bytes, Authorization] = {}

    def issue(
        self,
        *,
        client_id: str,
        credential_id: str,
        hashes: Sequence[bytes],
        hash_algorithm: HashAlgorithm | None,
    ) -> SadGrant:
        sad = secrets.token_urlsafe(32)
        now = self._clock()
        auth = Authorization(
            client_id=client_id,
            credential_id=credential_id,
            hashes=tuple(sorted(hashes)),
            num_signatures=len(hashes),
            hash_algorithm=hash_algorithm,
            expires_at=now + self.ttl_seconds,
        )
        with self._lock:
            if len(self._pending) >= self._max:
                self._purge(now)
            if len(self._pending) >= self._max:
                # Refuse rather than grow without bound or drop someone's valid SAD.
                raise InvalidSAD("too many outstanding authorizations; retry shortly")
            self._pending[_key(sad)] = auth
        return SadGrant(sad=sad, expires_in=self.ttl_seconds)

    def redeem(self, sad: str) -> Authorization:
        """Removes and returns the SAD's authorization: whatever happens next, it is spent."""
        with self._lock:
            auth = self._pending.pop(_key(sad), None)
        if auth is None:
            raise InvalidSAD("Invalid parameter SAD: unknown or already used")
        if self._clock() > auth.expires_at:
            raise InvalidSAD("Invalid parameter SAD: expired")
        return auth

    def _purge(self, now: float) -> None:
        expired = [k for k, a in self._pending.items() if a.expires_at < now]
        for k in expired:
            del self._pending[k]

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
