"""Domain types of the vault. Frozen: services hand them out, nobody mutates them."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

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


class DocumentStatus(StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"  # a reissue replaced it; it stays readable on record


class MediaType(StrEnum):
    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"
    TIFF = "image/tiff"


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


@dataclass(frozen=True, slots=True)
class DossierAttachment:
    dossier_id: uuid.UUID
    document_id: uuid.UUID
    attached_at: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
