"""Sign in and out, the language toggle, the start page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from api.console.web import (
    LANG_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    SESSION_MAX_SECONDS,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    NotSignedIn,
    open_session,
    redirect,
    render,
    rotate_csrf,
    safe_next,
    secure_cookies,
    start_session,
)
from api.deps import UowDep, VaultDep, limit_by_address
from vault.auth import ActorKind
from vault.errors import AuthenticationFailed

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


@router.get("/login")
def login_page(
    request: Request, vault: VaultDep, next: str | None = None, expired: str | None = None
) -> Response:
    """`expired=1`: the session ran out (the server said so, or the page's own timer)."""
    oidc = vault.auth.code_flow is not None
    return render(
        request,
        "login.html",
        {"next": safe_next(next), "error": None, "oidc": oidc, "expired": expired == "1"},
    )


@router.post("/login", dependencies=[Depends(limit_by_address)])
def login(
    request: Request,
    _csrf: CsrfDep,
    vault: VaultDep,
    uow: UowDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """The API's sign-in (`vault.auth.login`); the token goes into an HttpOnly cookie."""
    try:
        issued = vault.auth.login(uow, username, password)
    except AuthenticationFailed:
        return render(
            request,
            "login.html",
            {
                "next": safe_next(next),
                "error": "login.wrong",
                "username": username,
                "oidc": vault.auth.code_flow is not None,
                "expired": False,
            },
            status=401,
        )
    response = redirect(safe_next(next))
    start_session(request, response, vault, issued.token)
    rotate_csrf(request)  # a fresh form token for the new session
    return response


@router.post("/logout")
def logout(request: Request, _csrf: CsrfDep, vault: VaultDep) -> Response:
    value = request.cookies.get(SESSION_COOKIE)
    if value:
        try:
            session = open_session(vault, value)
        except NotSignedIn:
            pass  # nothing this vault sealed: nothing to end
        else:  # ended for every process, even if the cookie was copied
            until = datetime.fromtimestamp(session.started + SESSION_MAX_SECONDS + 60, UTC)
            vault.auth.end_console_session(session.id, session.account_id, until)
    response = redirect(f"{PREFIX}/login", flash="flash.signed_out")
    response.delete_cookie(
        SESSION_COOKIE,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, vault),
    )
    rotate_csrf(request)
    return response


@router.get("/lang")
def switch_language(
    request: Request, vault: VaultDep, to: str = "vi", next: str | None = None
) -> Response:
    # A display preference only (no state of the vault changes): a plain link is fine.
    response = redirect(safe_next(next))
    response.set_cookie(
        LANG_COOKIE,
        "en" if to == "en" else "vi",
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, vault),
        path=PREFIX,
    )
    return response


@router.post("/session/extend")
def extend_session(_csrf: CsrfDep, actor: ActorDep) -> Response:
    """The warning's "keep working" button: any signed-in request moves the session's last
    use on (`console_actor`); this one does nothing else."""
    return Response(status_code=204)


@router.get("/")
def home(request: Request, actor: ActorDep) -> Response:
    if actor.kind is ActorKind.OWNER:
        return redirect(f"{PREFIX}/access-log")
    return render(request, "home.html")


@router.get("")
def home_without_slash() -> Response:
    return redirect(f"{PREFIX}/")
