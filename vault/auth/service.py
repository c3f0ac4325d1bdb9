"""Sign-in and access tokens: local accounts, OAuth2 client credentials for agency systems
(acting for a named officer), OpenID Connect (VNeID in production)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from vault import identifiers
from vault.auth.actors import Actor, ActorKind, Role
from vault.auth.oidc_flow import OidcCodeFlow
from vault.auth.passwords import hash_secret, verify_secret
from vault.auth.tokens import IssuedToken, TokenService
from vault.db import UnitOfWork
from vault.domain import Account, ApiClient, new_id
from vault.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    jwks_url: str
    audience: str


class AuthService:
    def __init__(
        self,
        tokens: TokenService,
        oidc: OidcConfig | None = None,
        code_flow: OidcCodeFlow | None = None,
    ) -> None:
        self.tokens = tokens
        self._oidc = oidc
        # The browser sign-in (the console); None unless the provider's endpoints are set.
        self.code_flow = code_flow if oidc is not None else None
        self._jwks: jwt.PyJWKClient | None = (
            jwt.PyJWKClient(oidc.jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if oidc
            else None
        )

    # -- issuing -------------------------------------------------------------------------

    def token_for(self, account: Account, client_id: str | None = None) -> IssuedToken:
        """A token for an account already authenticated (the console's session, tests)."""
        return self._token_for(account, client_id)

    def _token_for(self, account: Account, client_id: str | None = None) -> IssuedToken:
        claims: dict[str, Any] = {"kind": account.kind, "name": account.full_name}
        if account.kind == ActorKind.OFFICER:
            claims["agency"] = account.agency_code
            claims["roles"] = list(account.roles)
        else:
            claims["owner"] = str(account.owner_id)
        if client_id:
            claims["client_id"] = client_id
        return self.tokens.issue(str(account.id), claims)

    def login(self, uow: UnitOfWork, username: str, password: str) -> IssuedToken:
        """Local accounts (the embedded default; production signs in through OIDC)."""
        account = uow.accounts.by_username(username.strip())
        if not verify_secret(account.password_hash if account else None, password):
            raise AuthenticationFailed("wrong username or password")
        assert account is not None
        if not account.active:
            raise AuthenticationFailed("this account is disabled")
        return self._token_for(account)

    def client_credentials(
        self, uow: UnitOfWork, client_id: str, client_secret: str, officer: str | None
    ) -> IssuedToken:
        """An agency system's token, acting for one named officer of the same agency."""
        client = uow.clients.get(client_id)
        if client is None or not verify_secret(client.secret_hash, client_secret):
            raise AuthenticationFailed("unknown client or wrong secret")
        if not client.active:
            raise AuthenticationFailed("this client is disabled")
        if not officer:
            raise InvalidInput("officer", "name the officer this system acts for")
        account = uow.accounts.by_username(officer)
        if account is None or account.kind != ActorKind.OFFICER or not account.active:
            raise PermissionDenied("no such active officer")
        if account.agency_code != client.agency_code:
            raise PermissionDenied("a client may act only for officers of its own agency")
        return self._token_for(account, client_id=client.client_id)

    def oidc_login(
        self, uow: UnitOfWork, id_token: str, *, nonce: str | None = None
    ) -> IssuedToken:
        """Signs in with an ID token from the provider; with `nonce` (the code flow), the
        token must carry it, so a token obtained for another sign-in is refused."""
        if self._oidc is None or self._jwks is None:
            raise AuthenticationFailed("OpenID Connect sign-in is not configured")
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256", "ES256", "EdDSA"],
                audience=self._oidc.audience,
                issuer=self._oidc.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
                leeway=5,
            )
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise AuthenticationFailed("the ID token is not valid") from exc
        if nonce is not None and not secrets.compare_digest(
            str(claims.get("nonce", "")).encode(), nonce.encode()
        ):
            raise AuthenticationFailed("the ID token was not issued for this sign-in")
        # OIDC Core 3.1.3.7: a token for several audiences names the party it was issued to.
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != self._oidc.audience:
            raise AuthenticationFailed("the ID token was issued to another client")
        account = uow.accounts.by_oidc(self._oidc.issuer, str(claims["sub"]))
        if account is None or not account.active:
            raise AuthenticationFailed("no account is linked to this identity")
        return self._token_for(account)

    # -- verifying -----------------------------------------------------------------------

    def actor(self, uow: UnitOfWork, token: str) -> Actor:
        claims = self.tokens.verify(token)
        try:
            account_id = uuid.UUID(str(claims["sub"]))
        except ValueError as exc:
            raise AuthenticationFailed("the access token names no account") from exc
        account = uow.accounts.get(account_id)
        if account is None or not account.active:
            raise AuthenticationFailed("the account behind this token is disabled")
        if account.kind == ActorKind.OFFICER:
            # The token's agency must still be the officer's (no acting across agencies).
            if claims.get("agency") != account.agency_code:
                raise AuthenticationFailed("the token's agency is not the officer's agency")
            client_id = claims.get("client_id")
            if client_id is not None:
                client = uow.clients.get(str(client_id))
                if client is None or not client.active or client.agency_code != account.agency_code:
                    raise AuthenticationFailed("the token's client may not act for this officer")
            return Actor(
                account_id=account.id,
                kind=ActorKind.OFFICER,
                name=account.full_name,
                roles=frozenset(Role(r) for r in account.roles if r in Role.__members__.values()),
                agency_code=account.agency_code,
                client_id=str(client_id) if client_id else None,
            )
        return Actor(
            account_id=account.id,
            kind=ActorKind.OWNER,
            name=account.full_name,
            owner_id=account.owner_id,
        )

    # -- administration (CLI) ------------------------------------------------------------

    def add_agency(self, uow: UnitOfWork, code: str, name: str) -> None:
        code = identifiers.agency_code(code)
        if not uow.accounts.agency_exists(code):
            uow.accounts.add_agency(code, name)
            uow.flush()

    def add_officer(
        self,
        uow: UnitOfWork,
        *,
        username: str,
        full_name: str,
        agency_code: str,
        roles: list[Role],
        password: str | None = None,
        oidc_subject: str | None = None,
    ) -> Account:
        agency_code = identifiers.agency_code(agency_code)
        if not uow.accounts.agency_exists(agency_code):
            raise InvalidInput("agency_code", "unknown agency: add it first")
        if uow.accounts.by_username(username) is not None:
            raise Conflict(f"username {username!r} is taken")
        if oidc_subject is not None and self._oidc is None:
            # Without the issuer the link could never match a sign-in.
            raise InvalidInput(
                "oidc_subject", "OpenID Connect is not configured: set VAULT_OIDC_ISSUER first"
            )
        account = Account(
            id=new_id(),
            kind=ActorKind.OFFICER.value,
            username=username,
            full_name=full_name,
            agency_code=agency_code,
            owner_id=None,
            roles=tuple(r.value for r in roles),
            password_hash=hash_secret(password) if password else None,
            active=True,
        )
        uow.accounts.add(
            account,
            oidc_issuer=self._oidc.issuer if (self._oidc and oidc_subject) else None,
            oidc_subject=oidc_subject,
        )
        uow.flush()
        return account

    def add_owner_account(
        self,
        uow: UnitOfWork,
        *,
        owner_id: uuid.UUID,
        username: str,
        password: str | None = None,
        oidc_subject: str | None = None,
    ) -> Account:
        owner = uow.owners.get(owner_id)
        if owner is None:
            raise InvalidInput("owner_id", "no such owner")
        if uow.accounts.by_username(username) is not None:
            raise Conflict(f"username {username!r} is taken")
        account = Account(
            id=new_id(),
            kind=ActorKind.OWNER.value,
            username=username,
            full_name=owner.display_name,
            agency_code=None,
            owner_id=owner.id,
            roles=(),
            password_hash=hash_secret(password) if password else None,
            active=True,
        )
        uow.accounts.add(
            account,
            oidc_issuer=self._oidc.issuer if (self._oidc and oidc_subject) else None,
            oidc_subject=oidc_subject,
        )
        uow.flush()
        return account

    def add_client(
        self, uow: UnitOfWork, *, name: str, agency_code: str, client_id: str | None = None
    ) -> tuple[str, str]:
        """Returns (client id, secret); the secret is shown once and stored only hashed."""
        agency_code = identifiers.agency_code(agency_code)
        if not uow.accounts.agency_exists(agency_code):
            raise InvalidInput("agency_code", "unknown agency: add it first")
        client_id = client_id or "cl_" + secrets.token_hex(8)
        if uow.clients.get(client_id) is not None:
            raise Conflict(f"client {client_id!r} exists")
        secret = secrets.token_urlsafe(32)
        uow.clients.add(ApiClient(client_id, name, agency_code, hash_secret(secret), True))
        uow.flush()
        return client_id, secret
