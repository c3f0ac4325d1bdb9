"""Use cases of the vault. Each takes a unit of work, flushes, and never commits."""

from vault.services.documents import (
    ByteRange,
    ContentStream,
    DocumentFilters,
    DocumentService,
    NewDocument,
)
from vault.services.dossiers import DossierService
from vault.services.maintenance import (
    ReconcileReport,
    reconcile,
    reseal_identifiers,
    rotate_keys,
)
from vault.services.owners import OwnerService

__all__ = [
    "ByteRange",
    "ContentStream",
    "DocumentFilters",
    "DocumentService",
    "DossierService",
    "NewDocument",
    "OwnerService",
    "ReconcileReport",
    "reconcile",
    "reseal_identifiers",
    "rotate_keys",
]
