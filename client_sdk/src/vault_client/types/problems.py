"""RFC 9457 problem details, as the vault answers every error; RFC 6749 § 5.2 errors, as
its OAuth2 token endpoint answers them."""

from __future__ import annotations

from pydantic import Field

from vault_client.types._base import VaultModel


class FieldError(VaultModel):
    """One invalid field of a request: `field` is dotted (`requirements.0.paper_type`)."""

    field: str
    detail: str


class Problem(VaultModel):
    type: str = "about:blank"
    title: str = ""
    status: int | None = None
    detail: str = ""
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class OAuthError(VaultModel):
    """What the token endpoint answers when it issues no token (RFC 6749 § 5.2): `error`
    is a code such as "invalid_client", "invalid_request", "unauthorized_client" or
    "slow_down" (too many failures: see Retry-After)."""

    error: str
    error_description: str | None = None
    error_uri: str | None = None
