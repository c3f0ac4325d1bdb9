"""Domain types of the vault. Frozen: services hand them out, nobody mutates them."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7 layout): sorting by id is sorting by creation time,
    which keeps B-tree inserts local and lets cursors page on the id alone."""
    ms = time.time_ns() // 1_000_000
    raw = bytearray(ms.to_bytes(6, "big") + os.urandom(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    return uuid.UUID(bytes=bytes(raw))


class OwnerKind(StrEnum):
    CITIZEN = "citizen"  # công dân, by personal identification number
    ORGANISATION = "organisation"  # tổ chức, by enterprise / tax code


class DocumentOrigin(StrEnum):
    DIGITISED = "digitised"  # số hóa from paper at a one-stop shop
    CERTIFIED_COPY = "certified_copy"  # bản sao điện tử chứng thực từ bản chính
    ISSUED_RESULT = "issued_result"  # kết quả giải quyết TTHC issued electronically
    UPLOADED_BY_OWNER = "uploaded_by_owner"


# Origins whose issuer the vault checked at upload: the uploader's own agency.
VERIFIED_ISSUER_ORIGINS = frozenset({DocumentOrigin.ISSUED_RESULT, DocumentOrigin.CERTIFIED_COPY})


class DocumentStatus(StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"  # a reissue replaced it; it stays readable on record


class MediaType(StrEnum):
    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"
    TIFF = "image/tiff"


class DossierStatus(StrEnum):
    OPEN = "open"  # đang xử lý
    CLOSED = "closed"  # đã trả kết quả / kết thúc


class AttachmentRole(StrEnum):
    COMPONENT = "component"  # thành phần hồ sơ
    RESULT = "result"  # kết quả giải quyết


class Reuse(int, Enum):
    """The national sync payload's `reused` flag of a dossier component."""

    NO = 0
    YES = 1
    BY_REPLACING_RESULT = 2  # reused through a result that replaces the component


@dataclass(frozen=True, slots=True)
class Owner:
    id: uuid.UUID
    kind: OwnerKind
    identifier: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaperType:
    code: str
    name_vi: str
    name_en: str
    default_validity_days: int | None  # None: valid indefinitely


@dataclass(frozen=True, slots=True)
class Blob:
    id: uuid.UUID
    object_key: str
    size: int
    media_type: MediaType
    sha256: str  # of the plaintext, hex
    key_id: str  # master key that wraps this blob's data key


@dataclass(frozen=True, slots=True)
class Document:
    id: uuid.UUID
    owner_id: uuid.UUID
    paper_type: str
    title: str
    reference_number: str | None  # số ký hiệu
    issuer_agency_code: str | None
    issue_date: date | None
    valid_until: date | None  # None: valid indefinitely
    origin: DocumentOrigin
    status: DocumentStatus
    lineage_id: uuid.UUID  # id of the first version; all versions share it
    version: int
    supersedes_id: uuid.UUID | None
    blob: Blob
    created_at: datetime
    has_signature: bool = False

    @property
    def issuer_verified(self) -> bool:
        """The issuer is the agency whose officers recorded (or whose certificate signed) the
        paper: an issued result or a certified copy, stored only by that agency. Anything else
        carries its issuer as stated (on a scan, by whoever scanned it): unverified."""
        return self.issuer_agency_code is not None and self.origin in VERIFIED_ISSUER_ORIGINS

    @property
    def verified_issuer(self) -> str | None:
        return self.issuer_agency_code if self.issuer_verified else None

    def is_valid_on(self, day: date) -> bool:
        if self.issue_date is not None and day < self.issue_date:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True, slots=True)
class Dossier:
    id: uuid.UUID
    code: str  # mã hồ sơ
    procedure_code: str  # mã TTHC
    receiving_agency_code: str
    owner_id: uuid.UUID
    received_at: datetime
    created_at: datetime
    status: DossierStatus = DossierStatus.OPEN
    returned_at: datetime | None = None  # the result was handed back (NgayTra)
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DossierAttachment:
    dossier_id: uuid.UUID
    document_id: uuid.UUID
    attached_at: datetime
    role: AttachmentRole = AttachmentRole.COMPONENT
    digitised: bool = False
    reused: Reuse = Reuse.NO
    from_warehouse: bool = False
    replacing_result_code: str | None = None
    result_code: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Requirement:
    paper_type: str
    component_name: str
    replacing_result_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str
    name_vi: str
    returns_result: bool
    requirements: tuple[Requirement, ...]

    @property
    def paper_types(self) -> frozenset[str]:
        return frozenset(r.paper_type for r in self.requirements)


@dataclass(frozen=True, slots=True)
class Consent:
    id: uuid.UUID
    owner_id: uuid.UUID
    agency_code: str
    paper_types: tuple[str, ...]
    purpose: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def active_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and moment < self.expires_at


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor_id: str | None
    actor_name: str | None
    client_id: str | None
    agency_code: str | None
    role: str | None
    action: str
    owner_id: uuid.UUID | None
    document_id: uuid.UUID | None
    dossier_id: uuid.UUID | None
    purpose: str | None
    outcome: str
    detail: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ThrottleState:
    """Sign-in throttling of one subject (an account or a client): failures in a row, the
    last one, and the lockout if one is running."""

    subject: str
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class Account:
    """Tài khoản: an officer of an agency, or an owner signing in to their own warehouse."""

    id: uuid.UUID
    kind: str  # "officer" | "owner"
    username: str
    full_name: str
    agency_code: str | None
    owner_id: uuid.UUID | None
    roles: tuple[str, ...]
    password_hash: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class ApiClient:
    client_id: str
    name: str
    agency_code: str
    secret_hash: str
    active: bool


class SignatureStatus(StrEnum):
    """A stored document's signatures, as the configured verifier last judged them."""

    VALID = "valid"  # every signature TOTAL_PASSED
    INVALID = "invalid"  # some signature TOTAL_FAILED: broken, revoked, changed after signing
    INDETERMINATE = "indeterminate"  # could not be decided (e.g. no revocation data)
    UNSIGNED = "unsigned"  # nothing to check after all


@dataclass(frozen=True, slots=True)
class SignatureVerdict:
    status: SignatureStatus
    detail: str | None = None  # ETSI sub-indication (HASH_FAILURE, REVOKED, …) or problem
    signer: str | None = None


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    document_id: uuid.UUID
    sha256: str
    status: SignatureStatus
    detail: str | None
    signer: str | None
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class PeerCopy:
    """A paper taken from another province's vault (lấy từ kho của tỉnh khác): the local
    copy, and where it came from. Its signatures were verified here when it was taken."""

    document_id: uuid.UUID  # the copy in this vault
    peer: str  # the peer's name (VAULT_PEERS)
    peer_label: str  # "tỉnh Đồng Nai", as configured when it was taken
    remote_document_id: str
    sha256: str
    taken_at: datetime
    taken_by: str  # the officer's account id
    dossier_id: uuid.UUID  # the dossier it was first taken for


# -- the portal sync's outbox (vault.services.portal_sync) ------------------------------


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (new, or a retry after its backoff)
    SENDING = "sending"  # a delivery pass holds it under a lease
    DELIVERED = "delivered"  # the portal acknowledged it
    DEAD = "dead"  # refused, or out of attempts: waits for an operator's replay


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: uuid.UUID
    dossier_id: uuid.UUID
    dossier_code: str
    agency_code: str
    owner_id: uuid.UUID
    sequence: int
    kind: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None
    delivered_at: datetime | None = None
    ack_status: str | None = None
    portal_reference: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, hash=False, repr=False)


class ExportStatus(StrEnum):
    PENDING = "pending"  # asked for; the job is building it
    READY = "ready"  # built, waiting for its one download
    DOWNLOADED = "downloaded"  # delivered whole once; the package is deleted
    EXPIRED = "expired"  # not downloaded in time; the package is deleted
    FAILED = "failed"  # the job could not build it


@dataclass(frozen=True, slots=True)
class Export:
    """An export of an owner's warehouse (bản sao kho dữ liệu), one package, one download."""

    id: uuid.UUID
    owner_id: uuid.UUID
    requested_by: uuid.UUID
    job_id: uuid.UUID | None
    include_superseded: bool
    status: ExportStatus
    created_at: datetime
    object_key: str | None = None
    key_id: str | None = None
    size: int | None = None
    sha256: str | None = None
    documents: int | None = None
    bytes_sent: int = 0
    error: str | None = None
    ready_at: datetime | None = None
    expires_at: datetime | None = None
    downloaded_at: datetime | None = None
    deleted_at: datetime | None = None
