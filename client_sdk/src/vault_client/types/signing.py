"""Signing results, electronic certified copies (bản sao điện tử chứng thực từ bản chính),
refusals to certify, and the public record of a certified copy."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, TypeAlias

from vault_client.types._base import VaultModel
from vault_client.types.documents import Document


class PadesLevel(StrEnum):
    """How much a signature carries for verification later."""

    B_T = "B-T"  # with a trusted timestamp
    B_LT = "B-LT"  # also the revocation data: verifiable offline years later


PadesLevelLike: TypeAlias = PadesLevel | Literal["B-T", "B-LT"]


class RefusalReason(StrEnum):
    """Why an original may not be certified (Decree 23/2015/NĐ-CP, art. 22)."""

    ALTERED = "altered"  # erased, corrected, added to or cut
    DAMAGED = "damaged"  # too worn to make out
    CLASSIFIED = "classified"  # stamped secret, or marked "not to be copied"
    UNLAWFUL_CONTENT = "unlawful_content"
    NOT_LEGALISED = "not_legalised"  # foreign paper without consular legalisation
    UNCONFIRMED_PRIVATE = "unconfirmed_private"  # drawn up by a person, unconfirmed


RefusalReasonLike: TypeAlias = (
    RefusalReason
    | Literal[
        "altered",
        "damaged",
        "classified",
        "unlawful_content",
        "not_legalised",
        "unconfirmed_private",
    ]
)


class Certification(VaultModel):
    """The certification record of a copy: its number in the office's book, and the code
    (in the copy's QR code) under which anyone may check it."""

    number: int
    number_text: str  # "15/ĐT"
    book: str
    year: int
    certified_on: date
    office_agency_code: str
    officer_name: str
    pages: int
    verification_code: str
    verification_url: str
    content_sha256: str


class CertifiedCopy(VaultModel):
    """A certified copy made from scans: the stored paper and its certification."""

    document: Document
    certification: Certification


class Refusal(VaultModel):
    """A recorded refusal to certify an original, with its legal reason."""

    id: uuid.UUID
    owner_id: uuid.UUID
    office_agency_code: str
    paper_type: str
    reason: RefusalReason
    reason_text: str  # in Vietnamese, as it is told to the citizen
    legal_basis: str
    note: str | None
    officer_name: str
    refused_at: datetime


class RefusalReasonInfo(VaultModel):
    """One reason an original may not be certified, as the vault words it."""

    code: RefusalReason
    text: str
    legal_basis: str


class PublicSignature(VaultModel):
    """One signature on a certified copy, as the public check reports it."""

    signer: str | None
    signed_at: datetime | None  # proven by a timestamp when `timestamped`
    timestamped: bool
    valid: bool
    indication: str  # ETSI EN 319 102-1: TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE
    sub_indication: str | None


class PublicCertifiedCopy(VaultModel):
    """What anyone holding a certified copy (or its QR code) may learn about it: what was
    certified, by whom, when, until when, and whether its signatures check. Never whose
    paper it is."""

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
    # Whether the SHA-256 given as `sha256=` (read from the QR code) is the record's; None
    # when none was given.
    qr_hash_matches: bool | None
    signatures_valid: bool
    signatures_problem: str | None
    signatures: list[PublicSignature]
