"""Is a file someone holds a paper the vault issued, and is it byte for byte the one on record?

For the public file check (kiểm tra tệp không cần tài khoản): a verifying agency drops a
PDF and learns, beside the signature report, whether it is an electronic certified copy
(bản sao điện tử có chứng thực) or a signed result the vault issued, which one (number,
office, date), and whether the file is the very file on record. Three ways to find it:

1. The file's SHA-256 is that of a certified copy or a signed issued result: identical.
2. The file is such a paper with later incremental updates appended (the record's bytes
   end where one of the file's revisions ends): the paper named, not identical.
3. The certification page printed in the file carries a verification code (the QR's link
   and "Mã tra cứu"): the copy named, not identical. Only read when 1 and 2 found nothing.

On the QR page the code is known from the link: only that copy is compared.

What is shown never identifies the owner, and every match is audited against the owner's
paper (the owner sees in the access log that someone checked a file of theirs).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from signing.issuing.certification_model import ELECTRONIC_SUFFIX, CertifiedCopyRecord
from signing.issuing.db.certification_repository import CertificationRepository
from signing.issuing.db.record_lookup import IssuedRecordLookup
from vault.audit import AuditDraft
from vault.content import PDFIUM_LOCK
from vault.domain import Document, DocumentOrigin, DocumentStatus
from vault.services import lookups

if TYPE_CHECKING:
    from vault.services import UnitOfWork

MAX_REVISIONS = 16  # revision ends looked up as a paper on record (the latest ones)
_CODE = re.compile(r"[A-Za-z0-9_-]{16,43}")
# Where the certification page prints the code: in the link and after "Mã tra cứu:".
_CODE_IN_TEXT = re.compile(
    r"(?:/public/certified-copies/|M\u00e3 tra c\u1ee9u:\s*)([A-Za-z0-9_-]{16,43})"
)


class RecordKind(StrEnum):
    CERTIFIED_COPY = "certified_copy"
    ISSUED_RESULT = "issued_result"


class FoundBy(StrEnum):
    SAME_FILE = "same_file"  # the file's hash is the record's
    RECORD_THEN_CHANGES = "record_then_changes"  # the record, with updates appended
    CODE_IN_FILE = "code_in_file"  # the verification code printed in the file
    CODE_GIVEN = "code_given"  # the QR page's own code


@dataclass(frozen=True, slots=True)
class RecordMatch:
    kind: RecordKind
    identical: bool  # byte for byte the file on record
    found_by: FoundBy
    number: str | None  # "15/ĐT" for a copy; the result's số ký hiệu
    book: str | None  # the copy's book (quyển số)
    office_code: str | None
    office_name: str | None
    issued_on: date | None  # certified on / issued on
    paper_type: str
    paper_type_name_vi: str
    paper_type_name_en: str
    title: str
    verification_code: str | None
    record_sha256: str
    current: bool  # the record is the paper's current version (not replaced since)


def file_check(
    uow: UnitOfWork,
    data: bytes,
    revision_ends: Sequence[int] = (),
    *,
    code: str | None = None,
) -> RecordMatch | None:
    """The vault's paper this file is (or claims to be), or None. `revision_ends` are the
    byte offsets where the file's revisions end (from the verification report); `code`
    restricts the check to the certified copy with that verification code."""
    sha256 = hashlib.sha256(data).hexdigest()
    if code is not None:
        return _by_code(uow, code, sha256, FoundBy.CODE_GIVEN)
    for document in uow.repository(IssuedRecordLookup).issued_with_sha256([sha256]):
        return _match(uow, document, identical=True, found_by=FoundBy.SAME_FILE)
    for document in uow.repository(IssuedRecordLookup).issued_with_sha256(
        _prefix_hashes(data, revision_ends)
    ):
        return _match(uow, document, identical=False, found_by=FoundBy.RECORD_THEN_CHANGES)
    printed = code_in_pdf(data)
    if printed is not None:
        return _by_code(uow, printed, sha256, FoundBy.CODE_IN_FILE)
    return None


def _prefix_hashes(data: bytes, revision_ends: Sequence[int]) -> list[str]:
    """SHA-256 of the file up to each revision's end (the last few: a paper on record with
    a handful of updates appended, not a file built of thousands of revisions), in one pass."""
    ends = sorted({end for end in revision_ends if 0 < end < len(data)})[-MAX_REVISIONS:]
    view = memoryview(data)
    digest = hashlib.sha256()
    hashes: list[str] = []
    start = 0
    for end in ends:
        digest.update(view[start:end])
        hashes.append(digest.hexdigest())
        start = end
    return hashes


def code_in_pdf(data: bytes) -> str | None:
    """The verification code printed on the certification page (the last page), if any.
    Only called on files the verifier has already parsed."""
    import pypdfium2

    with PDFIUM_LOCK:  # PDFium is not thread-safe
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            return None
        try:
            if len(pdf) == 0:
                return None
            page = pdf[len(pdf) - 1]
            try:
                textpage = page.get_textpage()
                try:
                    text = str(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                page.close()
        finally:
            pdf.close()
    # The link wraps over lines on the page: join them back before looking.
    found = _CODE_IN_TEXT.search(re.sub(r"\s*[\r\n]+\s*", "", text)) or _CODE_IN_TEXT.search(text)
    return found[1] if found else None


def _by_code(uow: UnitOfWork, code: str, sha256: str, found_by: FoundBy) -> RecordMatch | None:
    if not _CODE.fullmatch(code):
        return None
    record = uow.repository(CertificationRepository).by_code(code)
    if record is None:
        return None
    document = lookups.current_version(uow, record.document_id)
    if document is None:  # pragma: no cover - foreign keys
        return None
    identical = sha256 == document.blob.sha256
    return _copy_match(uow, document, record, identical=identical, found_by=found_by)


def _match(
    uow: UnitOfWork, document: Document, *, identical: bool, found_by: FoundBy
) -> RecordMatch:
    if document.origin is DocumentOrigin.CERTIFIED_COPY:
        record = uow.repository(CertificationRepository).by_document(document.lineage_id)
        if record is not None:
            return _copy_match(uow, document, record, identical=identical, found_by=found_by)
    office = document.issuer_agency_code
    return _record(
        uow,
        document,
        RecordMatch(
            kind=RecordKind.ISSUED_RESULT,
            identical=identical,
            found_by=found_by,
            number=document.reference_number,
            book=None,
            office_code=office,
            office_name=(lookups.agency_name(uow, office) or office) if office else None,
            issued_on=document.issue_date,
            paper_type=document.paper_type,
            paper_type_name_vi=document.paper_type,
            paper_type_name_en=document.paper_type,
            title=document.title,
            verification_code=None,
            record_sha256=document.blob.sha256,
            current=document.status is DocumentStatus.CURRENT,
        ),
    )


def _copy_match(
    uow: UnitOfWork,
    document: Document,
    record: CertifiedCopyRecord,
    *,
    identical: bool,
    found_by: FoundBy,
) -> RecordMatch:
    office = record.office_agency_code
    return _record(
        uow,
        document,
        RecordMatch(
            kind=RecordKind.CERTIFIED_COPY,
            identical=identical,
            found_by=found_by,
            number=f"{record.number}{ELECTRONIC_SUFFIX}",
            book=record.book,
            office_code=office,
            office_name=lookups.agency_name(uow, office) or office,
            issued_on=record.certified_on,
            paper_type=record.paper_type,
            paper_type_name_vi=record.paper_type,
            paper_type_name_en=record.paper_type,
            title=record.title,
            verification_code=record.verification_code,
            record_sha256=document.blob.sha256,
            current=document.status is DocumentStatus.CURRENT,
        ),
    )


def _record(uow: UnitOfWork, document: Document, match: RecordMatch) -> RecordMatch:
    """Names the paper type, and audits the look-up against the owner's paper."""
    paper_type = lookups.paper_type(uow, match.paper_type)
    if paper_type is not None:
        match = replace(
            match, paper_type_name_vi=paper_type.name_vi, paper_type_name_en=paper_type.name_en
        )
    uow.record(
        AuditDraft(
            action="document.public_file_check",
            owner_id=document.owner_id,
            document_id=document.id,
            purpose="public verification of a file presented by its holder",
            detail=f"{match.found_by.value}, identical={str(match.identical).lower()}",
        )
    )
    return match
