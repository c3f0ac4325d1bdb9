from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from vault_client.types._base import VaultModel


class Consent(VaultModel):
    """An owner's consent for an agency to read some of their paper types for a purpose."""

    id: uuid.UUID
    agency_code: str
    paper_types: list[str]
    purpose: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class ReceiptController(VaultModel):
    agency_code: str = Field(alias="agencyCode")
    name: str | None


class ReceiptService(VaultModel):
    purpose: str
    pii_categories: list[str] = Field(alias="piiCategories")
    expires: datetime


class ReceiptBody(VaultModel):
    """The receipt's fields (after the Kantara Consent Receipt)."""

    version: str
    consent_receipt_id: uuid.UUID = Field(alias="consentReceiptID")
    consent_timestamp: datetime = Field(alias="consentTimestamp")
    pii_principal_id: uuid.UUID = Field(alias="piiPrincipalId")
    pii_controllers: list[ReceiptController] = Field(alias="piiControllers")
    services: list[ReceiptService]
    revoked: datetime | None


class ConsentReceipt(VaultModel):
    """The receipt and the vault's signature over it (a JWS: check it with the keys from
    `client.auth.jwks()`)."""

    receipt: ReceiptBody
    jws: str


class AccessRecord(VaultModel):
    """One access to an owner's papers: who, when, for which dossier, and the outcome."""

    seq: int
    at: datetime
    who: str | None
    agency_code: str | None
    agency_name: str | None
    role: str | None
    action: str
    outcome: str
    document_id: uuid.UUID | None
    dossier_id: uuid.UUID | None
    dossier_code: str | None
    procedure_code: str | None
    purpose: str | None
