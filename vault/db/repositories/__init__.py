"""Repositories: the queries of the vault, returning domain objects; one module per aggregate.

Import them from here (`from vault.db.repositories import DocumentRepository`); the unit of
work builds one of each on its session.
"""

from vault.db.repositories.accounts import AccountRepository, ClientRepository, account_from_row
from vault.db.repositories.audit import AuditRepository, audit_from_row
from vault.db.repositories.catalogue import PaperTypeRepository, ProcedureRepository
from vault.db.repositories.consents import ConsentRepository, consent_from_row
from vault.db.repositories.documents import (
    DOCUMENT_COLUMNS,
    BlobRepository,
    DocumentRepository,
    VisibleSet,
    blob_from_row,
    document_from_columns,
    document_from_row,
    select_documents,
)
from vault.db.repositories.dossiers import (
    DossierRepository,
    attachment_from_row,
    dossier_from_row,
)
from vault.db.repositories.idempotency import IdempotencyKeyRepository
from vault.db.repositories.indicators import (
    DossierFacts,
    IndicatorRepository,
    dossier_fact_columns,
    received_dossiers,
)
from vault.db.repositories.owners import OwnerRepository

# The name the OCR and signing look-ups imported when this was one module.
_select_documents = select_documents

__all__ = [
    "DOCUMENT_COLUMNS",
    "AccountRepository",
    "AuditRepository",
    "BlobRepository",
    "ClientRepository",
    "ConsentRepository",
    "DocumentRepository",
    "DossierFacts",
    "DossierRepository",
    "IdempotencyKeyRepository",
    "IndicatorRepository",
    "OwnerRepository",
    "PaperTypeRepository",
    "ProcedureRepository",
    "VisibleSet",
    "account_from_row",
    "attachment_from_row",
    "audit_from_row",
    "blob_from_row",
    "consent_from_row",
    "document_from_columns",
    "document_from_row",
    "dossier_fact_columns",
    "dossier_from_row",
    "received_dossiers",
    "select_documents",
]
