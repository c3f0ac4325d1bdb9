"""Signing in to the console through OpenID Connect (VNeID in production).

GET /console/oidc/start sends the browser to the provider with a fresh state, nonce and PKCE
challenge; what must come back is kept in a short-lived cookie sealed with AES-GCM (nothing
is stored server-side, so any API process can finish the sign-in). GET
/console/oidc/callback checks the state, trades the code for the ID token, and signs in
through `vault.auth.oidc_login` with the nonce, exactly as the API's `/auth/oidc` does with
a token the client brings.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import time
from typing import Annotated

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import APIRouter, Depends, Query, Request, Response

from api.console.web import (
    PREFIX,
    ConsoleRoute,
    derived_key,
    render,
    rotate_csrf,
    safe_next,
    secure_cookies,
    start_session,
)
from api.deps import UowDep, VaultDep, limit_by_address
from vault.errors import AuthenticationFailed
from vault.runtime import Vault

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

FLOW_COOKIE = "console_oidc"
FLOW_PATH = f"{PREFIX}/oidc"
FLOW_SECONDS = 600  # time to get through the provider's pages


def _flow_key(vault: Vault) -> bytes:
    return derived_key(vault, b"vault console oidc flow v1")


def _seal(vault: Vault, data: dict[str, object]) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_flow_key(vault)).encrypt(nonce, json.dumps(data).encode(), b"oidc-flow")
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open(vault: Vault, value: str | None) -> dict[str, str] | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
        plain = AESGCM(_flow_key(vault)).decrypt(raw[:12], raw[12:], b"oidc-flow")
        data = json.loads(plain)
    except (ValueError, binascii.Error, InvalidTag, UnicodeEncodeError):
        return None
    if not isinstance(data, dict) or float(data.get("expires", 0)) < time.time():
        return None
    return {k: str(v) for k, v in data.items()}


def _redirect_uri(request: Request, vault: Vault) -> str:
    configured = vault.settings.oidc_redirect_uri
    return configured or str(request.base_url).rstrip("/") + f"{FLOW_PATH}/callback"


def _failed(request: Request, vault: Vault, next_path: str) -> Response:
    response = render(
        request,
        "login.html",
        {
            "next": next_path,
            "error": "login.oidc_failed",
            "oidc": vault.auth.code_flow is not None,
        },
        status=401,
    )
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


@router.get("/oidc/start")
def start(request: Request, vault: VaultDep, next: str | None = None) -> Response:
    flow = vault.auth.code_flow
    if flow is None:
        return render(request, "error.html", {"kind": "not_found"}, status=404)
    redirect_uri = _redirect_uri(request, vault)
    started = flow.start(redirect_uri)
    response = Response(status_code=303, headers={"Location": started.url})
    cookie = _seal(
        vault,
        {
            "state": started.state,
            "nonce": started.nonce,
            "verifier": started.code_verifier,
            "redirect_uri": redirect_uri,
            "next": safe_next(next),
            "expires": time.time() + FLOW_SECONDS,
        },
    )
    # Lax, not Strict: the provider's redirect back is a cross-site navigation.
    response.set_cookie(
        FLOW_COOKIE,
        cookie,
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, vault),
        path=FLOW_PATH,
    )
    return response


@router.get("/oidc/callback", dependencies=[Depends(limit_by_address)])
def callback(
    request: Request,
    vault: VaultDep,
    uow: UowDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response:
    flow = vault.auth.code_flow
    pending = _open(vault, request.cookies.get(FLOW_COOKIE))
    next_path = safe_next(pending["next"]) if pending else f"{PREFIX}/"
    if (
        flow is None
        or pending is None
        or error is not None
        or not code
        or not state
        or not secrets.compare_digest(state.encode(), pending["state"].encode())
    ):
        return _failed(request, vault, next_path)
    try:
        id_token = flow.exchange(code, pending["redirect_uri"], pending["verifier"])
        issued = vault.auth.oidc_login(uow, id_token, nonce=pending["nonce"])
    except AuthenticationFailed:
        return _failed(request, vault, next_path)
    # A page that moves on by itself rather than a redirect: the browser arrived here from
    # the provider's site, and a SameSite=Strict session cookie set on a cross-site redirect
    # chain is not sent with the next request of that chain.
    response = render(request, "oidc_done.html", {"next": next_path})
    start_session(request, response, vault, issued.token)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    rotate_csrf(request)
    return response
