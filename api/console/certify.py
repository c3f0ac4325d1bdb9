"""Certify a copy (chứng thực bản sao điện tử từ bản chính), for certifying officers: scans of
the original in, a preview of the copy the vault will build, then the copy signed with the
officer's remote credential (PIN) and the office's seal, numbered …/ĐT and stored. All of it
is `VaultSigning.copies` (`signing.certification.CertificationService`), as for the API."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from api.console import rendering
from api.console.owners import paper_type_names
from api.console.web import (
    PREFIX,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    lang_of,
    render,
    status_of,
)
from api.deps import UowDep, VaultDep
from signing.certification import CopyRequest
from signing.pades import SigningNotConfigured, SigningUnavailable
from signing.wiring import VaultSigning
from vault.auth import Actor, Role
from vault.db import UnitOfWork
from vault.errors import InvalidInput, NotFound, VaultError
from vault.services.dossiers import VIETNAM

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def default_book(year: int) -> str:
    # Sổ chứng thực bản sao điện tử of the year (the office may keep others: the field is open).
    return f"01/{year}-SCT/BS-ĐT"


def _signing(request: Request) -> VaultSigning | None:
    signing: VaultSigning | None = getattr(request.app.state, "vault_signing", None)
    return signing


def _form(
    request: Request,
    uow: UnitOfWork,
    *,
    error: str | None = None,
    error_detail: str | None = None,
    fields: dict[str, str] | None = None,
    previews: list[str] | None = None,
    status: int = 200,
) -> Response:
    signing = _signing(request)
    configured = signing is not None and signing.signer is not None
    year = datetime.now(UTC).astimezone(VIETNAM).year
    values = {"owner_identifier": "", "paper_type": "", "title": "", "book": default_book(year)}
    values.update(fields or {})
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
    return "certify.refused"


def _request(uow: UnitOfWork, fields: dict[str, str], scans: list[bytes], pin: str) -> CopyRequest:
    paper = uow.paper_types.get(fields["paper_type"])
    title = fields["title"].strip() or (paper.name_vi if paper else fields["paper_type"])
    return CopyRequest(
        paper_type=fields["paper_type"],
        title=title,
        book=fields["book"],
        pages=scans,
        pin=pin,
    )


def _run(
    request: Request,
    actor: Actor,
    vault: Any,
    uow: UnitOfWork,
    *,
    preview_only: bool,
    owner_identifier: str,
    paper_type: str,
    title: str,
    book: str,
    scans: list[UploadFile],
    pin: str,
) -> Response:
    actor.require(Role.CERTIFYING_OFFICER)
    fields = {
        "owner_identifier": owner_identifier,
        "paper_type": paper_type,
        "title": title,
        "book": book,
    }
    signing = _signing(request)
    try:
        if signing is None:
            raise SigningNotConfigured("no signing service is configured")
        owner = vault.owners.lookup(uow, actor, owner_identifier)
        data = [s.file.read() for s in scans if s.filename]
        copy_request = _request(uow, fields, data, pin)
        if preview_only:
            pdf = signing.copies.preview(uow, actor, owner.id, copy_request)
            pages = [
                "data:image/png;base64," + base64.b64encode(png).decode()
                for png in rendering.pdf_pages_as_png(pdf, width=900)
            ]
            return _form(request, uow, fields=fields, previews=pages)
        copy = signing.copies.certify(uow, actor, owner.id, copy_request)
    except VaultError as exc:
        # Gives the book's number back (nothing half-made stays); the attempt stays audited.
        uow.rollback()
        return _form(
            request,
            uow,
            error=_error_key(exc),
            error_detail=exc.detail,
            fields=fields,
            status=status_of(exc),
        )
    return render(
        request,
        "certified.html",
        {"copy": copy, "record": copy.record, "document": copy.document, "owner": owner},
        status=201,
    )


ScansField = Annotated[list[UploadFile], File()]


@router.post("/certify/preview")
def certify_preview(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    scans: ScansField,
    owner_identifier: Annotated[str, Form(max_length=64)] = "",
    paper_type: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=500)] = "",
    book: Annotated[str, Form(max_length=64)] = "",
    pin: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _run(
        request,
        actor,
        vault,
        uow,
        preview_only=True,
        owner_identifier=owner_identifier,
        paper_type=paper_type,
        title=title,
        book=book,
        scans=scans,
        pin="",
    )


@router.post("/certify")
def certify(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    scans: ScansField,
    owner_identifier: Annotated[str, Form(max_length=64)] = "",
    paper_type: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=500)] = "",
    book: Annotated[str, Form(max_length=64)] = "",
    pin: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _run(
        request,
        actor,
        vault,
        uow,
        preview_only=False,
        owner_identifier=owner_identifier,
        paper_type=paper_type,
        title=title,
        book=book,
        scans=scans,
        pin=pin,
    )
