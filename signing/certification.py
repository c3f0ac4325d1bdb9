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
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum

from signing import copy_pdf
from signing.pades import (
    VIETNAM_TIME,
    NoSigningCredential,
    PadesLevel,
    SignatureSpec,
    SigningNotConfigured,
    TotpSource,
    VisibleStamp,
)
from signing.results import PdfSigner, agency_label, officer_credential, read_all
from signing.signer_settings import SealCredential, SignerSettings
from signing.verify import Indication, Verifier, VerifierError
from vault import identifiers
from vault.access import audit_draft
from vault.audit import AuditDraft
from vault.auth import Actor, Role
from vault.content import ContentLimits
from vault.db import UnitOfWork
from vault.db.certification_models import REFUSAL_REASONS
from vault.db.certification_repository import (
    CertificationRepository,
    CertifiedCopyRecord,
    RefusalRecord,
)
from vault.domain import Document, DocumentOrigin, new_id
from vault.errors import ContentTooLarge, InvalidInput, NotFound
from vault.services import DocumentService, NewDocument

ELECTRONIC_SUFFIX = "/ĐT"
_BOOK = re.compile(r"[0-9A-Za-zÀ-ỹĐđ][0-9A-Za-zÀ-ỹĐđ ./-]{0,31}")
_CODE = re.compile(r"[A-Za-z0-9_-]{16,43}")


class RefusalReason(StrEnum):
    """Why an original may not be certified (Decree 23/2015/NĐ-CP, art. 22)."""

    ALTERED = "altered"
    DAMAGED = "damaged"
    CLASSIFIED = "classified"
    UNLAWFUL_CONTENT = "unlawful_content"
    NOT_LEGALISED = "not_legalised"
    UNCONFIRMED_PRIVATE = "unconfirmed_private"

    @property
    def text_vi(self) -> str:
        return _REFUSAL_TEXT[self]


_REFUSAL_TEXT = {
    RefusalReason.ALTERED: "Bản chính bị tẩy xóa, sửa chữa, thêm, bớt nội dung không hợp lệ",
    RefusalReason.DAMAGED: "Bản chính bị hư hỏng, cũ nát, không xác định được nội dung",
    RefusalReason.CLASSIFIED: (
        "Bản chính đóng dấu mật của cơ quan, tổ chức có thẩm quyền, hoặc ghi rõ không được sao chụp"
    ),
    RefusalReason.UNLAWFUL_CONTENT: "Bản chính có nội dung trái pháp luật, đạo đức xã hội",
    RefusalReason.NOT_LEGALISED: (
        "Bản chính do cơ quan, tổ chức có thẩm quyền của nước ngoài cấp, công chứng hoặc "
        "chứng nhận chưa được hợp pháp hóa lãnh sự"
    ),
    RefusalReason.UNCONFIRMED_PRIVATE: (
        "Giấy tờ, văn bản do cá nhân tự lập nhưng không có xác nhận và đóng dấu của cơ quan, "
        "tổ chức có thẩm quyền"
    ),
}
LEGAL_BASIS = "Điều 22 Nghị định 23/2015/NĐ-CP"
# The database's check constraint and this enum must list the same codes.
assert {r.value for r in RefusalReason} == set(REFUSAL_REASONS)


@dataclass(frozen=True)
class SignatureCheck:
    field: str | None
    signer: str | None
    signed_at: datetime | None  # proven by a timestamp if there is one, else claimed
    timestamped: bool
    valid: bool
    indication: str  # ETSI EN 319 102-1: TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE
    sub_indication: str | None


@dataclass(frozen=True)
class SignaturesReport:
    signatures: tuple[SignatureCheck, ...]
    document_timestamps: int
    problem: str | None = None  # why the file could not be checked at all

    @property
    def all_valid(self) -> bool:
        return (
            self.problem is None and bool(self.signatures) and all(s.valid for s in self.signatures)
        )


SignatureChecker = Callable[[bytes], SignaturesReport]


def verifier_checker(verifier: Verifier) -> SignatureChecker:
    """The vault's verifier (signing.verify: AdES at the signature's proven time, with its
    own analysis of every later update, in a bounded worker process), offline: a certified
    copy carries its validation data (B-LT), so nothing is fetched for a public request."""

    def check(pdf: bytes) -> SignaturesReport:
        try:
            report = verifier.verify(pdf, offline=True)
        except VerifierError as exc:
            return SignaturesReport((), 0, problem=f"the verifier is unavailable: {exc}")
        checks = tuple(
            SignatureCheck(
                field=s.field_name,
                signer=s.signer.common_name if s.signer else None,
                signed_at=s.proven_signing_time or s.claimed_signing_time,
                timestamped=any(
                    t.indication is Indication.TOTAL_PASSED for t in s.signature_timestamps
                ),
                valid=s.passed,
                indication=s.indication.value,
                sub_indication=s.sub_indication.value if s.sub_indication else None,
            )
            for s in report.signatures
        )
        problem = (
            f"{report.problem.code.value}: {report.problem.message}" if report.problem else None
        )
        return SignaturesReport(checks, len(report.document_timestamps), problem)

    return check


@dataclass(frozen=True)
class CopyRequest:
    paper_type: str
    title: str
    book: str  # sổ chứng thực điện tử, e.g. "01/2025-SCT/BS-ĐT"
    pages: Sequence[bytes]  # the scans, in order
    pin: str = ""
    otp: str | None = None
    reference_number: str | None = None  # of the original
    original_issue_date: date | None = None  # validity counts from it when given
    valid_until: date | None = None  # None: the paper type's default


@dataclass(frozen=True)
class CertifiedCopy:
    document: Document
    record: CertifiedCopyRecord
    verification_url: str
    replayed: bool = False  # an idempotent repeat: the copy made the first time

    @property
    def number_text(self) -> str:
        return f"{self.record.number}{ELECTRONIC_SUFFIX}"


@dataclass(frozen=True)
class PublicView:
    """What anyone holding the code may see. Nothing identifies the owner."""

    code: str
    number_text: str
    book: str
    year: int
    certified_on: date
    office_code: str
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
    qr_hash_matches: bool | None  # None: no hash was presented
    signatures: SignaturesReport


def normalise_book(book: str) -> str:
    book = " ".join(book.split())
    if not _BOOK.fullmatch(book):
        raise InvalidInput("book", "a book is 1 to 32 letters, digits, spaces, '.', '/' or '-'")
    return book


class _ReportCache:
    """Signature reports by file hash, for a few minutes: the public page is served to
    anyone who scans a code, and a check parses the whole PDF."""

    def __init__(self, ttl: float = 300, size: int = 256) -> None:
        self._ttl, self._size = ttl, size
        self._items: dict[str, tuple[float, SignaturesReport]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, make: Callable[[], SignaturesReport]) -> SignaturesReport:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        report = make()
        if report.problem is not None:
            return report  # maybe passing (a busy verifier): ask again next time
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (now, report)
        return report


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
        checker: SignatureChecker | None = None,
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
        self._checker = checker
        self._reports = _ReportCache()
        self._otp_lock = threading.Lock()
        self._seal_otps: dict[str, TotpSource] = {}

    # -- issuing --------------------------------------------------------------------------

    def _seal(self, office: str) -> SealCredential:
        seal = self._settings.seals.get(office)
        if seal is None:
            raise NoSigningCredential(f"no digital seal is configured for office {office}")
        return seal

    def _seal_otp(self, seal: SealCredential) -> TotpSource | None:
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
        if uow.owners.get(owner_id) is None:
            raise NotFound("no such owner")
        paper_type = uow.paper_types.get(request.paper_type)
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
        record = CertificationRepository(uow.session).by_document(document.lineage_id)
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
        repo = CertificationRepository(uow.session)
        # The transaction's first write: from here the book's counter is ours until commit.
        number = repo.next_number(office, book, certified_on.year)
        code = secrets.token_urlsafe(16)  # 128 random bits
        url = (
            f"{self._settings.public_base_url}/public/certified-copies/{code}"
            f"?sha256={body.content_sha256}"
        )
        office_name = uow.accounts.agency_name(office) or office
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
                    otp=self._seal_otp(seal),
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
                office_name=uow.accounts.agency_name(office) or office,
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
        if uow.owners.get(owner_id) is None:
            raise NotFound("no such owner")
        if uow.paper_types.get(paper_type) is None:
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
        CertificationRepository(uow.session).add_refusal(record)
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
        if not _CODE.fullmatch(code):
            raise NotFound("no certified copy has this code")
        record = CertificationRepository(uow.session).by_code(code)
        if record is None:
            raise NotFound("no certified copy has this code")
        document = uow.documents.current_version(record.document_id)
        paper_type = uow.paper_types.get(record.paper_type)
        if document is None or paper_type is None:  # pragma: no cover - foreign keys
            raise NotFound("no certified copy has this code")

        def check() -> SignaturesReport:
            if self._checker is None:
                return SignaturesReport((), 0, problem="signature checking is not configured")
            return self._checker(read_all(self._documents, uow, document))

        report = self._reports.get(document.blob.sha256, check)
        today = self._clock().astimezone(VIETNAM_TIME).date()
        matches = None
        if presented_sha256 is not None:
            matches = presented_sha256.strip().lower() == record.content_sha256
        uow.record(
            AuditDraft(
                action="certified_copy.public_verify",
                owner_id=record.owner_id,
                document_id=document.id,
                purpose="public verification by the code printed on the copy",
            )
        )
        return PublicView(
            code=code,
            number_text=f"{record.number}{ELECTRONIC_SUFFIX}",
            book=record.book,
            year=record.year,
            certified_on=record.certified_on,
            office_code=record.office_agency_code,
            office_name=uow.accounts.agency_name(record.office_agency_code)
            or record.office_agency_code,
            officer_name=record.officer_name,
            paper_type=record.paper_type,
            paper_type_name=paper_type.name_vi,
            title=record.title,
            pages=record.pages,
            valid_until=document.valid_until,
            valid_today=document.is_valid_on(today),
            content_sha256=record.content_sha256,
            file_sha256=document.blob.sha256,
            qr_hash_matches=matches,
            signatures=report,
        )
