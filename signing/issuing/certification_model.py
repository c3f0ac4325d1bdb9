"""What a certified copy is (chứng thực bản sao điện tử từ bản chính): the book entry, the
refusal and its reasons (Decree 23/2015/NĐ-CP, art. 22), the request an officer makes, and the
copy made. Plain data: the use case is `certification`, the public page `public_view`, the
tables `db.certification_models`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from signing.issuing.db.certification_models import REFUSAL_REASONS
from vault.domain import Document
from vault.errors import InvalidInput

ELECTRONIC_SUFFIX = "/ĐT"
_BOOK = re.compile(r"[0-9A-Za-zÀ-ỹĐđ][0-9A-Za-zÀ-ỹĐđ ./-]{0,31}")


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


@dataclass(frozen=True, slots=True)
class CertifiedCopyRecord:
    id: uuid.UUID
    document_id: uuid.UUID  # the copy's first version (its lineage id)
    owner_id: uuid.UUID
    office_agency_code: str
    book: str
    year: int
    number: int
    verification_code: str
    paper_type: str
    title: str
    pages: int
    content_sha256: str
    officer_account_id: uuid.UUID
    officer_name: str
    certified_on: date
    valid_until: date | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RefusalRecord:
    id: uuid.UUID
    office_agency_code: str
    owner_id: uuid.UUID
    paper_type: str
    reason: str
    note: str | None
    officer_account_id: uuid.UUID
    officer_name: str
    refused_at: datetime


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


def normalise_book(book: str) -> str:
    book = " ".join(book.split())
    if not _BOOK.fullmatch(book):
        raise InvalidInput("book", "a book is 1 to 32 letters, digits, spaces, '.', '/' or '-'")
    return book
