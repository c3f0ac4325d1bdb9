"""Sign-in endpoints and who the client is. The client signs itself in: these are for
checking identity, fetching a token for another program, signing out, the account's own
sign-in events, and the vault's public keys."""

from __future__ import annotations

from vault_client._credentials import ClientCredentials, Password
from vault_client._request import Call, api, parse_as, parse_none
from vault_client.pagination import AsyncSignInsPage, SignInsPage, SignInsWire
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.auth import Identity, Jwks, Token


def _me() -> Call[Identity]:
    return Call("GET", api("/me"), parse_as(Identity), idempotent=True)


def _oidc(id_token: str) -> Call[Token]:
    body = {"id_token": id_token}
    return Call(
        "POST", api("/auth/oidc"), parse_as(Token), json=body, idempotent=True, authenticated=False
    )


def _logout() -> Call[None]:
    # Not idempotent: sent again after it took effect, it is answered 401 (token revoked).
    return Call("POST", api("/auth/logout"), parse_none, reauthenticate=False)


def _sign_ins(limit: int | None, cursor: str | None) -> Call[SignInsWire]:
    params: dict[str, str | int | bool] = {}
    if limit is not None:
        params["limit"] = limit
    if cursor is not None:
        params["cursor"] = cursor
    return Call("GET", api("/me/sign-ins"), parse_as(SignInsWire), params=params, idempotent=True)


def _jwks() -> Call[Jwks]:
    return Call(
        "GET", "/.well-known/jwks.json", parse_as(Jwks), idempotent=True, authenticated=False
    )


class Auth(SyncResource):
    def me(self) -> Identity:
        """Who the client's token is for: officer, agency, roles, and the agency system's
        client id when signed in with client credentials."""
        return self._client.execute(_me())

    def client_credentials(self, *, client_id: str, client_secret: str, officer: str) -> Token:
        """A token for an agency system acting for `officer` (OAuth2 client credentials).
        The client does this itself when given credentials; use this to hand a token on."""
        call = ClientCredentials(client_id, client_secret, officer).token_call()
        return self._client.execute(call)

    def login(self, *, username: str, password: str) -> Token:
        """A token for a local account (the vault's embedded default)."""
        return self._client.execute(Password(username, password).token_call())

    def oidc(self, id_token: str) -> Token:
        """Exchanges an OpenID Connect ID token (VNeID) for a vault token."""
        return self._client.execute(_oidc(id_token))

    def logout(self) -> None:
        """Signs out: the vault refuses the token this client presents from now on, in every
        API process (the account's other tokens are untouched), and the client drops it.
        A client with credentials it can renew (client credentials, a password) fetches a
        new token on its next call; one given an `access_token` cannot call again.
        AuthenticationError (401) when the token was already expired or revoked."""
        self._client.sign_out(_logout())

    def sign_ins(self, *, limit: int | None = None, cursor: str | None = None) -> SignInsPage:
        """The signed-in account's own sign-in events, newest first: failed sign-ins,
        lockouts, refused and revoked tokens, sign-outs; and `page.throttle`, where the
        throttle on its password sign-in stands (failures in a row, the lockout's end; None
        when there are none). The first page; iterate it for all."""

        def fetch(at: str | None) -> SignInsPage:
            return SignInsPage(self._client.execute(_sign_ins(limit, at)), fetch)

        return fetch(cursor)

    def jwks(self) -> Jwks:
        """The public keys that verify the vault's tokens and signed consent receipts."""
        return self._client.execute(_jwks())


class AsyncAuth(AsyncResource):
    async def me(self) -> Identity:
        """Who the client's token is for: officer, agency, roles, and the agency system's
        client id when signed in with client credentials."""
        return await self._client.execute(_me())

    async def client_credentials(
        self, *, client_id: str, client_secret: str, officer: str
    ) -> Token:
        """A token for an agency system acting for `officer` (OAuth2 client credentials).
        The client does this itself when given credentials; use this to hand a token on."""
        call = ClientCredentials(client_id, client_secret, officer).token_call()
        return await self._client.execute(call)

    async def login(self, *, username: str, password: str) -> Token:
        """A token for a local account (the vault's embedded default)."""
        return await self._client.execute(Password(username, password).token_call())

    async def oidc(self, id_token: str) -> Token:
        """Exchanges an OpenID Connect ID token (VNeID) for a vault token."""
        return await self._client.execute(_oidc(id_token))

    async def logout(self) -> None:
        """Signs out: the vault refuses the token this client presents from now on, in every
        API process (the account's other tokens are untouched), and the client drops it.
        A client with credentials it can renew (client credentials, a password) fetches a
        new token on its next call; one given an `access_token` cannot call again.
        AuthenticationError (401) when the token was already expired or revoked."""
        await self._client.sign_out(_logout())

    async def sign_ins(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncSignInsPage:
        """The signed-in account's own sign-in events, newest first: failed sign-ins,
        lockouts, refused and revoked tokens, sign-outs; and `page.throttle`, where the
        throttle on its password sign-in stands (failures in a row, the lockout's end; None
        when there are none). The first page; `async for` over it for all."""

        async def fetch(at: str | None) -> AsyncSignInsPage:
            return AsyncSignInsPage(await self._client.execute(_sign_ins(limit, at)), fetch)

        return await fetch(cursor)

    async def jwks(self) -> Jwks:
        """The public keys that verify the vault's tokens and signed consent receipts."""
        return await self._client.execute(_jwks())
