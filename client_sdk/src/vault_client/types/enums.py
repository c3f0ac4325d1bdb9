"""The vault's enumerations, as they travel on the wire."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Literal, TypeAlias


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


class DossierStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AttachmentRole(StrEnum):
    COMPONENT = "component"  # thành phần hồ sơ
    RESULT = "result"  # kết quả giải quyết


class Reuse(IntEnum):
    """The national sync payload's `reused` flag of a dossier component."""

    NO = 0
    YES = 1
    BY_REPLACING_RESULT = 2  # reused through a result that replaces the component


class Role(StrEnum):
    RECEIVING_OFFICER = "receiving_officer"
    CERTIFYING_OFFICER = "certifying_officer"
    ISSUING_OFFICER = "issuing_officer"
    VERIFIER = "verifier"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"
    RECORDS_OFFICER = "records_officer"


class ActorKind(StrEnum):
    OFFICER = "officer"
    OWNER = "owner"


# What the methods accept: the enum, or its value as a plain string literal.
OwnerKindLike: TypeAlias = OwnerKind | Literal["citizen", "organisation"]
DocumentOriginLike: TypeAlias = (
    DocumentOrigin | Literal["digitised", "certified_copy", "issued_result", "uploaded_by_owner"]
)
