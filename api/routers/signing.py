"""Signing in the vault: sign a stored result, make or refuse an electronic certified copy,
and the public verification of certified copies (by the code in their QR code).

`router` goes under /api/v1 and needs a signed-in officer; `public_router` carries its
own paths (`/api/v1/public/...` JSON, `/public/...` HTML) and needs no sign-in. The HTML
pages (the QR page, which also checks a dropped file against its copy, and /public/verify)
are drawn by `api.routers.public_verify` from the console's templates.
The use cases come from `app.state.vault_signing` (a `signing.issuing.wiring.VaultSigning`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import (
    APIRouter,
    Depends,
    Header,
    Query,
    Request,
    Response,
    status,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, SecretStr

from api.deps import ActorDep, UowDep, limit_by_address, require_roles
from api.routers import public_verify
from api.schemas import DocumentOut
from api.uploads import ReceivedFile, form_model, multipart_body, read_multipart
from signing.issuing.certification_model import (
    LEGAL_BASIS,
    CertifiedCopy,
    CopyRequest,
    RefusalReason,
    RefusalRecord,
)
from signing.issuing.pades import PadesLevel, SigningNotConfigured
from signing.issuing.public_view import PublicView, SignaturesReport
from signing.issuing.wiring import VaultSigning
from vault.auth import Role
from vault.errors import NotFound
from vault.services import lookups

if TYPE_CHECKING:
    from vault.services import UnitOfWork

router = APIRouter(tags=["signing"])
public_router = APIRouter(tags=["public verification"])


def get_signing(request: Request) -> VaultSigning:
    signing: VaultSigning | None = getattr(request.app.state, "vault_signing", None)
    if signing is None:
        raise SigningNotConfigured("signing is not set up in this vault")
    return signing


SigningDep = Annotated[VaultSigning, Depends(get_signing)]
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The code in the URL is the key to the page: never leak it to another site.
    "Referrer-Policy": "no-referrer",
}


# -- signing a stored result --------------------------------------------------------------------


class SignRequest(BaseModel):
    pin: SecretStr = Field(min_length=1, max_length=64, description="PIN of your credential")
    otp: SecretStr | None = Field(default=None, max_length=16)
    level: PadesLevel = Field(
        default=PadesLevel.B_T,
        description="B-T: with a trusted timestamp; B-LT: also the revocation data, for "
        "verification offline years later",
    )


@router.post(
    "/documents/{document_id}/sign",
    status_code=status.HTTP_201_CREATED,
    summary="Sign a stored result (PAdES) with your credential; stored as a new version",
    description="For issuing officers of the agency that issued the result. The signed "
    "file becomes a new version (origin `issued_result`); the unsigned draft stays on record.",
    dependencies=[require_roles(Role.ISSUING_OFFICER)],
)
def sign_document(
    document_id: uuid.UUID,
    body: SignRequest,
    response: Response,
    signing: SigningDep,
    uow: UowDep,
    actor: ActorDep,
) -> DocumentOut:
    document = signing.results.sign(
        uow,
        actor,
        document_id,
        pin=body.pin.get_secret_value(),
        otp=body.otp.get_secret_value() if body.otp else None,
        level=body.level,
    )
    response.headers["Location"] = f"/api/v1/documents/{document.id}"
    return DocumentOut.of(document)


# -- certified copies ---------------------------------------------------------------------------


class CertificationOut(BaseModel):
    number: int
    number_text: str = Field(examples=["15/ĐT"])
    book: str
    year: int
    certified_on: date
    office_agency_code: str
    officer_name: str
    pages: int
    verification_code: str
    verification_url: str
    content_sha256: str

    @classmethod
    def of(cls, copy: CertifiedCopy) -> CertificationOut:
        r = copy.record
        return cls(
            number=r.number,
            number_text=copy.number_text,
            book=r.book,
            year=r.year,
            certified_on=r.certified_on,
            office_agency_code=r.office_agency_code,
            officer_name=r.officer_name,
            pages=r.pages,
            verification_code=r.verification_code,
            verification_url=copy.verification_url,
            content_sha256=r.content_sha256,
        )


class CertifiedCopyOut(BaseModel):
    document: DocumentOut
    certification: CertificationOut


class CopyForm(BaseModel):
    """The fields of a certified-copy request, sent beside the scanned `pages`."""

    paper_type: str = Field(max_length=64)
    title: str = Field(max_length=500)
    book: str = Field(max_length=64, examples=["01/2025-SCT/BS-ĐT"])
    pin: SecretStr = Field(min_length=1, max_length=64)
    otp: SecretStr | None = Field(default=None, max_length=16)
    reference_number: str | None = Field(default=None, max_length=100)
    original_issue_date: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class CopyUpload:
    form: CopyForm
    pages: list[ReceivedFile]


_MAX_COPY_FILES = 200


async def copy_upload(
    request: Request, owner_id: uuid.UUID, uow: UowDep, actor: ActorDep
) -> AsyncIterator[CopyUpload]:
    """Who may certify is checked before the scans are read: a certifying officer of an
    agency, for an owner on record; the fields before the first page."""

    def may_certify() -> None:
        actor.require(Role.CERTIFYING_OFFICER)
        actor.require_agency()
        if not lookups.owner_exists(uow, owner_id):
            raise NotFound("no such owner")

    await run_in_threadpool(may_certify)
    seen: list[CopyForm] = []

    async def check(fields: Mapping[str, str]) -> None:
        seen.append(form_model(CopyForm, fields))

    received = await read_multipart(
        request, file_fields=frozenset({"pages"}), max_files=_MAX_COPY_FILES, before_file=check
    )
    try:
        pages = received.files_named("pages")
        if not pages:
            raise RequestValidationError(
                [{"type": "missing", "loc": ("body", "pages"), "msg": "Field required"}]
            )
        yield CopyUpload(seen[0], pages)
    finally:
        received.close()


@router.post(
    "/owners/{owner_id}/certified-copies",
    status_code=status.HTTP_201_CREATED,
    summary="Make an electronic certified copy from scans of the original",
    description="Multipart: one or more `pages` (JPEG, PNG, TIFF or PDF, in order) and the "
    "fields below. The copy is signed by your credential, then by your office's seal "
    "(PAdES B-LT), numbered in the book (…/ĐT), and stored in the owner's warehouse. "
    "Who may certify is checked before the scans are read: send them after the fields.",
    openapi_extra=multipart_body(
        CopyForm,
        {
            "pages": {
                "type": "array",
                "items": {"type": "string", "format": "binary"},
                "description": "Scans of the original, in order",
            }
        },
    ),
)
def make_certified_copy(
    owner_id: uuid.UUID,
    upload: Annotated[CopyUpload, Depends(copy_upload, scope="function")],
    response: Response,
    signing: SigningDep,
    uow: UowDep,
    actor: ActorDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Send the same key when retrying: the copy is made (and numbered) "
            "once, and the retry gets it back with `Idempotent-Replayed: true`.",
        ),
    ] = None,
) -> CertifiedCopyOut:
    scans = [page.file.read() for page in upload.pages]
    form = upload.form
    copy = signing.copies.certify(
        uow,
        actor,
        owner_id,
        CopyRequest(
            paper_type=form.paper_type,
            title=form.title,
            book=form.book,
            pages=scans,
            pin=form.pin.get_secret_value(),
            otp=form.otp.get_secret_value() if form.otp else None,
            reference_number=form.reference_number,
            original_issue_date=form.original_issue_date,
            valid_until=form.valid_until,
        ),
        idempotency_key=idempotency_key,
    )
    response.headers["Location"] = f"/api/v1/documents/{copy.document.id}"
    if copy.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return CertifiedCopyOut(
        document=DocumentOut.of(copy.document), certification=CertificationOut.of(copy)
    )


class RefusalIn(BaseModel):
    paper_type: str = Field(max_length=64, examples=["diploma"])
    reason: RefusalReason
    note: str | None = Field(default=None, max_length=500)


class RefusalOut(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    office_agency_code: str
    paper_type: str
    reason: RefusalReason
    reason_text: str
    legal_basis: str
    note: str | None
    officer_name: str
    refused_at: datetime

    @classmethod
    def of(cls, r: RefusalRecord) -> RefusalOut:
        reason = RefusalReason(r.reason)
        return cls(
            id=r.id,
            owner_id=r.owner_id,
            office_agency_code=r.office_agency_code,
            paper_type=r.paper_type,
            reason=reason,
            reason_text=reason.text_vi,
            legal_basis=LEGAL_BASIS,
            note=r.note,
            officer_name=r.officer_name,
            refused_at=r.refused_at,
        )


@router.post(
    "/owners/{owner_id}/certified-copies/refusals",
    status_code=status.HTTP_201_CREATED,
    summary="Refuse to certify an original, with a reason code",
    dependencies=[require_roles(Role.CERTIFYING_OFFICER)],
)
def refuse_certification(
    owner_id: uuid.UUID, body: RefusalIn, signing: SigningDep, uow: UowDep, actor: ActorDep
) -> RefusalOut:
    record = signing.copies.refuse(
        uow, actor, owner_id, paper_type=body.paper_type, reason=body.reason, note=body.note
    )
    return RefusalOut.of(record)


class ReasonOut(BaseModel):
    code: RefusalReason
    text: str
    legal_basis: str


@router.get(
    "/certified-copies/refusal-reasons",
    summary="Why an original may not be certified: the reason codes",
)
def refusal_reasons(actor: ActorDep) -> list[ReasonOut]:
    return [ReasonOut(code=r, text=r.text_vi, legal_basis=LEGAL_BASIS) for r in RefusalReason]


# -- public verification ------------------------------------------------------------------------


class SignatureOut(BaseModel):
    signer: str | None
    signed_at: datetime | None = Field(description="Proven by a timestamp, if there is one")
    timestamped: bool
    valid: bool
    indication: str = Field(examples=["TOTAL_PASSED"], description="ETSI EN 319 102-1")
    sub_indication: str | None


class PublicCertifiedCopyOut(BaseModel):
    """What was certified, by whom, when, until when, and whether the signatures check.
    Never the owner's identity."""

    verification_code: str
    number_text: str
    book: str
    year: int
    certified_on: date
    office_agency_code: str
    office_name: str
    officer_name: str
    paper_type: str
    paper_type_name: str
    title: str
    pages: int
    valid_until: date | None
    valid_today: bool
    content_sha256: str
    file_sha256: str
    qr_hash_matches: bool | None
    signatures_valid: bool
    signatures_problem: str | None
    signatures: list[SignatureOut]

    @classmethod
    def of(cls, v: PublicView) -> PublicCertifiedCopyOut:
        report: SignaturesReport = v.signatures
        return cls(
            verification_code=v.code,
            number_text=v.number_text,
            book=v.book,
            year=v.year,
            certified_on=v.certified_on,
            office_agency_code=v.office_code,
            office_name=v.office_name,
            officer_name=v.officer_name,
            paper_type=v.paper_type,
            paper_type_name=v.paper_type_name,
            title=v.title,
            pages=v.pages,
            valid_until=v.valid_until,
            valid_today=v.valid_today,
            content_sha256=v.content_sha256,
            file_sha256=v.file_sha256,
            qr_hash_matches=v.qr_hash_matches,
            signatures_valid=report.all_valid,
            signatures_problem=report.problem,
            signatures=[
                SignatureOut(
                    signer=s.signer,
                    signed_at=s.signed_at,
                    timestamped=s.timestamped,
                    valid=s.valid,
                    indication=s.indication,
                    sub_indication=s.sub_indication,
                )
                for s in report.signatures
            ],
        )


Sha256Query = Annotated[
    str | None,
    Query(
        alias="sha256",
        max_length=64,
        description="The hash printed in the QR code, to compare with the record",
    ),
]


@public_router.get(
    "/api/v1/public/certified-copies/{code}",
    summary="Verify an electronic certified copy by its code (no sign-in)",
    dependencies=[Depends(limit_by_address)],
)
def verify_certified_copy(
    code: str, response: Response, signing: SigningDep, uow: UowDep, sha256: Sha256Query = None
) -> PublicCertifiedCopyOut:
    view = signing.copies.public_view(uow, code, presented_sha256=sha256)
    response.headers.update(_SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-cache"
    return PublicCertifiedCopyOut.of(view)


@public_router.get(
    "/public/certified-copies/{code}",
    response_class=HTMLResponse,
    summary="The page a QR code on a certified copy opens (no sign-in)",
    dependencies=[Depends(limit_by_address)],
)
def certified_copy_page(
    request: Request,
    code: str,
    signing: SigningDep,
    uow: UowDep,
    sha256: Sha256Query = None,
    lang: public_verify.LangQuery = "vi",
) -> HTMLResponse:
    return public_verify.copy_page(request, uow, _view(signing, uow, code, sha256), lang)


@public_router.post(
    "/public/certified-copies/{code}",
    response_class=HTMLResponse,
    summary="The QR page, checking the file one holds against the copy it describes",
    description="Multipart form with one field, `file`: the PDF to compare (not stored).",
    include_in_schema=False,
    dependencies=[Depends(limit_by_address)],
)
def certified_copy_check(
    request: Request,
    code: str,
    signing: SigningDep,
    uow: UowDep,
    file: public_verify.FileField = None,
    sha256: Sha256Query = None,
    lang: public_verify.LangQuery = "vi",
) -> HTMLResponse:
    view = _view(signing, uow, code, sha256)
    return public_verify.copy_page(request, uow, view, lang, file=file, checking=True)


def _view(
    signing: VaultSigning, uow: UnitOfWork, code: str, sha256: str | None
) -> PublicView | None:
    try:
        return signing.copies.public_view(uow, code, presented_sha256=sha256)
    except NotFound:
        return None


# /public/verify: the same check for any file, with no copy named in advance.
public_router.include_router(public_verify.router)
