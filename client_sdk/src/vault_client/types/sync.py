"""The dossier sync to the National Public Service Portal: its queue, dead letters and the
reconciliation with the 766 indicators cross-checked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from vault_client.types._base import VaultModel

SyncEventStatus = Literal["pending", "sending", "delivered", "dead"]


class SyncStatus(VaultModel):
    pending: int
    sending: int
    delivered: int
    dead: int
    blocked: int  # pending events held behind a dead letter of their dossier
    oldest_due: datetime | None


class SyncEvent(VaultModel):
    """One dossier event of the sync (its payload is never shown)."""

    id: uuid.UUID
    dossier_id: uuid.UUID
    dossier_code: str
    agency_code: str
    sequence: int
    kind: str
    status: SyncEventStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    portal_reference: str | None


class IndicatorFigures(VaultModel):
    numerator: int
    denominator: int
    percent: float | None


class IndicatorCheck(VaultModel):
    code: str
    name: str
    vault: IndicatorFigures
    synced: IndicatorFigures
    agrees: bool


class DossierDifference(VaultModel):
    dossier_id: uuid.UUID
    dossier_code: str
    reasons: list[str]
    indicators: list[str]


class Reconciliation(VaultModel):
    """What the portal acknowledged against what the vault holds, for an agency and month."""

    agency_code: str
    month: str
    agrees: bool
    dossiers: int
    dossiers_synced: int
    events: int
    acknowledged: int
    pending: int
    dead: int
    indicators: list[IndicatorCheck]
    differences: list[DossierDifference]
