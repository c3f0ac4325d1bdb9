"""Certify a copy (chứng thực bản sao điện tử từ bản chính), for certifying officers: scans of
the original in, a preview of the copy the vault will build, then the copy signed with the
officer's remote credential (PIN) and the office's seal, numbered …/ĐT and stored. All of it
is `VaultSigning.copies` (`signing.issuing.certification.CertificationService`), as for the API.

The identification number is typed once: after the first look-up the form carries the
owner's opaque id (hidden) and shows the number masked. Certifying answers with a redirect
(Post/Redirect/Get) to the result page, and each form carries a random key that makes a
repeat of the same form (a reload, a double click) return the first copy, not a second
number (`idempotency_key`, as the API's Idempotency-Key header).

The scans chosen for a preview are kept server-side (`signing.issuing.staging`: encrypted, expiring,
for this officer and owner only) and the form carries their opaque id, so signing does not
ask for the files again; files chosen anew replace them."""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from api.console import rendering
from api.console.owners import paper_type_names
from api.console.web import (
    PREFIX,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    fmt_date,
    lang_of,
    mask_identifier,
    redirect,
    render,
    status_of,
)
from api.deps import UowDep, VaultDep
from signing.issuing.certification_model import CopyRequest
from signing.issuing.pades import SigningNotConfigured, SigningUnavailable
from signing.issuing.staging import ScanStaging, StagedScans, StageExpired
from signing.issuing.wiring import VaultSigning
from vault.auth import Actor, Role
from vault.domain import Owner
from vault.errors import InvalidInput, NotFound, VaultError
from vault.runtime import Vault
from vault.services import UnitOfWork, lookups
from vault.services.dossiers import VIETNAM

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def default_book(year: int) -> str:
    # Sổ chứng thực bản sao điện tử of the year (the office may keep others: the field is open).
    return f"01/{year}-SCT/BS-ĐT"


def _signing(request: Request) -> VaultSigning | None:
    signing: VaultSigning | None = getattr(request.app.state, "vault_signing", None)
    return signing


_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")
MASK = "•"


def new_form_key() -> str:
    """One per rendering of an empty form: the idempotency key of that certification."""
    return secrets.token_urlsafe(24)


def _form(
    request: Request,
    uow: UnitOfWork,
    *,
    error: str | None = None,
    error_detail: str | None = None,
    fields: dict[str, str] | None = None,
    previews: list[str] | None = None,
    staged: StagedScans | None = None,
    status: int = 200,
) -> Response:
    signing = _signing(request)
    configured = signing is not None and signing.signer is not None
    year = datetime.now(UTC).astimezone(VIETNAM).year
    values = {
        "owner_identifier": "",
        "owner_id": "",
        "paper_type": "",
        "title": "",
        "book": default_book(year),
        "form_key": new_form_key(),
        "staged_id": "",
    }
    values.update(fields or {})
    if not values["form_key"]:  # a form that had none (or a bad one) gets a fresh key
        values["form_key"] = new_form_key()
    if not configured and error is None:
        error = "certify.not_configured"
    return render(
        request,
        "certify.html",
        {
            "paper_types": sorted(
                paper_type_names(uow, lang_of(request)).items(), key=lambda x: x[1]
            ),
            "values": values,
            "error": error,
            "error_detail": error_detail,
            "previews": previews or [],
            "configured": configured,
            "staged": staged,
            "staged_until": fmt_date(staged.expires_at) if staged else "",
        },
        status=status,
    )


@router.get("/certify")
def certify_page(request: Request, actor: ActorDep, uow: UowDep) -> Response:
    actor.require(Role.CERTIFYING_OFFICER)
    return _form(request, uow)


def _error_key(exc: VaultError) -> str:
    if isinstance(exc, SigningNotConfigured):
        return "certify.not_configured"
    if isinstance(exc, SigningUnavailable):
        return "certify.signing_unavailable"
    if isinstance(exc, InvalidInput) and exc.field == "pin":
        return "certify.wrong_pin"
    if isinstance(exc, NotFound):
        return "certify.owner_unknown"
    if isinstance(exc, InvalidInput) and exc.field == "identifier":
        return "certify.owner_malformed"
    if isinstance(exc, InvalidInput) and exc.field == "form_key":
        return "certify.form_expired"
    if isinstance(exc, StageExpired):
        return "certify.staged_expired"
    if isinstance(exc, InvalidInput) and exc.field == "staged_scans":
        return "certify.staged_other_owner"
    return "certify.refused"


def _owner(
    vault: Vault, uow: UnitOfWork, actor: Actor, owner_identifier: str, owner_id: str
) -> Owner:
    """The owner looked up before (the hidden opaque id, the field still showing the masked
    number), or the one whose number was just typed (an exact look-up, audited)."""
    typed = owner_identifier.strip()
    if owner_id and (not typed or MASK in typed):
        try:
            known = uuid.UUID(owner_id)
        except ValueError as exc:
            raise InvalidInput("owner_id", "not an owner id") from exc
        owner = vault.owners.get(uow, actor, known)
        if typed and typed != mask_identifier(owner.identifier):
            raise InvalidInput("identifier", "type the identification number again")
        return owner
    return vault.owners.lookup(uow, actor, typed)


def _idempotency_key(form_key: str) -> str:
    if not _FORM_KEY.fullmatch(form_key):
        # A form from before this key existed, or not from this page: a fresh one is shown.
        raise InvalidInput("form_key", "the form has expired; fill it in again")
    return f"console-certify:{form_key}"


def _request(uow: UnitOfWork, fields: dict[str, str], scans: list[bytes], pin: str) -> CopyRequest:
    paper = lookups.paper_type(uow, fields["paper_type"])
    title = fields["title"].strip() or (paper.name_vi if paper else fields["paper_type"])
    return CopyRequest(
        paper_type=fields["paper_type"],
        title=title,
        book=fields["book"],
        pages=scans,
        pin=pin,
    )


@dataclass(frozen=True)
class CertifyForm:
    """What the certify form posts (to preview and to certify alike)."""

    scans: list[UploadFile]  # the files chosen (none: the scans kept from the preview)
    staged_id: str  # the scans kept from the preview, when none are chosen again
    owner_identifier: str
    owner_id: str
    form_key: str
    paper_type: str
    title: str
    book: str
    pin: str


def certify_form(
    # A browser sends an empty file input as a part with an empty name: a plain string.
    scans: Annotated[list[UploadFile | str] | None, File()] = None,
    staged_id: Annotated[str, Form(max_length=64)] = "",
    owner_identifier: Annotated[str, Form(max_length=64)] = "",
    owner_id: Annotated[str, Form(max_length=64)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
    paper_type: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=500)] = "",
    book: Annotated[str, Form(max_length=64)] = "",
    pin: Annotated[str, Form(max_length=64)] = "",
) -> CertifyForm:
    return CertifyForm(
        [s for s in scans or [] if not isinstance(s, str) and s.filename],
        staged_id,
        owner_identifier,
        owner_id,
        form_key,
        paper_type,
        title,
        book,
        pin,
    )


CertifyFormDep = Annotated[CertifyForm, Depends(certify_form)]


def _staged_uuid(staged_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(staged_id) if staged_id else None
    except ValueError:
        return None  # not one we gave out: as if none was kept


def _run(
    request: Request,
    actor: Actor,
    vault: Vault,
    uow: UnitOfWork,
    form: CertifyForm,
    *,
    preview_only: bool,
) -> Response:
    actor.require(Role.CERTIFYING_OFFICER)
    fields = {
        "paper_type": form.paper_type,
        "title": form.title,
        "book": form.book,
        # kept while the form is the same one (a preview, a wrong PIN), fresh if it was bad
        "form_key": form.form_key if _FORM_KEY.fullmatch(form.form_key) else "",
    }
    owner: Owner | None = None
    signing = _signing(request)
    staging = ScanStaging(vault.keyring)
    kept_id = _staged_uuid(form.staged_id)
    staged: StagedScans | None = None
    try:
        if signing is None:
            raise SigningNotConfigured("no signing service is configured")
        owner = _owner(vault, uow, actor, form.owner_identifier, form.owner_id)
        data = [s.file.read() for s in form.scans]
        if not data and kept_id is not None:
            # The scans chosen for the preview: only this officer's, for this owner, unexpired.
            staged = staging.load(uow, actor, kept_id, owner.id)
            data = staged.files
        # A preview signs nothing: no PIN goes anywhere.
        copy_request = _request(uow, fields, data, "" if preview_only else form.pin)
        if preview_only:
            pdf = signing.copies.preview(uow, actor, owner.id, copy_request)
            if staged is None and data:  # newly chosen scans replace any kept before
                if kept_id is not None:
                    staging.discard(uow, actor, kept_id)
                staged = staging.stage(uow, actor, owner.id, data)
            pages = [
                "data:image/png;base64," + base64.b64encode(png).decode()
                for png in rendering.pdf_pages_as_png(pdf, width=900)
            ]
            return _form(
                request,
                uow,
                fields=_shown(fields, owner, staged),
                previews=pages,
                staged=staged,
            )
        copy = signing.copies.certify(
            uow, actor, owner.id, copy_request, idempotency_key=_idempotency_key(form.form_key)
        )
        if kept_id is not None:  # used (or replaced by the scans sent now): not kept longer
            staging.discard(uow, actor, kept_id)
    except VaultError as exc:
        # Gives the book's number back (nothing half-made stays); the attempt stays audited.
        uow.rollback()
        replay = _already_certified(uow, actor, form) if isinstance(exc, StageExpired) else None
        if replay is not None:
            return replay
        kept = staged if staged is not None and not isinstance(exc, StageExpired) else None
        return _form(
            request,
            uow,
            error=_error_key(exc),
            error_detail=exc.detail,
            fields=_shown(fields, owner, kept),
            staged=kept,
            status=status_of(exc),
        )
    # Post/Redirect/Get: a reload of the result is a GET, never a second certification.
    return redirect(
        f"{PREFIX}/certified/{copy.document.id}",
        flash="flash.certify_replayed" if copy.replayed else None,
    )


def _already_certified(uow: UnitOfWork, actor: Actor, form: CertifyForm) -> Response | None:
    """A form sent twice (a double click) whose kept scans the first sending used up: the
    first sending's copy, as any replay of the form's key."""
    if not _FORM_KEY.fullmatch(form.form_key):
        return None
    seen = lookups.idempotent_request(uow, actor.account_id, _idempotency_key(form.form_key))
    if seen is None:
        return None
    return redirect(f"{PREFIX}/certified/{seen[1]}", flash="flash.certify_replayed")


def _shown(
    fields: dict[str, str], owner: Owner | None, staged: StagedScans | None = None
) -> dict[str, str]:
    """What the form shows again: never the full identification number, only its masked
    form and the owner's opaque id (empty when no owner was found: typed again); and the
    id of the scans kept from the preview, if any."""
    return {
        **fields,
        "owner_identifier": mask_identifier(owner.identifier) if owner else "",
        "owner_id": str(owner.id) if owner else "",
        "staged_id": str(staged.id) if staged else "",
    }


@router.get("/certified/{document_id}")
def certified(
    request: Request, document_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    """The result of a certification: its number and links. Through `vault.documents.get`,
    so the access rules and the audit log are the document page's."""
    document = vault.documents.get(uow, actor, document_id)
    signing = _signing(request)
    copy = signing.copies.copy_of(uow, document) if signing is not None else None
    if copy is None:
        raise NotFound("this paper is not a certified copy")
    owner = lookups.owner(uow, document.owner_id)  # open to this reader: the paper is
    return render(
        request,
        "certified.html",
        {"copy": copy, "record": copy.record, "document": document, "owner": owner},
    )


@router.post("/certify/preview")
def certify_preview(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    form: CertifyFormDep,
) -> Response:
    return _run(request, actor, vault, uow, form, preview_only=True)


@router.post("/certify")
def certify(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    form: CertifyFormDep,
) -> Response:
    return _run(request, actor, vault, uow, form, preview_only=False)
