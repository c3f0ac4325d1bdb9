"""Sign-in: OAuth2 client credentials for agency systems, local accounts, OpenID Connect."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header

from api.deps import UowDep, VaultDep, limit_by_address
from api.schemas_reuse import LoginRequest, OidcRequest, TokenOut
from vault.errors import AuthenticationFailed, InvalidInput

router = APIRouter(tags=["auth"], dependencies=[Depends(limit_by_address)])
public = APIRouter(tags=["auth"])


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthenticationFailed("malformed basic credentials") from exc
    return user, password


@router.post(
    "/oauth/token",
    summary="OAuth2 client credentials: a token for an agency system acting for an officer",
    description=(
        "Form fields `grant_type=client_credentials`, `officer` (the username of the officer "
        "of the client's agency the system acts for); client id and secret as HTTP Basic or "
        "as `client_id`/`client_secret` fields (RFC 6749 §2.3.1)."
    ),
)
def token(
    vault: VaultDep,
    uow: UowDep,
    grant_type: Annotated[str, Form()],
    officer: Annotated[str | None, Form(max_length=64)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> TokenOut:
    if grant_type != "client_credentials":
        raise InvalidInput("grant_type", "only client_credentials is supported")
    basic = _basic(authorization)
    cid, secret = basic if basic else (client_id, client_secret)
    if not cid or not secret:
        raise AuthenticationFailed("client authentication is required")
    issued = vault.auth.client_credentials(uow, cid, secret, officer)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.post("/auth/login", summary="Sign in with a local account (the embedded default)")
def login(body: LoginRequest, vault: VaultDep, uow: UowDep) -> TokenOut:
    issued = vault.auth.login(uow, body.username, body.password)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.post("/auth/oidc", summary="Exchange an OpenID Connect ID token (VNeID) for a token")
def oidc(body: OidcRequest, vault: VaultDep, uow: UowDep) -> TokenOut:
    issued = vault.auth.oidc_login(uow, body.id_token)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@public.get(
    "/.well-known/jwks.json",
    summary="Public keys that verify the vault's tokens and signed receipts",
    include_in_schema=True,
)
def jwks(vault: VaultDep) -> dict[str, Any]:
    return dict(vault.auth.tokens.keys.jwks())
