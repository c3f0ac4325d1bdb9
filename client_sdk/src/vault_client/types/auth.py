from __future__ import annotations

import uuid

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
