"""Electronic certified copies from originals (chứng thực bản sao điện tử từ bản chính;
Decree 23/2015/NĐ-CP as amended by Decree 45/2020/NĐ-CP).

A certifying officer scans the original; the vault builds the copy's PDF (the scans on A4,
then the certification page: "Chứng thực bản sao đúng với bản chính", number ending in /ĐT,
book, date, office, officer, and a QR code with the public verification URL and the scans'
hash), takes the next number of the office's book for the year, has the officer's credential
sign it (a certification signature that allows the next one), then the office's seal, both
PAdES B-LT, and stores it in the owner's warehouse with origin "certified copy".

The number is taken inside the request's transaction and kept locked until it commits: a
copy that fails to sign or store gives its number back, so the book has neither gaps nor
duplicates. The price: certifications in the same book of an office queue behind each
other for the length of a signature (about a second).

The book entry and the request are `certification_model`; what the public page shows of a
copy is `public_view`.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from signing.issuing import copy_pdf
from signing.issuing.certification_model import (
    ELECTRONIC_SUFFIX,
    CertifiedCopy,
    CertifiedCopyRecord,
    CopyRequest,
    RefusalReason,
    RefusalRecord,
    normalise_book,
)
from signing.issuing.db.certification_repository import CertificationRepository
from signing.issuing.pades import (
    VIETNAM_TIME,
    NoSigningCredential,
    PadesLevel,
    SignatureSpec,
    SigningNotConfigured,
    TotpSource,
    VisibleStamp,
)
from signing.issuing.public_view import CopySignaturesChecker, PublicVerification, PublicView
from signing.issuing.result_signing import PdfSigner, agency_label, officer_credential
from signing.issuing.signer_settings import SealCredential, SignerSettings
from vault import identifiers
from vault.access import audit_draft
from vault.auth import Actor, Role
from vault.content import ContentLimits
from vault.domain import Document, DocumentOrigin, new_id
from vault.errors import ContentTooLarge, InvalidInput, NotFound
from vault.services import DocumentService, NewDocument, lookups

if TYPE_CHECKING:
    from vault.services import UnitOfWork


def _fingerprint(owner_id: uuid.UUID, request: CopyRequest) -> str:
    """What an idempotency key stands for: this owner, these pages, this metadata (a key
    reused for anything else is refused, never answered with another copy)."""
    digest = hashlib.sha256()
    for part in (
        request.paper_type,
        request.title,
        request.book,
        request.reference_number or "",
        request.original_issue_date.isoformat() if request.original_issue_date else "",
        request.valid_until.isoformat() if request.valid_until else "",
        *(hashlib.sha256(page).hexdigest() for page in request.pages),
    ):
        digest.update(part.encode() + b"\x00")
    return f"certified-copy {owner_id} {digest.hexdigest()}"


class CertificationService:
    def __init__(
        self,
        documents: DocumentService,
        settings: SignerSettings,
        signer: PdfSigner | None,
        limits: ContentLimits,
        *,
        max_total_bytes: int,
        checker: CopySignaturesChecker | None = None,
        identify: Callable[[Sequence[str]], list[str]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`identify` returns the certificate name each credential signs as, after checking
        the certificates for revocation (`RemotePdfSigner.preflight`); `checker` judges
        the signatures for the public page (`verifier_checker`)."""
        self._documents = documents
        self._settings = settings
        self._signer = signer
        self._identify = identify
        self._limits = limits
        self._max_total = max_total_bytes
        self._clock = clock
        self._public = PublicVerification(documents, checker, clock)
        self._otp_lock = threading.Lock()
        self._seal_otps: dict[str, TotpSource] = {}

    # -- issuing --------------------------------------------------------------------------

    def _seal(self, office: str) -> SealCredential:
        seal = self._settings.seals.get(office)
        if seal is None:
            raise NoSigningCredential(f"no digital seal is configured for office {office}")
        return seal

    def seal_otp(self, seal: SealCredential) -> TotpSource | None:
        """This process's one source of the seal's one-time passwords (None: PIN only)."""
        secret = seal.otp_secret_bytes()
        if secret is None:
            return None
        with self._otp_lock:  # one source per seal, so its steps are never reused
            source = self._seal_otps.get(seal.credential_id)
            if source is None:
                source = self._seal_otps[seal.credential_id] = TotpSource(secret)
            return source

    def _checked_request(
        self, uow: UnitOfWork, owner_id: uuid.UUID, request: CopyRequest, *, signing: bool = True
    ) -> tuple[str, str, str]:
        if not lookups.owner_exists(uow, owner_id):
            raise NotFound("no such owner")
        paper_type = lookups.paper_type(uow, request.paper_type)
        if paper_type is None:
            raise InvalidInput("paper_type", f"unknown paper type {request.paper_type!r}")
        title = " ".join(identifiers.plain_text(request.title, "title").split())
        if not 1 <= len(title) <= 500:
            raise InvalidInput("title", "a title of 1 to 500 characters is required")
        if signing and not request.pin:
            raise InvalidInput("pin", "the PIN of your signing credential is required")
        if not request.pages:
            raise InvalidInput("pages", "at least one scanned page is required")
        if len(request.pages) > self._settings.max_copy_pages:
            raise ContentTooLarge(
                f"at most {self._settings.max_copy_pages} page files",
                self._settings.max_copy_pages,
            )
        if sum(len(p) for p in request.pages) > self._max_total:
            raise ContentTooLarge("the scans are over the upload limit", self._max_total)
        return paper_type.name_vi, title, normalise_book(request.book)

    def certify(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        request: CopyRequest,
        *,
        idempotency_key: str | None = None,
    ) -> CertifiedCopy:
        """Builds, numbers, signs (officer, then seal) and stores the copy. With
        `idempotency_key`, a repeat of the same request by the same officer (a retried or
        double-submitted form) returns the first copy instead of taking a second number."""
        made: list[CertifiedCopy] = []

        def store() -> Document:
            made.append(self._certify(uow, actor, owner_id, request))
            return made[0].document

        document, replayed = self._documents.once(
            uow, actor, idempotency_key, _fingerprint(owner_id, request), store
        )
        if not replayed:
            return made[0]
        copy = self.copy_of(uow, document)
        if copy is None:  # the key named a document that is not a certified copy
            raise InvalidInput("Idempotency-Key", "this key was used for another request")
        return replace(copy, replayed=True)

    def copy_of(self, uow: UnitOfWork, document: Document) -> CertifiedCopy | None:
        """The certification of a paper the caller may already read (its access checked),
        with the public verification URL its QR code holds; None for any other paper."""
        record = uow.repository(CertificationRepository).by_document(document.lineage_id)
        if record is None:
            return None
        url = (
            f"{self._settings.public_base_url}/public/certified-copies/"
            f"{record.verification_code}?sha256={record.content_sha256}"
        )
        return CertifiedCopy(document, record, url)

    def _certify(
        self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID, request: CopyRequest
    ) -> CertifiedCopy:
        actor.require(Role.CERTIFYING_OFFICER)
        office = actor.require_agency()
        type_name, title, book = self._checked_request(uow, owner_id, request)
        if self._signer is None or self._identify is None:
            raise SigningNotConfigured("no signing service is configured")
        officer_cred = officer_credential(uow, actor, self._settings)
        seal = self._seal(office)
        # Both certificates are checked (revocation included) before a number is taken.
        officer_name, _ = self._identify([officer_cred, seal.credential_id])
        body = copy_pdf.build_body(request.pages, self._limits, self._settings.max_copy_pages)

        certified_on = self._clock().astimezone(VIETNAM_TIME).date()
        repo = uow.repository(CertificationRepository)
        # The transaction's first write: from here the book's counter is ours until commit.
        number = repo.next_number(office, book, certified_on.year)
        code = secrets.token_urlsafe(16)  # 128 random bits
        url = (
            f"{self._settings.public_base_url}/public/certified-copies/{code}"
            f"?sha256={body.content_sha256}"
        )
        office_name = lookups.agency_name(uow, office) or office
        unsigned = copy_pdf.certification_page(
            body,
            copy_pdf.CertificationText(
                office_name=office_name,
                office_code=office,
                paper_type_name=type_name,
                title=title,
                pages=body.pages,
                number_text=f"{number}{ELECTRONIC_SUFFIX}",
                book=book,
                certified_on=certified_on,
                officer_name=officer_name,
                verification_url=url,
                verification_code=code,
                content_sha256=body.content_sha256,
            ),
            self._settings.font_file,
            self._settings.bold_font_file,
        )
        stamp = VisibleStamp(agency=agency_label(uow, office), box=None)
        otp = request.otp
        signed = self._signer.sign(
            unsigned,
            [
                SignatureSpec(
                    credential_id=officer_cred,
                    pin=request.pin,
                    otp=(lambda: otp) if otp else None,
                    field_name=copy_pdf.OFFICER_FIELD,
                    level=PadesLevel.B_LT,
                    stamp=stamp,
                    certify=True,
                    reason=f"Chứng thực bản sao đúng với bản chính, số {number}{ELECTRONIC_SUFFIX}",
                ),
                SignatureSpec(
                    credential_id=seal.credential_id,
                    pin=seal.pin.get_secret_value(),
                    otp=self.seal_otp(seal),
                    field_name=copy_pdf.SEAL_FIELD,
                    level=PadesLevel.B_LT,
                    stamp=stamp,
                    reason="Con dấu số của cơ quan chứng thực",
                    factors_from_user=False,
                ),
            ],
        )
        document = self._documents.upload(
            uow,
            actor,
            owner_id,
            NewDocument(
                paper_type=request.paper_type,
                title=title,
                origin=DocumentOrigin.CERTIFIED_COPY,
                reference_number=request.reference_number,
                issuer_agency_code=office,
                issue_date=request.original_issue_date or certified_on,
                valid_until=request.valid_until,
            ),
            io.BytesIO(signed),
        )
        record = CertifiedCopyRecord(
            id=new_id(),
            document_id=document.lineage_id,
            owner_id=owner_id,
            office_agency_code=office,
            book=book,
            year=certified_on.year,
            number=number,
            verification_code=code,
            paper_type=request.paper_type,
            title=title,
            pages=body.pages,
            content_sha256=body.content_sha256,
            officer_account_id=actor.account_id,
            officer_name=officer_name,
            certified_on=certified_on,
            valid_until=document.valid_until,
            created_at=self._clock(),
        )
        repo.add(record)
        uow.flush()
        uow.record(
            audit_draft(
                actor,
                "certified_copy.issue",
                owner_id=owner_id,
                document_id=document.id,
                detail=f"number {number}{ELECTRONIC_SUFFIX}, book {book}, {certified_on.year}",
            )
        )
        return CertifiedCopy(document, record, url)

    def preview(
        self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID, request: CopyRequest
    ) -> bytes:
        """The copy as `certify` would build it, for the officer to check before signing:
        the same pages and certification page, naming the officer as their certificate
        does (what `certify` prints), with a placeholder number and verification code (known
        only once the book's number is taken). Takes no number, signs nothing, stores
        nothing (no PIN needed)."""
        actor.require(Role.CERTIFYING_OFFICER)
        office = actor.require_agency()
        type_name, title, book = self._checked_request(uow, owner_id, request, signing=False)
        if self._signer is None or self._identify is None:
            raise SigningNotConfigured("no signing service is configured")
        (officer_name,) = self._identify([officer_credential(uow, actor, self._settings)])
        body = copy_pdf.build_body(request.pages, self._limits, self._settings.max_copy_pages)
        placeholder = "…"
        return copy_pdf.certification_page(
            body,
            copy_pdf.CertificationText(
                office_name=lookups.agency_name(uow, office) or office,
                office_code=office,
                paper_type_name=type_name,
                title=title,
                pages=body.pages,
                number_text=f"{placeholder}{ELECTRONIC_SUFFIX}",
                book=book,
                certified_on=self._clock().astimezone(VIETNAM_TIME).date(),
                officer_name=officer_name,
                verification_url=f"{self._settings.public_base_url}/public/certified-copies/"
                f"{placeholder}?sha256={body.content_sha256}",
                verification_code=placeholder,
                content_sha256=body.content_sha256,
            ),
            self._settings.font_file,
            self._settings.bold_font_file,
        )

    # -- refusing -------------------------------------------------------------------------

    def refuse(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        *,
        paper_type: str,
        reason: RefusalReason,
        note: str | None = None,
    ) -> RefusalRecord:
        """Records that the office refused to certify an original, with the reason code."""
        actor.require(Role.CERTIFYING_OFFICER)
        office = actor.require_agency()
        if not lookups.owner_exists(uow, owner_id):
            raise NotFound("no such owner")
        if lookups.paper_type(uow, paper_type) is None:
            raise InvalidInput("paper_type", f"unknown paper type {paper_type!r}")
        note = " ".join(identifiers.plain_text(note or "", "note").split()) or None
        if note is not None and len(note) > 500:
            raise InvalidInput("note", "at most 500 characters")
        record = RefusalRecord(
            id=new_id(),
            office_agency_code=office,
            owner_id=owner_id,
            paper_type=paper_type,
            reason=reason.value,
            note=note,
            officer_account_id=actor.account_id,
            officer_name=actor.name,
            refused_at=self._clock(),
        )
        uow.repository(CertificationRepository).add_refusal(record)
        uow.flush()
        uow.record(
            audit_draft(
                actor,
                "certified_copy.refuse",
                owner_id=owner_id,
                detail=f"reason {reason.value}, paper type {paper_type}",
            )
        )
        return record

    # -- public verification --------------------------------------------------------------

    def public_view(
        self, uow: UnitOfWork, code: str, *, presented_sha256: str | None = None
    ) -> PublicView:
        """The certification behind a QR code, and whether its signatures check now."""
        return self._public.view(uow, code, presented_sha256=presented_sha256)
