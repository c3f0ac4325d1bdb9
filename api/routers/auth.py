"""Sign-in: OAuth2 client credentials for agency systems, local accounts, OpenID Connect;
sign-out; administrators switching officers and agency systems off and on."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ActorDep, UowDep, VaultDep, limit_by_address
from api.schemas_accounts import AccountStatusOut, ClientStatusOut, OAuthError
from api.schemas_reuse import LoginRequest, OidcRequest, TokenOut
from vault.errors import (
    AuthenticationFailed,
    InvalidInput,
    PermissionDenied,
    RateLimited,
)

router = APIRouter(tags=["auth"])
public = APIRouter(tags=["auth"])
_bearer = HTTPBearer(auto_error=False)
by_address = [Depends(limit_by_address)]

# RFC 6749 §5.1: token responses are never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint."""

    def __init__(self, status: int, error: str, description: str, **headers: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.headers = (
            status,
            error,
            description,
            headers,
        )

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers={**NO_STORE, **self.headers})


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise TokenError(401, "invalid_client", "malformed basic credentials") from exc
    return user, password


def _field(name: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise TokenError(400, "invalid_request", f"{name} is longer than {limit} characters")
    return value


_TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthError, "description": "invalid_request, unsupported_grant_type, …"},
    401: {"model": OAuthError, "description": "invalid_client"},
    429: {"model": OAuthError, "description": "slow_down: too many failures (Retry-After)"},
}


@router.post(
    "/oauth/token",
    summary="OAuth2 client credentials: a token for an agency system acting for an officer",
    description=(
        "Form fields `grant_type=client_credentials`, `officer` (the username of the officer "
        "of the client's agency the system acts for); client id and secret as HTTP Basic or "
        "as `client_id`/`client_secret` fields (RFC 6749 §2.3.1). Errors are RFC 6749 §5.2 "
        "documents (`error`, `error_description`), not problem documents. Failed client "
        "authentications are throttled per client id: a backoff, then a lockout (429 with "
        "Retry-After)."
    ),
    response_model=TokenOut,
    responses=_TOKEN_ERRORS,
)
def token(
    request: Request,
    vault: VaultDep,
    uow: UowDep,
    grant_type: Annotated[str | None, Form()] = None,
    officer: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    try:
        limit_by_address(request, vault)
        if not grant_type:
            raise TokenError(400, "invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise TokenError(400, "unsupported_grant_type", "only client_credentials is supported")
        basic = _basic(authorization)
        if basic and (client_id or client_secret):
            raise TokenError(400, "invalid_request", "authenticate the client one way only")
        cid, secret = basic if basic else (client_id, client_secret)
        cid, secret = _field("client_id", cid, 64), _field("client_secret", secret, 256)
        officer = _field("officer", officer, 64)
        if not cid or not secret:
            raise TokenError(401, "invalid_client", "client authentication is required")
        try:
            issued = vault.auth.client_credentials(uow, cid, secret, officer)
        except AuthenticationFailed as exc:
            raise TokenError(401, "invalid_client", exc.detail) from exc
        except InvalidInput as exc:
            raise TokenError(400, "invalid_request", exc.detail) from exc
        except PermissionDenied as exc:
            # The client is who it says, but may not act for this officer.
            raise TokenError(400, "unauthorized_client", exc.detail) from exc
    except RateLimited as exc:
        error = TokenError(429, "slow_down", exc.detail, **{"Retry-After": str(exc.retry_after)})
        return error.response()
    except TokenError as error:
        if error.status == 401:
            error.headers["WWW-Authenticate"] = 'Basic realm="vault"'
        return error.response()
    body = TokenOut(access_token=issued.token, expires_in=issued.expires_in)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


@router.post(
    "/auth/login",
    summary="Sign in with a local account (the embedded default)",
    description="Failed sign-ins are throttled per account: a backoff, then a lockout "
    "(429 with Retry-After). The account reads its own in `GET /me/sign-ins`.",
    dependencies=by_address,
)
def login(body: LoginRequest, vault: VaultDep, uow: UowDep) -> TokenOut:
    issued = vault.auth.login(uow, body.username, body.password)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.post(
    "/auth/oidc",
    summary="Exchange an OpenID Connect ID token (VNeID) for a token",
    dependencies=by_address,
)
def oidc(body: OidcRequest, vault: VaultDep, uow: UowDep) -> TokenOut:
    issued = vault.auth.oidc_login(uow, body.id_token)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out: this access token is refused from now on, by every API process",
)
def logout(
    vault: VaultDep,
    actor: ActorDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    assert credentials is not None  # `actor` was made from it
    vault.auth.sign_out(credentials.credentials)


@router.post(
    "/officers/{username}/disable",
    tags=["administration"],
    summary="Disable an officer of your agency: sign-in refused, issued tokens revoked",
)
def disable_officer(
    username: str, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> AccountStatusOut:
    account = vault.auth.set_account_active(uow, actor, username, False)
    return AccountStatusOut(username=account.username, active=account.active)


@router.post(
    "/officers/{username}/enable",
    tags=["administration"],
    summary="Re-enable an officer of your agency (and lift a sign-in lockout)",
)
def enable_officer(
    username: str, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> AccountStatusOut:
    account = vault.auth.set_account_active(uow, actor, username, True)
    return AccountStatusOut(username=account.username, active=account.active)


@router.post(
    "/clients/{client_id}/disable",
    tags=["administration"],
    summary="Disable an agency system of your agency: tokens refused, issued ones revoked",
)
def disable_client(
    client_id: str, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> ClientStatusOut:
    client = vault.auth.set_client_active(uow, actor, client_id, False)
    return ClientStatusOut(client_id=client.client_id, agency_code=client.agency_code, active=False)


@router.post(
    "/clients/{client_id}/enable",
    tags=["administration"],
    summary="Re-enable an agency system of your agency (and lift a lockout)",
)
def enable_client(client_id: str, vault: VaultDep, uow: UowDep, actor: ActorDep) -> ClientStatusOut:
    client = vault.auth.set_client_active(uow, actor, client_id, True)
    return ClientStatusOut(client_id=client.client_id, agency_code=client.agency_code, active=True)


@public.get(
    "/.well-known/jwks.json",
    summary="Public keys that verify the vault's tokens and signed receipts",
    include_in_schema=True,
)
def jwks(vault: VaultDep) -> dict[str, Any]:
    return dict(vault.auth.tokens.keys.jwks())
