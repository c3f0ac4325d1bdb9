"""The public verification of a certified copy: what anyone holding the code printed on it
(its QR code) may see, and whether its signatures check now. Nothing identifies the owner.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from signing.issuing.certification_model import ELECTRONIC_SUFFIX
from signing.issuing.db.certification_repository import CertificationRepository
from signing.issuing.pades import VIETNAM_TIME
from signing.issuing.result_signing import read_all
from signing.verify import Indication, Verifier, VerifierError
from vault.audit import AuditDraft
from vault.errors import NotFound
from vault.services import DocumentService, lookups

if TYPE_CHECKING:
    from vault.services import UnitOfWork

_CODE = re.compile(r"[A-Za-z0-9_-]{16,43}")


@dataclass(frozen=True)
class CopySignatureCheck:
    """One signature of a certified copy as the public page shows it."""

    field: str | None
    signer: str | None
    signed_at: datetime | None  # proven by a timestamp if there is one, else claimed
    timestamped: bool
    valid: bool
    indication: str  # ETSI EN 319 102-1: TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE
    sub_indication: str | None


@dataclass(frozen=True)
class SignaturesReport:
    signatures: tuple[CopySignatureCheck, ...]
    document_timestamps: int
    problem: str | None = None  # why the file could not be checked at all

    @property
    def all_valid(self) -> bool:
        return (
            self.problem is None and bool(self.signatures) and all(s.valid for s in self.signatures)
        )


CopySignaturesChecker = Callable[[bytes], SignaturesReport]


def verifier_checker(verifier: Verifier) -> CopySignaturesChecker:
    """The vault's verifier (signing.verify: AdES at the signature's proven time, with its
    own analysis of every later update, in a bounded worker process), offline: a certified
    copy carries its validation data (B-LT), so nothing is fetched for a public request."""

    def check(pdf: bytes) -> SignaturesReport:
        try:
            report = verifier.verify(pdf, offline=True)
        except VerifierError as exc:
            return SignaturesReport((), 0, problem=f"the verifier is unavailable: {exc}")
        checks = tuple(
            CopySignatureCheck(
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


class PublicVerification:
    """The public page's use case: the certification behind a code, its signatures judged by
    `checker` (`verifier_checker`), the judgement kept a few minutes by file hash."""

    def __init__(
        self,
        documents: DocumentService,
        checker: CopySignaturesChecker | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._documents = documents
        self._checker = checker
        self._clock = clock
        self._reports = _ReportCache()

    def view(
        self, uow: UnitOfWork, code: str, *, presented_sha256: str | None = None
    ) -> PublicView:
        """The certification behind a QR code, and whether its signatures check now."""
        if not _CODE.fullmatch(code):
            raise NotFound("no certified copy has this code")
        record = uow.repository(CertificationRepository).by_code(code)
        if record is None:
            raise NotFound("no certified copy has this code")
        document = lookups.current_version(uow, record.document_id)
        paper_type = lookups.paper_type(uow, record.paper_type)
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
            office_name=lookups.agency_name(uow, record.office_agency_code)
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
