"""Read-only look-ups of the vault's records for the packages built on it (signing, OCR, the
console): does an owner exist, an owner, a paper type, an agency's name, an account, a document
version, what an Idempotency-Key was first used for.

No access check and no audit entry: the calling use case has checked its actor's role and
decides what it shows. They keep `vault.db`'s repositories out of the packages' hands.
"""

from __future__ import annotations

import uuid

from vault.db import UnitOfWork
from vault.domain import Account, Document, Owner, PaperType


def owner_exists(uow: UnitOfWork, owner_id: uuid.UUID) -> bool:
    return uow.owners.get(owner_id) is not None


def owner(uow: UnitOfWork, owner_id: uuid.UUID) -> Owner | None:
    return uow.owners.get(owner_id)


def idempotent_request(
    uow: UnitOfWork, account_id: uuid.UUID, key: str
) -> tuple[str, uuid.UUID] | None:
    """What this account's Idempotency-Key was first used for, and the document it made."""
    return uow.documents.idempotent(account_id, key)


def paper_type(uow: UnitOfWork, code: str) -> PaperType | None:
    return uow.paper_types.get(code)


def agency_name(uow: UnitOfWork, code: str) -> str | None:
    """The agency's name (tên cơ quan), None if no agency has this code."""
    return uow.accounts.agency_name(code)


def account(uow: UnitOfWork, account_id: uuid.UUID) -> Account | None:
    return uow.accounts.get(account_id)


def document(uow: UnitOfWork, document_id: uuid.UUID) -> Document | None:
    """That stored version, whatever its status."""
    return uow.documents.get(document_id)


def current_version(uow: UnitOfWork, lineage_id: uuid.UUID) -> Document | None:
    """The current version of a paper, by its lineage id (its first version's id)."""
    return uow.documents.current_version(lineage_id)
