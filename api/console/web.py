"""What every console page shares: the session cookie, CSRF tokens, the language, rendering,
security headers, and turning domain errors into HTML pages (not problem documents).

The session cookie names the signed-in account and when the session started and was last
used, sealed with an HMAC under a key derived from the master key. Each request checks the
idle timeout (`console_idle_seconds`), then has the auth service issue an access token for
the account and resolves the Actor from it in the request's own unit of work, exactly as
`api.deps.get_actor` does for a bearer token (a disabled account or a changed agency ends
the session at once).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import posixpath
import re
import secrets
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NamedTuple
from urllib.parse import quote, unquote

import jinja2
from fastapi import Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.console.i18n import LANGUAGES, MESSAGES, translate
from api.deps import UowDep, VaultDep
from api.problems import ERROR_TABLE
from vault.access import READING_ROLES
from vault.auth import Actor, ActorKind, Role
from vault.errors import (
    AuthenticationFailed,
    Conflict,
    ContentTooLarge,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    SignatureCheckUnavailable,
    UnreadableContent,
    UnsupportedMediaType,
    VaultError,
)
from vault.runtime import Vault
from vault.services import UnitOfWork
from vault.services.dossiers import VIETNAM
from vault.settings import Environment

log = logging.getLogger("api.console")

PREFIX = "/console"
SESSION_COOKIE = "console_session"
SESSION_MAX_SECONDS = 12 * 3600  # a working day, whatever the activity
WARNING_SECONDS = 120  # the warning shows this long before an idle session ends
CSRF_COOKIE = "console_csrf"
LANG_COOKIE = "console_lang"
FLASH_COOKIE = "console_flash"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_HERE = Path(__file__).resolve().parent
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=jinja2.select_autoescape(["html", "svg"], default=True),
    undefined=jinja2.StrictUndefined,  # a typo in a template is an error, not a blank
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC_DIR = _HERE / "static"


class NotSignedIn(Exception):
    """No session, or it is no longer good: back to the sign-in page (saying the session
    expired when it ran out of time)."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("not signed in")
        self.expired = expired


class CsrfFailed(Exception):
    """A POST without the form token bound to this browser's session."""


# -- language ---------------------------------------------------------------------------------


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "vi")
    return lang if lang in LANGUAGES else "vi"


def t_for(request: Request) -> Callable[..., str]:
    lang = lang_of(request)

    def t(key: str, **values: Any) -> str:
        return translate(key, lang, **values)

    return t


def fmt_date(value: date | datetime | None) -> str:
    """Vietnamese practice, dd/mm/yyyy, in both languages (the papers print dates so)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def fmt_number(value: float | int | None, digits: int = 1, lang: str = "vi") -> str:
    """57,5 in Vietnamese (a decimal comma, a dot between thousands), 57.5 in English."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"
    if digits and isinstance(value, float):
        text = text.rstrip("0").rstrip(".") if "." in text else text
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def fmt_month(month: str, lang: str) -> str:
    """2026-12 as `tháng 12/2026` (Vietnamese) or `12/2026`."""
    year, _, mon = month.partition("-")
    return f"tháng {int(mon)}/{year}" if lang == "vi" else f"{int(mon):02d}/{year}"


# The domain's refusals in words, by kind (and field): its `detail` is English, for the API's
# clients, and never reaches a Vietnamese page.
_ERROR_KEYS: list[tuple[type[VaultError], str]] = [
    (UnsupportedMediaType, "problem.media_type"),
    (UnreadableContent, "problem.unreadable"),
    (ContentTooLarge, "problem.too_large"),
    (NotFound, "problem.not_found"),
    (RateLimited, "problem.rate_limited"),
    (SignatureCheckUnavailable, "problem.unavailable"),
    (PermissionDenied, "problem.denied"),
]
_CONFLICT_KEYS = {
    "the dossier is closed": "problem.dossier_closed",
    "a different dossier already has this code": "problem.code_taken",
    "this paper cannot be used for this dossier": "problem.not_usable",
    "this version is superseded: attach the current one": "problem.superseded",
}
FIELD_KEYS = {
    "issued_on": "field.issue_date",
    "issue_date": "field.issue_date",
    "valid_until": "field.valid_until",
    "reference_number": "field.reference",
    "procedure_code": "field.procedure",
    "dossier_code": "field.dossier_code",
    "code": "field.dossier_code",
    "received_at": "field.dossier_code",
    "paper_type": "field.paper_type",
    "file": "field.file",
    "document_id": "field.document",
    "dossier_id": "field.dossier",
    "owner_id": "field.owner",
    "title": "field.title",
    "month": "field.month",
    "identifier": "field.identifier",
}


def error_words(request: Request, exc: BaseException) -> str:
    """One sentence a person at the desk can act on, in the page's language. English pages
    add the domain's own detail (it is English); Vietnamese pages never show it."""
    t = t_for(request)
    key = "problem.generic"
    if isinstance(exc, InvalidInput):
        if exc.detail == "the issue date is in the future":
            key = "problem.issue_date_future"
        elif exc.field in ("dossier_code", "code", "received_at"):
            key = "problem.dossier_code"
        else:
            label = t(FIELD_KEYS.get(exc.field, "field.other"))
            key = "problem.field"
            return _with_detail(request, t(key, field=label), exc)
    elif isinstance(exc, Conflict):
        key = _CONFLICT_KEYS.get(exc.detail, "problem.conflict")
        if "closed" in exc.detail:
            key = "problem.dossier_closed"
    else:
        key = next((k for cls, k in _ERROR_KEYS if isinstance(exc, cls)), key)
    return _with_detail(request, t(key), exc)


def _with_detail(request: Request, text: str, exc: BaseException) -> str:
    if lang_of(request) == "en" and isinstance(exc, VaultError) and exc.detail:
        return f"{text} ({exc.detail})"
    return text


def mask_identifier(identifier: str) -> str:
    """Only the last 4 characters show: enough to confirm with the person at the desk."""
    return "•" * max(0, len(identifier) - 4) + identifier[-4:]


# -- cookies, CSRF ----------------------------------------------------------------------------


def secure_cookies(request: Request, vault: Vault) -> bool:
    return vault.settings.env is Environment.PRODUCTION or request.url.scheme == "https"


def derived_key(vault: Vault, purpose: bytes) -> bytes:
    """A key of its own per purpose, derived from the active master key: what the console
    signs or seals survives a restart and holds on every process serving the same vault."""
    master = vault.settings.master_key_bytes()[vault.settings.active_master_key_id]
    return hmac.new(master, purpose, hashlib.sha256).digest()


def _csrf_nonce(request: Request) -> str:
    """A random value in an HttpOnly, SameSite=Strict cookie; new ones are set on the
    response. Rotated at sign-in and sign-out (no fixation across sessions)."""
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        nonce = request.cookies.get(CSRF_COOKIE) or ""
        if len(nonce) < 32:
            nonce = secrets.token_urlsafe(32)
            request.state.new_csrf_nonce = nonce
        request.state.csrf_nonce = nonce
    return nonce


def rotate_csrf(request: Request) -> None:
    nonce = secrets.token_urlsafe(32)
    request.state.csrf_nonce = nonce
    request.state.new_csrf_nonce = nonce


def csrf_token(request: Request, vault: Vault) -> str:
    # The nonce is replaced at sign-in and sign-out, so a token from before is no good after.
    message = f"console-form|{_csrf_nonce(request)}".encode()
    return hmac.new(
        derived_key(vault, b"vault console csrf v1"), message, hashlib.sha256
    ).hexdigest()


def check_csrf(
    request: Request,
    vault: VaultDep,
    csrf_token_field: Annotated[str | None, Form(alias="csrf_token", max_length=128)] = None,
) -> None:
    """Every POST: the form's token must be the one made for this browser and person."""
    if not request.cookies.get(CSRF_COOKIE) or not csrf_token_field:
        raise CsrfFailed()
    if not hmac.compare_digest(csrf_token_field, csrf_token(request, vault)):
        raise CsrfFailed()


CsrfDep = Annotated[None, Depends(check_csrf)]


# -- who is signed in -------------------------------------------------------------------------


def menu(actor: Actor) -> dict[str, bool]:
    """What the navigation offers this person: only what their roles can use."""
    return {
        "owners": actor.has(*READING_ROLES, Role.ADMINISTRATOR),
        "certify": actor.has(Role.CERTIFYING_OFFICER),
        "imports": actor.has(Role.RECEIVING_OFFICER),
        "verify": actor.is_officer,
        "search": actor.has(*READING_ROLES),
        "indicators": actor.is_officer and actor.agency_code is not None,
        "access_log": actor.kind is ActorKind.OWNER,
        "sync": actor.has(Role.ADMINISTRATOR, Role.AUDITOR),
        "exports": actor.kind is ActorKind.OWNER,
        "retention": actor.has(Role.RECORDS_OFFICER, Role.ADMINISTRATOR, Role.AUDITOR),
    }


def require_officer(actor: Actor, *roles: Role) -> None:
    """An officer page: a citizen (or an officer without the role) gets the denied page."""
    if not actor.is_officer or (roles and not actor.has(*roles)):
        raise PermissionDenied("this page is for officers")


def _whoami(vault: Vault, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    return {
        "name": actor.name,
        "agency_code": actor.agency_code,
        "agency_name": (
            vault.catalogue.agency_name(uow, actor.agency_code) if actor.agency_code else None
        ),
        "roles": sorted(r.value for r in actor.roles),
        "owner": actor.kind is ActorKind.OWNER,
        "menu": menu(actor),
    }


def _session_mac(vault: Vault, body: str) -> str:
    key = derived_key(vault, b"vault console session v1")
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


class ConsoleSession(NamedTuple):
    """What the session cookie seals: a random id (what signing out ends), the account, and
    when the session began and was last used (seconds)."""

    id: str
    account_id: uuid.UUID
    started: int
    seen: int


def new_session(account_id: uuid.UUID, now: int) -> ConsoleSession:
    return ConsoleSession(secrets.token_urlsafe(16), account_id, now, now)


def seal_session(vault: Vault, session: ConsoleSession) -> str:
    """The cookie's value."""
    body = f"{session.id}.{session.account_id}.{session.started}.{session.seen}"
    return f"{body}.{_session_mac(vault, body)}"


def open_session(vault: Vault, value: str) -> ConsoleSession:
    body, _, mac = value.rpartition(".")
    if not body or not hmac.compare_digest(mac, _session_mac(vault, body)):
        raise NotSignedIn()
    try:
        session_id, account, started, seen = body.split(".")
        return ConsoleSession(session_id, uuid.UUID(account), int(started), int(seen))
    except ValueError as exc:
        raise NotSignedIn() from exc


def idle_seconds(vault: Vault) -> int:
    return vault.settings.console_idle_seconds


def console_actor(request: Request, vault: VaultDep, uow: UowDep) -> Actor:
    """The signed-in person, checked against their account in this request's transaction
    (as `api.deps.get_actor`, through a token the auth service issues for the account).
    Every request moves the session's last use on: it ends after `console_idle_seconds`
    without one, or `SESSION_MAX_SECONDS` after sign-in."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        raise NotSignedIn()
    session = open_session(vault, value)
    now = int(time.time())
    if now - session.seen > idle_seconds(vault) or now - session.started > SESSION_MAX_SECONDS:
        raise NotSignedIn(expired=True)
    if vault.auth.console_session_ended(uow, session.id):
        raise NotSignedIn()  # signed out: a copied cookie opens nothing
    try:
        found = vault.auth.session_actor(uow, session.account_id)
    except AuthenticationFailed as exc:
        raise NotSignedIn() from exc
    if found is None:
        raise NotSignedIn()
    actor = found
    vault.rate_limiter.check(actor.client_id or str(actor.account_id))
    request.state.console_actor = actor
    request.state.whoami = _whoami(vault, uow, actor)
    request.state.new_session = seal_session(vault, session._replace(seen=now))
    return actor


ActorDep = Annotated[Actor, Depends(console_actor)]


def signed_in(request: Request) -> Actor | None:
    actor: Actor | None = getattr(request.state, "console_actor", None)
    return actor


# -- rendering --------------------------------------------------------------------------------


def _unsafe_char(value: str) -> bool:
    return "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


def safe_next(value: str | None) -> str:
    """Only a path of this console: no other site, no scheme-relative `//host`, no way out
    with `..` (percent-encoded or not: browsers resolve `%2e%2e` too), and no query string
    or fragment (a query may hold what was typed, such as an identification number)."""
    home = PREFIX + "/"
    if not value or not value.startswith("/") or value.startswith("//") or _unsafe_char(value):
        return home
    path = value.split("#", 1)[0].split("?", 1)[0]
    decoded = unquote(path)
    if decoded.startswith("//") or _unsafe_char(decoded):
        return home
    normal = posixpath.normpath(decoded)
    if normal == PREFIX:
        return home
    if not normal.startswith(PREFIX + "/"):
        return home
    if decoded.endswith("/"):  # /console/x/ and /console/x are not the same route
        normal += "/"
    return quote(normal, safe="/-._~")


def current_path(request: Request) -> str:
    """Where the browser is, for a link back to it: the path only. A query string may hold
    personal data (what was typed into a GET form), and links carrying it end up in the
    history, in logs and in the sign-in redirect."""
    return request.url.path


# A dossier page's forms post to <the page>/attach, /upload, /close: after an expired
# session, back to the page itself (what was chosen in the form is gone, the page is not).
_DOSSIER_FORM = re.compile(rf"({PREFIX}/dossiers/[0-9a-f-]{{36}})/(attach|upload|close)")


def _page_of_form(request: Request) -> str:
    m = _DOSSIER_FORM.fullmatch(request.url.path)
    return m[1] if m else PREFIX + "/"


def flash_of(request: Request) -> str | None:
    """The flash message's key, only when it is one of ours (the cookie is the browser's to
    change: anything else is ignored, never looked up)."""
    key = request.cookies.get(FLASH_COOKIE)
    if key and key.startswith("flash.") and key in MESSAGES:
        return key
    return None


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    vault: Vault = request.app.state.vault
    lang = lang_of(request)
    here = current_path(request)
    flash_key = flash_of(request)
    ctx: dict[str, Any] = {
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "t": t_for(request),
        "fmt_date": fmt_date,
        "actor": signed_in(request),
        "whoami": getattr(request.state, "whoami", None),
        "csrf_token": csrf_token(request, vault),
        "lang_toggle_href": f"{PREFIX}/lang?to={'en' if lang == 'vi' else 'vi'}&next="
        + quote(safe_next(here), safe=""),
        "flash": flash_key,
        "path": request.url.path,
        "idle_seconds": idle_seconds(vault),
        "warning_seconds": min(WARNING_SECONDS, idle_seconds(vault) // 4),
        "fmt_number": fmt_number,
        "error_words": lambda exc: error_words(request, exc),
    }
    ctx.update(context or {})
    body = TEMPLATES.get_template(template).render(ctx)
    response = HTMLResponse(body, status_code=status)
    if ctx["flash"] or request.cookies.get(FLASH_COOKIE):
        request.state.clear_flash = True  # shown once; a cookie that was not ours, never
    return response


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE, flash, max_age=60, httponly=True, samesite="strict", path=PREFIX
        )
    return response


def status_of(exc: VaultError) -> int:
    return next((status for cls, status, _, _ in ERROR_TABLE if isinstance(exc, cls)), 500)


def error_page(request: Request, exc: BaseException) -> Response:
    """Domain errors as pages a person can read; the status code is the API's for the same
    error, so the two never disagree."""
    t = t_for(request)
    if isinstance(exc, NotSignedIn):
        # After signing in, back to the page (a form's POST target is no page to go back to);
        # the path only, never the query string.
        back = current_path(request) if request.method == "GET" else _page_of_form(request)
        target = f"{PREFIX}/login?next=" + quote(safe_next(back), safe="")
        if exc.expired:
            target += "&expired=1"
        response: Response = RedirectResponse(target, status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            request.state.clear_session = True
        return response
    if isinstance(exc, CsrfFailed):
        return render(request, "error.html", {"kind": "csrf"}, status=403)
    if isinstance(exc, PermissionDenied):
        return render(request, "error.html", {"kind": "denied", "detail": exc.detail}, status=403)
    if isinstance(exc, VaultError):
        status = status_of(exc)
        if status >= 500:
            log.error("console: %s on %s %s", type(exc).__name__, request.method, request.url.path)
        response = render(
            request,
            "error.html",
            {"kind": "error", "status": status, "message": error_words(request, exc)},
            status=status,
        )
        if isinstance(exc, RateLimited | SignatureCheckUnavailable):
            # As the API says it (api.problems): when to try again.
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, RequestValidationError):
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        labels = ", ".join(t(FIELD_KEYS.get(f, "field.other")) for f in fields)
        return render(
            request,
            "error.html",
            {"kind": "error", "status": 422, "message": t("error.invalid_fields", fields=labels)},
            status=422,
        )
    if isinstance(exc, StarletteHTTPException):
        return render(
            request,
            "error.html",
            {"kind": "error", "status": exc.status_code, "message": None},
            status=exc.status_code,
        )
    log.exception("console: unexpected error on %s %s", request.method, request.url.path)
    return render(
        request,
        "error.html",
        {"kind": "error", "status": 500, "message": t("error.unexpected")},
        status=500,
    )


def finish(request: Request, response: Response) -> Response:
    """Headers and cookies every console response carries."""
    vault: Vault = request.app.state.vault
    secure = secure_cookies(request, vault)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # Everything here is about people and their papers: no shared or browser cache.
    response.headers.setdefault("Cache-Control", "no-store")
    nonce = getattr(request.state, "new_csrf_nonce", None)
    if nonce:
        response.set_cookie(
            CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=secure, path=PREFIX
        )
    if getattr(request.state, "clear_session", False):
        response.delete_cookie(
            SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=secure
        )
    else:
        token = getattr(request.state, "new_session", None)
        if token:
            set_session(response, token, secure)
    if getattr(request.state, "clear_flash", False):
        response.delete_cookie(FLASH_COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


def set_session(response: Response, value: str, secure: bool) -> None:
    # A session cookie (no Max-Age): it goes when the browser closes; the idle timeout and
    # the session's maximum age are checked on the server, from the sealed times.
    response.set_cookie(
        SESSION_COOKIE, value, httponly=True, samesite="strict", secure=secure, path=PREFIX
    )


def start_session(request: Request, response: Response, vault: Vault, token: str) -> None:
    """After a sign-in: the session of the account the auth service just issued `token` for."""
    account_id = uuid.UUID(str(vault.auth.tokens.verify(token)["sub"]))
    now = int(time.time())
    session = new_session(account_id, now)
    set_session(response, seal_session(vault, session), secure_cookies(request, vault))


class ConsoleRoute(APIRoute):
    """Wraps each console endpoint: errors become pages (after the unit of work has rolled
    back and audited them), and every response gets the headers and cookies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except Exception as exc:  # every failure is a page, never a trace
                # Known errors become their page; anything else is logged with its trace
                # (error_page) and shown as a plain 500 page with the console's headers.
                try:
                    response = error_page(request, exc)
                except Exception:  # the error page itself failed
                    log.exception(
                        "console: the error page failed on %s %s", request.method, request.url.path
                    )
                    response = last_resort_page()
            return finish(request, response)

        return handler


def last_resort_page() -> HTMLResponse:
    """When even the error page cannot be drawn: a fixed page, in both languages."""
    body = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        "<title>Lỗi · Error</title></head><body><main>"
        '<p id="error-message" role="alert" data-status="500">'
        "Lỗi không mong đợi. / Unexpected error.</p>"
        f'<p><a href="{PREFIX}/">{PREFIX}/</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=500)


class StaticHeaders:
    """The security headers on the static files too (they are console responses)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for name, value in SECURITY_HEADERS.items():
                    headers.append((name.lower().encode(), value.encode()))
                headers.append((b"cache-control", b"public, max-age=3600"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
