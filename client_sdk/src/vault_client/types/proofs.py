"""Proof bundles of signed results and certified copies."""

from __future__ import annotations

import uuid
from datetime import datetime

from vault_client.types._base import VaultModel


class ProofStatus(VaultModel):
    """What the vault says now of a paper named in a proof bundle: "current", "superseded"
    (reissued or revoked since) or "unknown"."""

    document_id: uuid.UUID
    status: str
    checked_at: datetime
