"""How the client signs in, and the cached access token it refreshes before it expires.

Credentials are plain values; a TokenCache (sync) or AsyncTokenCache holds the token
they yield. Neither ever shows a secret or a token in its repr.
"""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from vault_client._constants import TOKEN_REFRESH_MARGIN
from vault_client._request import Call, api, parse_as
from vault_client.types.auth import Token


class Credentials(ABC):
    """A way of getting an access token."""

    #: A new token can be had without the user (so a 401 is worth one fresh token).
    refreshable: bool = True

    @abstractmethod
    def token_call(self) -> Call[Token]:
        """The request that yields a token."""


@dataclass(frozen=True)
class ClientCredentials(Credentials):
    """OAuth2 client credentials of an agency system, acting for one named officer of the
    same agency (whose roles decide what the system may do)."""

    client_id: str
    client_secret: str = field(repr=False)
    officer: str

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("client_id and client_secret are required")
        if not self.officer:
            raise ValueError("name the officer the system acts for (officer=...)")

    def token_call(self) -> Call[Token]:
        # As form fields, not HTTP Basic: RFC 6749 wants Basic's parts form-encoded first,
        # which servers disagree on; the fields are unambiguous.
        return Call(
            "POST",
            api("/oauth/token"),
            parse_as(Token),
            form={
                "grant_type": "client_credentials",
                "officer": self.officer,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            idempotent=True,
            authenticated=False,
        )

    def for_officer(self, officer: str) -> ClientCredentials:
        return replace(self, officer=officer)


@dataclass(frozen=True)
class Password(Credentials):
    """A local account's username and password (the vault's embedded default; production
    signs people in through VNeID instead)."""

    username: str
    password: str = field(repr=False)

    def token_call(self) -> Call[Token]:
        return Call(
            "POST",
            api("/auth/login"),
            parse_as(Token),
            json={"username": self.username, "password": self.password},
            idempotent=True,
            authenticated=False,
        )


@dataclass(frozen=True)
class AccessToken(Credentials):
    """A token obtained elsewhere. It cannot be renewed: when it expires, calls raise
    AuthenticationError."""

    token: str = field(repr=False)
    refreshable = False

    def token_call(self) -> Call[Token]:
        raise TypeError("an access token given as is cannot be renewed")


def _margin(expires_in: float) -> float:
    return min(TOKEN_REFRESH_MARGIN, expires_in / 5)


class TokenCache:
    """One token at a time, fetched by one thread while the others wait for it."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        if isinstance(credentials, AccessToken):
            self._token, self._refresh_at = credentials.token, float("inf")

    def get(self, fetch: Callable[[Call[Token]], Token]) -> str:
        token = self._token
        if token is not None and time.monotonic() < self._refresh_at:
            return token
        with self._lock:
            if self._token is None or time.monotonic() >= self._refresh_at:
                started = time.monotonic()
                issued = fetch(self.credentials.token_call())
                self._token = issued.access_token.get_secret_value()
                self._refresh_at = started + issued.expires_in - _margin(issued.expires_in)
            return self._token

    def invalidate(self, token: str) -> None:
        """Drops `token` (refused by the server) unless another thread already has."""
        with self._lock:
            if self._token == token and self.credentials.refreshable:
                self._token = None

    def __repr__(self) -> str:
        return f"TokenCache({self.credentials!r})"


class AsyncTokenCache:
    """The same for asyncio: one task fetches, the others await it."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._lock: asyncio.Lock | None = None
        self._token: str | None = None
        self._refresh_at = 0.0
        if isinstance(credentials, AccessToken):
            self._token, self._refresh_at = credentials.token, float("inf")

    async def get(self, fetch: Callable[[Call[Token]], Awaitable[Token]]) -> str:
        token = self._token
        if token is not None and time.monotonic() < self._refresh_at:
            return token
        if self._lock is None:
            self._lock = asyncio.Lock()  # made here: it belongs to the running loop
        async with self._lock:
            if self._token is None or time.monotonic() >= self._refresh_at:
                started = time.monotonic()
                issued = await fetch(self.credentials.token_call())
                self._token = issued.access_token.get_secret_value()
                self._refresh_at = started + issued.expires_in - _margin(issued.expires_in)
            return self._token

    def invalidate(self, token: str) -> None:
        if self._token == token and self.credentials.refreshable:
            self._token = None

    def __repr__(self) -> str:
        return f"AsyncTokenCache({self.credentials!r})"
