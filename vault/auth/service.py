"""Sign-in and access tokens: local accounts, OAuth2 client credentials for agency systems
(acting for a named officer), OpenID Connect (VNeID in production)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import jwt

from vault import identifiers
from vault.audit import AuditDraft, Outcome
from vault.auth import revocation
from vault.auth.actors import Actor, ActorKind, Role
from vault.auth.oidc_flow import OidcCodeFlow
from vault.auth.passwords import hash_secret, verify_secret
from vault.auth.throttle import SignInThrottle, ThrottlePolicy, client_subject, user_subject
from vault.auth.tokens import IssuedToken, TokenService
from vault.db import UnitOfWork
from vault.domain import Account, ApiClient, AuditEntry, ThrottleState, new_id
from vault.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from vault.request_context import timed

# What an account reads of its own sign-ins (`AuthService.sign_in_events`).
SIGN_IN_ACTIONS = (
    "auth.login",
    "auth.oidc",
    "auth.client_credentials",
    "auth.lockout",
    "auth.token_refused",
    "auth.sign_out",
)


def account_draft(
    account: Account,
    action: str,
    outcome: str = Outcome.OK,
    detail: str | None = None,
    client_id: str | None = None,
) -> AuditDraft:
    """An audit entry about an account's own sign-in (its actor is the account)."""
    officer = account.kind == ActorKind.OFFICER
    return AuditDraft(
        action=action,
        outcome=outcome,
        actor_id=str(account.id),
        actor_name=account.full_name,
        client_id=client_id,
        agency_code=account.agency_code,
        role=",".join(sorted(account.roles)) if officer else "owner",
        detail=detail,
    )


def client_draft(client: ApiClient, action: str, outcome: str, detail: str) -> AuditDraft:
    return AuditDraft(
        action=action,
        outcome=outcome,
        actor_name=client.name,
        client_id=client.client_id,
        agency_code=client.agency_code,
        role="client",
        detail=detail,
    )


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
        *,
        uows: Callable[[], UnitOfWork],
        throttle: ThrottlePolicy | None = None,
    ) -> None:
        self.tokens = tokens
        # Its own transactions: failure counts and sign-outs outlive the request's.
        self._uows = uows
        self.throttle = SignInThrottle(uows, throttle or ThrottlePolicy())
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
        username = username.strip()
        subject = user_subject(username)
        account = uow.accounts.by_username(username)
        state = self._check_throttle(uow, subject, account, "auth.login")
        if not verify_secret(account.password_hash if account else None, password):
            self._failed(uow, subject, account, "auth.login", "wrong password")
            raise AuthenticationFailed("wrong username or password")
        assert account is not None
        if not account.active:
            self._failed(uow, subject, account, "auth.login", "the account is disabled")
            raise AuthenticationFailed("this account is disabled")
        self.throttle.succeeded(uow, subject, state)
        uow.record(account_draft(account, "auth.login"))
        return self._token_for(account)

    def client_credentials(
        self, uow: UnitOfWork, client_id: str, client_secret: str, officer: str | None
    ) -> IssuedToken:
        """An agency system's token, acting for one named officer of the same agency."""
        subject = client_subject(client_id)
        client = uow.clients.get(client_id)
        now = datetime.now(UTC)
        try:
            state = self.throttle.check(uow, subject, now)
        except RateLimited as exc:
            if client is not None:
                uow.record(
                    client_draft(client, "auth.client_credentials", Outcome.DENIED, exc.detail)
                )
            raise
        if client is None or not verify_secret(client.secret_hash, client_secret):
            self._client_failed(uow, subject, client, "wrong client secret", now)
            raise AuthenticationFailed("unknown client or wrong secret")
        if not client.active:
            self._client_failed(uow, subject, client, "the client is disabled", now)
            raise AuthenticationFailed("this client is disabled")
        self.throttle.succeeded(uow, subject, state)
        if not officer:
            raise InvalidInput("officer", "name the officer this system acts for")
        account = uow.accounts.by_username(officer)
        refusal = None
        if account is None or account.kind != ActorKind.OFFICER or not account.active:
            refusal = "no such active officer"
        elif account.agency_code != client.agency_code:
            refusal = "a client may act only for officers of its own agency"
        if refusal is not None:
            uow.record(client_draft(client, "auth.client_credentials", Outcome.DENIED, refusal))
            raise PermissionDenied(refusal)
        assert account is not None
        uow.record(account_draft(account, "auth.client_credentials", client_id=client.client_id))
        return self._token_for(account, client_id=client.client_id)

    def oidc_login(
        self, uow: UnitOfWork, id_token: str, *, nonce: str | None = None
    ) -> IssuedToken:
        """Signs in with an ID token from the provider; with `nonce` (the code flow), the
        token must carry it, so a token obtained for another sign-in is refused.

        A token that does not verify names nobody (it cannot be guessed either: the provider
        signs it), so only the address limit applies to it; once it names a linked account,
        that account's throttle applies, as on every sign-in path."""
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
        account = uow.accounts.by_oidc(self._oidc.issuer, str(claims["sub"]))
        if account is None:
            raise AuthenticationFailed("no account is linked to this identity")
        subject = user_subject(account.username)
        state = self._check_throttle(uow, subject, account, "auth.oidc")
        if nonce is not None and not secrets.compare_digest(
            str(claims.get("nonce", "")).encode(), nonce.encode()
        ):
            self._failed(uow, subject, account, "auth.oidc", "the ID token's nonce is wrong")
            raise AuthenticationFailed("the ID token was not issued for this sign-in")
        # OIDC Core 3.1.3.7: a token for several audiences names the party it was issued to.
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != self._oidc.audience:
            self._failed(uow, subject, account, "auth.oidc", "the ID token is another client's")
            raise AuthenticationFailed("the ID token was issued to another client")
        if not account.active:
            self._failed(uow, subject, account, "auth.oidc", "the account is disabled")
            raise AuthenticationFailed("no account is linked to this identity")
        self.throttle.succeeded(uow, subject, state)
        uow.record(account_draft(account, "auth.oidc"))
        return self._token_for(account)

    def _check_throttle(
        self, uow: UnitOfWork, subject: str, account: Account | None, action: str
    ) -> ThrottleState | None:
        try:
            return self.throttle.check(uow, subject, datetime.now(UTC))
        except RateLimited as exc:
            if account is not None:
                uow.record(account_draft(account, action, Outcome.DENIED, exc.detail))
            raise

    def _failed(
        self, uow: UnitOfWork, subject: str, account: Account | None, action: str, why: str
    ) -> None:
        """Counts a failed sign-in; audits it when it is a known account's."""
        locked = self.throttle.failed(subject, datetime.now(UTC))
        if account is None:
            return
        uow.record(account_draft(account, action, Outcome.DENIED, why))
        if locked:
            minutes = self.throttle.policy.lockout_seconds // 60
            detail = f"locked out for {minutes} min after too many failed sign-ins"
            uow.record(account_draft(account, "auth.lockout", Outcome.DENIED, detail))

    def _client_failed(
        self, uow: UnitOfWork, subject: str, client: ApiClient | None, why: str, now: datetime
    ) -> None:
        locked = self.throttle.failed(subject, now)
        if client is None:
            return
        uow.record(client_draft(client, "auth.client_credentials", Outcome.DENIED, why))
        if locked:
            uow.record(client_draft(client, "auth.lockout", Outcome.DENIED, "client locked out"))

    # -- verifying -----------------------------------------------------------------------

    def session_actor(self, uow: UnitOfWork, account_id: uuid.UUID) -> Actor | None:
        """The actor of a signed-in session's account (the console's), checked exactly as a
        token issued for the account would be; None when there is no such account."""
        account = uow.accounts.get(account_id)
        if account is None:
            return None
        return self.actor(uow, self.token_for(account).token)

    def actor(self, uow: UnitOfWork, token: str) -> Actor:
        with timed("token"):
            claims = self.tokens.verify(token)
        with timed("account"):
            return self._actor(uow, claims)

    def _actor(self, uow: UnitOfWork, claims: dict[str, Any]) -> Actor:
        try:
            account_id = uuid.UUID(str(claims["sub"]))
        except ValueError as exc:
            raise AuthenticationFailed("the access token names no account") from exc
        # The account and the revocations that may cover the token: one round trip.
        account, found = uow.auth_state.account_and_revocations(
            account_id, revocation.keys_of(claims)
        )
        if account is None:
            raise AuthenticationFailed("the account behind this token is disabled")
        client_id = claims.get("client_id")
        refused = revocation.why_revoked(claims, found)
        if refused is None and not account.active:
            refused = "the account behind this token is disabled"
        if refused is not None:
            via = str(client_id) if client_id else None
            uow.record(account_draft(account, "auth.token_refused", Outcome.DENIED, refused, via))
            raise AuthenticationFailed(refused)
        if account.kind == ActorKind.OFFICER:
            # The token's agency must still be the officer's (no acting across agencies).
            if claims.get("agency") != account.agency_code:
                raise AuthenticationFailed("the token's agency is not the officer's agency")
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

    # -- signing out, switching accounts off and on ----------------------------------------

    def sign_out(self, token: str | None) -> bool:
        """Revokes this access token (the API's and the console's sign-out) until it expires,
        for every API process; False when there was nothing to revoke (no token, or one that
        is already invalid). Committed in its own transaction."""
        if not token:
            return False
        try:
            claims = self.tokens.verify(token)
            account_id = uuid.UUID(str(claims["sub"]))
        except (AuthenticationFailed, ValueError):
            return False
        now = datetime.now(UTC)
        with self._uows() as uow:
            if not revocation.revoke_token(uow, claims, now):
                return False
            account = uow.accounts.get(account_id)
            if account is not None:
                client_id = claims.get("client_id")
                uow.record(
                    account_draft(
                        account, "auth.sign_out", client_id=str(client_id) if client_id else None
                    )
                )
            uow.commit()
        return True

    def end_console_session(self, session_id: str, account_id: uuid.UUID, until: datetime) -> None:
        """Signs a console session out for every process: its cookie, even if copied, opens
        nothing until `until` (the session's latest possible end)."""
        now = datetime.now(UTC)
        with self._uows() as uow:
            uow.auth_state.revoke(revocation.console_session_key(session_id), now, until)
            uow.auth_state.forget_revocations(now)
            account = uow.accounts.get(account_id)
            if account is not None:
                uow.record(account_draft(account, "auth.sign_out"))
            uow.commit()

    def console_session_ended(self, uow: UnitOfWork, session_id: str) -> bool:
        return bool(uow.auth_state.revocations([revocation.console_session_key(session_id)]))

    def set_account_active(
        self, uow: UnitOfWork, by: Actor | None, username: str, active: bool
    ) -> Account:
        """Disables (revoking every token issued to it so far) or re-enables an account.
        `by` is the administrator doing it (an officer of theirs, through the API), or None
        for the `vault accounts` command on the server."""
        account = uow.accounts.by_username(username)
        if account is None:
            raise NotFound("no such account")
        if by is not None:
            self._require_admin_of(uow, by, account.agency_code, "account." + _verb(active))
            if account.kind != ActorKind.OFFICER:
                raise PermissionDenied("an administrator switches officers of their agency")
            if account.id == by.account_id:
                raise Conflict("an administrator does not switch their own account")
        now = datetime.now(UTC)
        uow.auth_state.set_account_active(account.id, active)
        if active:
            uow.auth_state.clear_throttle(user_subject(account.username))
        else:
            revocation.revoke_all(uow, revocation.account_key(account.id), now, self.tokens.ttl)
        uow.record(_admin_draft(by, "account." + _verb(active), f"account {account.username}"))
        uow.flush()
        return replace(account, active=active)

    def set_client_active(
        self, uow: UnitOfWork, by: Actor | None, client_id: str, active: bool
    ) -> ApiClient:
        """Disables (revoking every token it obtained so far) or re-enables an agency system."""
        client = uow.clients.get(client_id)
        if client is None:
            raise NotFound("no such client")
        if by is not None:
            self._require_admin_of(uow, by, client.agency_code, "client." + _verb(active))
        now = datetime.now(UTC)
        uow.auth_state.set_client_active(client.client_id, active)
        if active:
            uow.auth_state.clear_throttle(client_subject(client.client_id))
        else:
            revocation.revoke_all(
                uow, revocation.client_key(client.client_id), now, self.tokens.ttl
            )
        uow.record(_admin_draft(by, "client." + _verb(active), f"client {client.client_id}"))
        uow.flush()
        return ApiClient(
            client.client_id, client.name, client.agency_code, client.secret_hash, active
        )

    @staticmethod
    def _require_admin_of(uow: UnitOfWork, by: Actor, agency: str | None, action: str) -> None:
        if by.has(Role.ADMINISTRATOR) and by.agency_code == agency:
            return
        reason = "only an administrator of the same agency may do this"
        uow.record(_admin_draft(by, action, reason, Outcome.DENIED))
        raise PermissionDenied(reason)

    def sign_in_events(
        self, uow: UnitOfWork, actor: Actor, *, before_seq: int | None = None, limit: int = 50
    ) -> tuple[list[AuditEntry], ThrottleState | None]:
        """The caller's own sign-ins, failures and lockouts (newest first), and where their
        throttle stands now."""
        account = uow.accounts.get(actor.account_id)
        if account is None:
            raise NotFound("no such account")
        events = uow.auth_state.sign_in_events(
            str(account.id), SIGN_IN_ACTIONS, before_seq=before_seq, limit=limit
        )
        return events, uow.auth_state.throttle(user_subject(account.username))

    # -- administration (CLI) ------------------------------------------------------------

    def account_named(self, uow: UnitOfWork, username: str) -> Account | None:
        """The account signing in as `username`, if there is one (set-up tools)."""
        return uow.accounts.by_username(username)

    def client(self, uow: UnitOfWork, client_id: str) -> ApiClient | None:
        """The registered system `client_id`, if there is one (set-up tools)."""
        return uow.clients.get(client_id)

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


def _verb(active: bool) -> str:
    return "enable" if active else "disable"


def _admin_draft(
    by: Actor | None, action: str, detail: str, outcome: str = Outcome.OK
) -> AuditDraft:
    if by is None:  # the `vault accounts` command, run on the server
        return AuditDraft(action=action, outcome=outcome, actor_name="vault command", detail=detail)
    return AuditDraft(
        action=action,
        outcome=outcome,
        actor_id=str(by.account_id),
        actor_name=by.name,
        client_id=by.client_id,
        agency_code=by.agency_code,
        role=by.role_label,
        detail=detail,
    )
