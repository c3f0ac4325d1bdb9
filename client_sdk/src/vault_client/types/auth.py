from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import SecretStr

from vault_client.types._base import VaultModel
from vault_client.types.enums import ActorKind, Role


class Token(VaultModel):
    """An access token. `access_token` is a SecretStr: printing a Token never shows it."""

    access_token: SecretStr
    token_type: str = "Bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class Identity(VaultModel):
    """Who the client's token is for: the officer (and agency system) or the owner."""

    account_id: uuid.UUID
    kind: ActorKind
    name: str
    agency_code: str | None
    roles: list[Role]
    owner_id: uuid.UUID | None
    client_id: str | None


class Jwk(VaultModel):
    kty: str
    kid: str
    crv: str | None = None
    x: str | None = None
    use: str | None = None
    alg: str | None = None


class Jwks(VaultModel):
    """The public keys that verify the vault's tokens and signed consent receipts."""

    keys: list[Jwk]


class Throttle(VaultModel):
    """Where the throttle on the account's password sign-in stands: failures in a row
    (until a success), the last one, and until when the account is locked out, if it is."""

    failures: int
    last_failure_at: datetime
    locked_until: datetime | None


class SignInEvent(VaultModel):
    """One sign-in event of the account: a failure, a lockout, a refused or revoked token,
    a sign-out (`action` such as "auth.login", "auth.lockout", "auth.token_refused";
    `outcome` "ok" or "denied"; `detail` says why)."""

    seq: int
    at: datetime
    action: str
    outcome: str
    detail: str | None
    client_id: str | None


class OfficerStatus(VaultModel):
    """An officer's account after an administrator switched it off or on."""

    username: str
    active: bool


class ClientStatus(VaultModel):
    """An agency system (OAuth2 client) after an administrator switched it off or on."""

    client_id: str
    agency_code: str
    active: bool
