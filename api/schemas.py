"""Request and response bodies. Separate from the tables and from the domain types."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from vault import identifiers
from vault.domain import (
    AttachmentRole,
    Document,
    DocumentOrigin,
    DocumentStatus,
    Dossier,
    DossierAttachment,
    DossierStatus,
    Owner,
    OwnerKind,
    PaperType,
)

T = TypeVar("T")


def _control_free(value: str) -> str:
    found = identifiers.control_character(value)
    if found is not None:
        raise PydanticCustomError(
            "control_character",
            "control character U+{code} is not allowed here",
            {"code": f"{ord(found):04X}"},
        )
    return value


class _ControlFree:
    """Refuses control characters (tab, LF and CR aside) with 422, before any database sees
    them (SQLite would store a NUL, PostgreSQL's driver fails on it); says so in the schema."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_control_free, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = identifiers.CONTROL_FREE_PATTERN
        return json_schema


# Free text a person typed (titles, names, reference numbers): any character but controls.
Text = Annotated[str, _ControlFree()]


class OwnerCreate(BaseModel):
    kind: OwnerKind
    identifier: str = Field(
        description="Personal identification number (12 digits) for a citizen; enterprise/tax "
        "code (10 digits, or NNNNNNNNNN-NNN) for an organisation.",
        examples=["079203001234"],
        max_length=32,
    )
    display_name: Text = Field(max_length=255, examples=["Nguyễn Thị Hương"])


class OwnerLookup(BaseModel):
    identifier: str = Field(max_length=32, examples=["079203001234"])


class OwnerOut(BaseModel):
    id: uuid.UUID
    kind: OwnerKind
    identifier: str
    display_name: str
    created_at: datetime

    @classmethod
    def of(cls, owner: Owner) -> OwnerOut:
        return cls(
            id=owner.id,
            kind=owner.kind,
            identifier=owner.identifier,
            display_name=owner.display_name,
            created_at=owner.created_at,
        )


class PaperTypeOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    default_validity_days: int | None

    @classmethod
    def of(cls, p: PaperType) -> PaperTypeOut:
        return cls(
            code=p.code,
            name_vi=p.name_vi,
            name_en=p.name_en,
            default_validity_days=p.default_validity_days,
        )


class DocumentForm(BaseModel):
    """Metadata sent as form fields beside the file."""

    paper_type: str = Field(max_length=64, examples=["birth_certificate"])
    title: Text = Field(max_length=500, examples=["Giấy khai sinh"])
    origin: DocumentOrigin = DocumentOrigin.DIGITISED
    reference_number: Text | None = Field(default=None, max_length=100, examples=["15/QĐ-UBND"])
    issuer_agency_code: str | None = Field(default=None, max_length=16, examples=["000.00.15.H57"])
    issue_date: date | None = None
    valid_until: date | None = None
    dossier_id: uuid.UUID | None = Field(
        default=None, description="For a scan digitised while receiving this dossier"
    )


class ContentOut(BaseModel):
    size: int
    media_type: str
    sha256: str


class DocumentOut(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    paper_type: str
    title: str
    reference_number: str | None
    issuer_agency_code: str | None
    issuer_verified: bool = Field(
        description="True when the vault knows the issuer (a result its officers recorded, a "
        "certified copy it made); otherwise the issuer is as stated by whoever stored the "
        "paper, unverified, and grants no access."
    )
    issue_date: date | None
    valid_until: date | None
    origin: DocumentOrigin
    status: DocumentStatus
    lineage_id: uuid.UUID
    version: int
    supersedes_id: uuid.UUID | None
    content: ContentOut
    has_signature: bool
    created_at: datetime

    @classmethod
    def of(cls, d: Document) -> DocumentOut:
        return cls(
            id=d.id,
            owner_id=d.owner_id,
            paper_type=d.paper_type,
            title=d.title,
            reference_number=d.reference_number,
            issuer_agency_code=d.issuer_agency_code,
            issuer_verified=d.issuer_verified,
            issue_date=d.issue_date,
            valid_until=d.valid_until,
            origin=d.origin,
            status=d.status,
            lineage_id=d.lineage_id,
            version=d.version,
            supersedes_id=d.supersedes_id,
            content=ContentOut(
                size=d.blob.size, media_type=d.blob.media_type.value, sha256=d.blob.sha256
            ),
            has_signature=d.has_signature,
            created_at=d.created_at,
        )


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class DossierCreate(BaseModel):
    dossier_code: str = Field(max_length=32, examples=["000.00.15.H57-250115-0001"])
    procedure_code: str = Field(max_length=16, examples=["1.001193"])
    owner_id: uuid.UUID
    receiving_agency_code: str | None = Field(
        default=None, max_length=16, description="Defaults to the agency in the dossier code."
    )
    received_at: datetime | None = Field(
        default=None, description="Defaults to now; must fall on the day in the dossier code."
    )


class DossierOut(BaseModel):
    id: uuid.UUID
    dossier_code: str
    procedure_code: str
    receiving_agency_code: str
    owner_id: uuid.UUID
    received_at: datetime
    created_at: datetime
    status: DossierStatus
    returned_at: datetime | None = None

    @classmethod
    def of(cls, d: Dossier) -> DossierOut:
        return cls(
            id=d.id,
            dossier_code=d.code,
            procedure_code=d.procedure_code,
            receiving_agency_code=d.receiving_agency_code,
            owner_id=d.owner_id,
            received_at=d.received_at,
            created_at=d.created_at,
            status=d.status,
            returned_at=d.returned_at,
        )


class AttachRequest(BaseModel):
    document_id: uuid.UUID
    reused: Literal[1, 2] = Field(
        default=1, description="1: reused as is; 2: reused through a result that replaces it"
    )
    replacing_result_code: str | None = Field(default=None, examples=["KQ.G15.000031"])


class ResultRequest(BaseModel):
    document_id: uuid.UUID
    result_code: str = Field(examples=["KQ.G15.000031"], description="Mã kết quả, KQ.Gnn.nnnnnn")


class AttachmentOut(BaseModel):
    """A dossier component or result, with the national sync payload's flags."""

    dossier_id: uuid.UUID
    document_id: uuid.UUID
    attached_at: datetime
    role: AttachmentRole
    digitised: bool
    reused: int
    from_warehouse: bool
    replacing_result_code: str | None
    result_code: str | None

    @classmethod
    def of(cls, a: DossierAttachment) -> AttachmentOut:
        return cls(
            dossier_id=a.dossier_id,
            document_id=a.document_id,
            attached_at=a.attached_at,
            role=a.role,
            digitised=a.digitised,
            reused=int(a.reused),
            from_warehouse=a.from_warehouse,
            replacing_result_code=a.replacing_result_code,
            result_code=a.result_code,
        )
