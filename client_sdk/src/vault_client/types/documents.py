from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

from vault_client.types._base import VaultModel
from vault_client.types.enums import DocumentOrigin, DocumentStatus


class ContentInfo(VaultModel):
    size: int
    media_type: str
    sha256: str


class Document(VaultModel):
    """A stored paper (one version of it)."""

    id: uuid.UUID
    owner_id: uuid.UUID
    paper_type: str
    title: str
    reference_number: str | None
    issuer_agency_code: str | None
    # False: the issuer is as stated by whoever stored the paper (a scan), unverified.
    issuer_verified: bool = False
    issue_date: date | None
    valid_until: date | None
    origin: DocumentOrigin
    status: DocumentStatus
    lineage_id: uuid.UUID
    version: int
    supersedes_id: uuid.UUID | None
    content: ContentInfo
    has_signature: bool
    created_at: datetime


class Download(VaultModel):
    """What a download wrote: where (`path`, or None for a stream), how much, and what."""

    document_id: uuid.UUID
    path: Path | None
    size: int
    media_type: str
    sha256: str
    # True when the SHA-256 of what arrived was compared with the vault's and matched.
    verified: bool
