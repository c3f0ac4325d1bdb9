"""The systems allowed to call the signing service (the vault, agency systems).

Each has a bearer token, configured as its SHA-256 only (tokens are long random strings, so
a plain digest suffices and the configuration holds no secret), and the credentials it may
use. A caller never sees another system's credentials: they look like unknown ones.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from signing.csc_server.errors import CallerNotAuthenticated, ConfigurationError

ALL_CREDENTIALS = "*"


@dataclass(frozen=True)
class Caller:
    id: str
    credentials: frozenset[str]  # ids, or {"*"} for every credential

    def may_use(self, credential_id: str) -> bool:
        return ALL_CREDENTIALS in self.credentials or credential_id in self.credentials


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CallerRegistry:
    def __init__(self, clients: Mapping[str, tuple[str, frozenset[str]]]) -> None:
        """`clients`: caller id -> (hex SHA-256 of its bearer token, credential ids)."""
        self._entries: list[tuple[bytes, Caller]] = []
        for client_id, (digest_hex, credentials) in clients.items():
            try:
                digest = bytes.fromhex(digest_hex)
            except ValueError:
                digest = b""
            if len(digest) != 32:
                raise ConfigurationError(f"client {client_id!r}: token_sha256 must be 64 hex")
            self._entries.append((digest, Caller(client_id, frozenset(credentials))))

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller an `Authorization: Bearer <token>` header belongs to."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise CallerNotAuthenticated("a bearer token is required")
        presented = hashlib.sha256(token.encode()).digest()
        found = None
        for digest, caller in self._entries:
            # Compare against every entry: the time taken says nothing about which matched.
            if hmac.compare_digest(digest, presented):
                found = caller
        if found is None:
            raise CallerNotAuthenticated("the bearer token is not valid")
        return found
