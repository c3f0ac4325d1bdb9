"""The sync feed to the National Public Service Portal: its state, its dead letters and their
replay, and the reconciliation of what the portal acknowledged against the vault (with the
766 indicators cross-checked). Payloads are never shown: they carry the owner's number."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ActorDep, UowDep
from vault.domain import OutboxEvent, OutboxStatus
from vault.services.portal_operations import PortalSyncOperations
from vault.services.portal_reconcile import Reconciliation

router = APIRouter(prefix="/sync", tags=["sync"])

_ops = PortalSyncOperations()


class SyncStatusOut(BaseModel):
    pending: int = Field(ge=0, description="Waiting to be sent (new, or a retry after backoff)")
    sending: int = Field(ge=0)
    delivered: int = Field(ge=0, description="Acknowledged by the portal")
    dead: int = Field(ge=0, description="Dead letters: refused, or out of attempts")
    blocked: int = Field(ge=0, description="Pending events held behind a dead letter")
    oldest_due: datetime | None = Field(description="When the oldest waiting event is due")


class SyncEventOut(BaseModel):
    id: uuid.UUID = Field(description="The event id (its idempotency key is derived from it)")
    dossier_id: uuid.UUID
    dossier_code: str = Field(examples=["000.00.15.H57-250106-0001"])
    agency_code: str
    sequence: int = Field(ge=1, description="1, 2, 3 … per dossier: the order it is sent in")
    kind: str = Field(examples=["received", "component_attached", "result_signed"])
    status: OutboxStatus
    attempts: int = Field(ge=0)
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    portal_reference: str | None

    @classmethod
    def of(cls, e: OutboxEvent) -> SyncEventOut:
        return cls(
            id=e.id,
            dossier_id=e.dossier_id,
            dossier_code=e.dossier_code,
            agency_code=e.agency_code,
            sequence=e.sequence,
            kind=e.kind,
            status=e.status,
            attempts=e.attempts,
            last_error=e.last_error,
            created_at=e.created_at,
            next_attempt_at=e.next_attempt_at,
            delivered_at=e.delivered_at,
            portal_reference=e.portal_reference,
        )


class ReplayRequest(BaseModel):
    event_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=500,
        description="The dead letters to send again; leave out to replay every one",
    )


class ReplayOut(BaseModel):
    replayed: int = Field(ge=0)


class IndicatorFiguresOut(BaseModel):
    numerator: int
    denominator: int
    percent: float | None


class IndicatorCheckOut(BaseModel):
    code: str = Field(examples=["4.1"])
    name: str
    vault: IndicatorFiguresOut = Field(description="The vault's own figures")
    synced: IndicatorFiguresOut = Field(description="What the acknowledged events imply")
    agrees: bool


class DossierDifferenceOut(BaseModel):
    dossier_id: uuid.UUID
    dossier_code: str
    reasons: list[str] = Field(
        description="not_synced; pending:N; dead:N; or the fact the portal holds otherwise "
        "(digitised_component, reused_component, warehouse_component, result_stored, "
        "signed_result)"
    )
    indicators: list[str] = Field(description="The indicator codes the difference moves")


class ReconciliationOut(BaseModel):
    agency_code: str
    month: str
    agrees: bool
    dossiers: int
    dossiers_synced: int = Field(description="Dossiers whose every event was acknowledged")
    events: int
    acknowledged: int
    pending: int
    dead: int
    indicators: list[IndicatorCheckOut]
    differences: list[DossierDifferenceOut]

    @classmethod
    def of(cls, r: Reconciliation) -> ReconciliationOut:
        return cls(
            agency_code=r.agency_code,
            month=r.month,
            agrees=r.agrees,
            dossiers=r.dossiers,
            dossiers_synced=r.dossiers_synced,
            events=r.events,
            acknowledged=r.acknowledged,
            pending=r.pending,
            dead=r.dead,
            indicators=[
                IndicatorCheckOut(
                    code=i.code,
                    name=i.name,
                    vault=IndicatorFiguresOut(
                        numerator=i.vault.numerator,
                        denominator=i.vault.denominator,
                        percent=i.vault.percent,
                    ),
                    synced=IndicatorFiguresOut(
                        numerator=i.synced.numerator,
                        denominator=i.synced.denominator,
                        percent=i.synced.percent,
                    ),
                    agrees=i.agrees,
                )
                for i in r.indicators
            ],
            differences=[
                DossierDifferenceOut(
                    dossier_id=d.dossier_id,
                    dossier_code=d.dossier_code,
                    reasons=list(d.reasons),
                    indicators=list(d.indicators),
                )
                for d in r.differences
            ],
        )


@router.get("/status", summary="The portal sync's queue: pending, delivered, dead, blocked")
def sync_status(uow: UowDep, actor: ActorDep) -> SyncStatusOut:
    s = _ops.status(uow, actor)
    return SyncStatusOut(
        pending=s.counts[OutboxStatus.PENDING],
        sending=s.counts[OutboxStatus.SENDING],
        delivered=s.counts[OutboxStatus.DELIVERED],
        dead=s.counts[OutboxStatus.DEAD],
        blocked=s.blocked,
        oldest_due=s.oldest_pending,
    )


@router.get("/dead-letters", summary="Events the portal refused, or that ran out of attempts")
def dead_letters(
    uow: UowDep,
    actor: ActorDep,
    agency_code: Annotated[str | None, Query(examples=["000.00.15.H57"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SyncEventOut]:
    events = _ops.dead_letters(uow, actor, agency_code=agency_code, limit=limit)
    return [SyncEventOut.of(e) for e in events]


@router.post(
    "/dead-letters/replay",
    summary="Send dead letters again (these, or every one), in order per dossier",
    responses={404: {"description": "No such sync event"}},
)
def replay(body: ReplayRequest, uow: UowDep, actor: ActorDep) -> ReplayOut:
    return ReplayOut(replayed=_ops.replay(uow, actor, body.event_ids))


@router.get(
    "/reconciliation",
    summary="What the portal acknowledged against what the vault holds, for an agency and "
    "month, with the 766 indicators cross-checked",
)
def reconciliation(
    uow: UowDep,
    actor: ActorDep,
    agency_code: Annotated[str, Query(examples=["000.00.15.H57"])],
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2025-01"])],
) -> ReconciliationOut:
    return ReconciliationOut.of(_ops.reconciliation(uow, actor, agency_code, month))
