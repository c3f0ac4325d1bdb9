"""Verifying a file without an account (kiểm tra tệp không cần tài khoản): HTML pages.

- `GET/POST /public/verify`: anyone drops a PDF and reads the report in plain words, and
  whether the file is a certified copy or signed result the vault issued, byte for byte.
- The QR page of a certified copy (`/public/certified-copies/{code}`, routes in
  `api.routers.signing`) offers the same check against the copy it describes.

Vietnamese by default, English with `?lang=en` (a link, not a cookie: these pages set no
cookie at all). The report is worded by `api.verification_wording` and drawn by the same
partial as the console's verify page.

Why the forms carry no CSRF token: a cross-site request forgery abuses what the victim's
browser holds (a session, a right); these pages hold nothing. No session or cookie is read
or set, nothing the visitor owns changes, and the only write is the audit entry against the
matched paper, which the attacker could cause just as well from their own machine. The
response is the victim's to read (the same-origin policy keeps it from the forging site),
and `frame-ancestors 'none'` stops the page being framed to trick a drop.

The uploaded file is read into memory, checked and dropped: never stored, never logged
(only its size limit and type are judged before the verifier sees it). Every POST is
counted against the caller's address by its own limiter (`public_verify_limiter` on the
app's state; the verifier is the costly part), on top of the verifier pool's own bound.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from api.console.i18n import translate
from api.console.web import SECURITY_HEADERS, TEMPLATES
from api.deps import UowDep
from api.routers.verifications import get_verifier
from api.verification_wording import (
    Lang,
    describe,
    describe_match,
    fmt_time,
    revision_ends,
    word,
)
from signing.issuing.on_record import file_check
from signing.issuing.package_check import check_seal
from signing.issuing.proof_bundle import is_bundle, open_bundle
from signing.issuing.public_view import PublicView
from signing.verify import VerifierBusy, VerifierClosed
from signing.verify.sniff import sniff_pdf
from vault.errors import RateLimited
from vault.ratelimit import RateLimiter
from vault.services import lookups

if TYPE_CHECKING:
    from vault.services import UnitOfWork

router = APIRouter(tags=["public verification"], include_in_schema=False)

# A verification costs a worker process up to seconds: far fewer than the API's requests.
PER_MINUTE = 20
BURST = 10

LangQuery = Annotated[
    Literal["vi", "en"], Query(description="Language of the page: vi (default) or en")
]
FileField = Annotated[UploadFile | None, File(description="The PDF to verify")]


def limiter(request: Request) -> RateLimiter:
    """The app's limiter of public file checks (made on first use)."""
    found = getattr(request.app.state, "public_verify_limiter", None)
    if isinstance(found, RateLimiter):
        return found
    made = RateLimiter(PER_MINUTE, burst=BURST)
    request.app.state.public_verify_limiter = made
    return made


def _t(lang: Lang) -> Callable[..., str]:
    def t(key: str, **values: Any) -> str:
        return translate(key, lang, **values)

    return t


def page(
    request: Request,
    template: str,
    lang: Lang,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A public page: the console's strict CSP and headers, no cookie, never cached."""
    other: Lang = "en" if lang == "vi" else "vi"
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    query["lang"] = other
    limit = get_verifier(request).max_document_bytes
    ctx: dict[str, Any] = {
        "lang": lang,
        "other_lang": other,
        "t": _t(lang),
        "lang_toggle_href": f"{request.url.path}?{urlencode(query)}",
        "form_action": request.url.path + ("?lang=en" if lang == "en" else ""),
        "form_csrf": None,
        "limit_mb": max(1, limit // (1024 * 1024)),
        "report": None,
        "match": None,
        "no_record": None,
        "bundle": None,
        "filename": "",
        "error": None,
        "status": status,
    }
    ctx.update(context)
    body = TEMPLATES.get_template(template).render(ctx)
    response = HTMLResponse(body, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = lang
    response.headers.update(headers or {})
    return response


class Refused(Exception):
    """The file was not checked: the page says why, with this status."""

    def __init__(self, status: int, error: str, headers: Mapping[str, str] | None = None):
        super().__init__(error)
        self.status, self.error, self.headers = status, error, dict(headers or {})


def check_file(
    request: Request, uow: UnitOfWork, file: UploadFile | None, lang: Lang, *, code: str | None
) -> dict[str, Any]:
    """Rate limit, size, type, verification, and the paper on record: the context the
    report partial needs. Raises Refused."""
    host = request.client.host if request.client else "?"
    try:
        limiter(request).check("public-verify:" + host)
    except RateLimited as exc:
        raise Refused(429, "public.rate_limited", {"Retry-After": str(exc.retry_after)}) from exc
    if file is None:
        raise Refused(422, "verify.no_file")
    verifier = get_verifier(request)
    limit = verifier.max_document_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise Refused(413, "verify.too_large")
    bundle = None
    if is_bundle(data):  # a proof bundle: its statement, then its PDF as any other
        bundle = bundle_context(data, verifier.trust.roots, lang)
        data = bundle.pop("pdf") or b""
    if not sniff_pdf(data):
        raise Refused(415, "verify.not_pdf")
    try:
        report = verifier.verify(data)
    except VerifierBusy as exc:
        raise Refused(503, "verify.busy", {"Retry-After": str(int(exc.retry_after))}) from exc
    except VerifierClosed as exc:
        raise Refused(503, "verify.busy") from exc
    match = None
    if code is not None or report.problem is None:
        match = file_check(uow, data, revision_ends(report), code=code)
    return {
        "report": describe(report, lang),
        "match": describe_match(match, lang) if match else None,
        "no_record": word("record.none", lang) if match is None and code is None else None,
        "filename": file.filename or "",
        "bundle": bundle,
    }


def bundle_context(data: bytes, roots: tuple[bytes, ...], lang: Lang) -> dict[str, Any]:
    """What the page shows of a proof bundle's record statement (offline: the seal against
    the verifier's roots, and the hashes)."""
    opened = open_bundle(data)
    problems = list(opened.problems)
    seal = None
    if opened.statement is not None:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            seal = check_seal(z.read("statement.json"), z.read("statement.json.p7s"), roots)
        problems += seal.problems
    return {
        "pdf": opened.pdf,
        "statement": opened.statement or {},
        "sealed_by": seal.signer if seal else None,
        "sealed_at": seal.timestamp if seal else None,
        "passed": not problems,
        "problems": problems,
    }


@router.get("/public/verify")
def verify_page(request: Request, lang: LangQuery = "vi") -> HTMLResponse:
    return page(request, "public_verify.html", lang, {})


@router.post("/public/verify")
def verify_file(
    request: Request, uow: UowDep, file: FileField = None, lang: LangQuery = "vi"
) -> HTMLResponse:
    try:
        context = check_file(request, uow, file, lang, code=None)
    except Refused as refused:
        return page(
            request,
            "public_verify.html",
            lang,
            {"error": refused.error},
            status=refused.status,
            headers=refused.headers,
        )
    return page(request, "public_verify.html", lang, context)


# -- the QR page ---------------------------------------------------------------------------


def copy_context(uow: UnitOfWork, view: PublicView, lang: Lang) -> dict[str, Any]:
    t = _t(lang)
    validity = (
        t("public.validity_until", day=f"{view.valid_until:%d/%m/%Y}")
        if view.valid_until
        else t("public.validity_none")
    )
    validity += f" ({t('public.valid_today') if view.valid_today else t('public.expired')})"
    paper_type = lookups.paper_type(uow, view.paper_type)  # PublicView names it in Vietnamese

    def signed_at(value: datetime | None) -> str:
        return fmt_time(value, lang)

    return {
        "view": view,
        "validity": validity,
        "signed_at": signed_at,
        "paper_type_name": paper_type.name_en
        if paper_type and lang == "en"
        else (view.paper_type_name),
    }


def copy_page(
    request: Request,
    uow: UnitOfWork,
    view: PublicView | None,
    lang: Lang,
    *,
    file: UploadFile | None = None,
    checking: bool = False,
) -> HTMLResponse:
    """The QR page; with `checking`, also the check of the posted file against this copy."""
    if view is None:
        return page(request, "public_certified_copy.html", lang, {"view": None}, status=404)
    context = copy_context(uow, view, lang)
    if not checking:
        return page(request, "public_certified_copy.html", lang, context)
    try:
        context.update(check_file(request, uow, file, lang, code=view.code))
    except Refused as refused:
        context["error"] = refused.error
        return page(
            request,
            "public_certified_copy.html",
            lang,
            context,
            status=refused.status,
            headers=refused.headers,
        )
    return page(request, "public_certified_copy.html", lang, context)


__all__ = ["FileField", "LangQuery", "copy_page", "limiter", "page", "router"]
