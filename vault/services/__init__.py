"""Use cases of the vault. Each takes a unit of work, flushes, and never commits.

`UnitOfWork` and `UnitOfWorkFactory` are re-exported for the callers' annotations: code
outside the vault names the types from here and reaches the database only through these
services."""

from vault.db import UnitOfWork, UnitOfWorkFactory
from vault.services.content_reader import ByteRange, ContentReader, ContentStream
from vault.services.document_inputs import AuthorisedUpload, DocumentFilters, NewDocument
from vault.services.documents import DocumentService
from vault.services.dossiers import DossierService
from vault.services.maintenance import (
    ReconcileReport,
    reconcile,
    reseal_identifiers,
    rotate_keys,
)
from vault.services.owners import OwnerService

__all__ = [
    "AuthorisedUpload",
    "ByteRange",
    "ContentReader",
    "ContentStream",
    "DocumentFilters",
    "DocumentService",
    "DossierService",
    "NewDocument",
    "OwnerService",
    "ReconcileReport",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "reconcile",
    "reseal_identifiers",
    "rotate_keys",
]
