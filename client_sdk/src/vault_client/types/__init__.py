"""The SDK's request and response models."""

from vault_client.types.auth import Identity, Jwk, Jwks, Token
from vault_client.types.catalogue import Indicator, Indicators, PaperType, Procedure, Requirement
from vault_client.types.consents import (
    AccessRecord,
    Consent,
    ConsentReceipt,
    ReceiptBody,
    ReceiptController,
    ReceiptService,
)
from vault_client.types.documents import ContentInfo, Document, Download
from vault_client.types.dossiers import Attachment, Candidate, Dossier, NeededPaper, ReusePlan
from vault_client.types.enums import (
    ActorKind,
    AttachmentRole,
    DocumentOrigin,
    DocumentStatus,
    DossierStatus,
    OwnerKind,
    Reuse,
    Role,
)
from vault_client.types.health import Health, Readiness
from vault_client.types.owners import Owner
from vault_client.types.problems import FieldError, Problem

__all__ = [
    "AccessRecord",
    "ActorKind",
    "Attachment",
    "AttachmentRole",
    "Candidate",
    "Consent",
    "ConsentReceipt",
    "ContentInfo",
    "Document",
    "DocumentOrigin",
    "DocumentStatus",
    "Dossier",
    "DossierStatus",
    "Download",
    "FieldError",
    "Health",
    "Identity",
    "Indicator",
    "Indicators",
    "Jwk",
    "Jwks",
    "NeededPaper",
    "Owner",
    "OwnerKind",
    "PaperType",
    "Problem",
    "Procedure",
    "Readiness",
    "ReceiptBody",
    "ReceiptController",
    "ReceiptService",
    "Requirement",
    "Reuse",
    "ReusePlan",
    "Role",
    "Token",
]
