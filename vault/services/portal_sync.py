"""Đồng bộ hồ sơ lên Cổng DVC quốc gia: the outbox and its delivery.

Every change the portal needs is written to the outbox (`portal_outbox`) by `record_event`,
in the transaction of the change itself, so none is lost and none is sent for a change that
rolled back. The `portal_sync` job (`PortalSyncHandler`) delivers the outbox through the
`NationalPortal` port:

- at least once, each event with its own idempotency key (the portal counts a repeat once);
- in order per dossier: an event leaves only with every earlier undelivered one of its
  dossier, in the same batch before it;
- a failed delivery is retried after an exponential backoff with jitter (or the portal's
  Retry-After); a refused event, or one out of attempts, goes dead and holds back the rest of
  its dossier until an operator replays it (`vault sync replay`, the console's sync page).

The owner's number travels in the payload only (never in a URL, a log line or the outbox).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from vault import metrics
from vault.db.outbox_repository import OutboxRepository
from vault.domain import AttachmentRole, OutboxEvent, OutboxStatus, Owner, OwnerKind
from vault.integrations.base import IntegrationError, IntegrationRefused, IntegrationUnavailable
from vault.integrations.portal import Acknowledgement, DossierEvent, NationalPortal
from vault.jobs import JobContext, JobPolicy, backoff_seconds
from vault.services.portal_payload import EventKind, Step, build_payload, with_owner
from vault.settings import Settings

if TYPE_CHECKING:
    from vault.db import UnitOfWork

log = logging.getLogger(__name__)

SYNC_KIND: Final = "portal_sync"
SYSTEM_OFFICER = "Hệ thống"
# Refusals that say nothing about the events (our credentials, a wrong URL): retried.
_NOT_THE_EVENTS = frozenset({401, 403, 404})


def record_event(
    uow: UnitOfWork,
    dossier_id: uuid.UUID,
    kind: EventKind,
    *,
    by: str = SYSTEM_OFFICER,
    title: str = "",
) -> uuid.UUID | None:
    """Appends the dossier's next event (the dossier as it now stands) to the outbox, in
    this unit of work, and makes sure a sync job is queued; the event's id. The one way into
    the outbox."""
    uow.flush()
    outbox = uow.repository(OutboxRepository)
    found = outbox.snapshot(dossier_id)
    if found is None:
        return None
    dossier, owner_kind, procedure_name, attached = found
    payload = build_payload(
        dossier,
        procedure_name,
        OwnerKind(owner_kind),
        attached,
        Step(kind, datetime.now(UTC), by, title),
    )
    event_id, _ = outbox.append(
        dossier_id=dossier.id,
        dossier_code=dossier.code,
        agency_code=dossier.receiving_agency_code,
        owner_id=dossier.owner_id,
        kind=kind.value,
        payload=payload,
    )
    if not outbox.job_waiting(SYNC_KIND):
        uow.jobs.enqueue(SYNC_KIND)
    return event_id


def record_document_event(
    uow: UnitOfWork,
    document_id: uuid.UUID,
    kind: EventKind,
    role: AttachmentRole,
    *,
    by: str = SYSTEM_OFFICER,
) -> int:
    """`record_event` for every dossier `document_id` is attached to with `role` (a scan
    read by OCR: only the dossiers it was scanned in for); the number of events written."""
    dossiers = uow.repository(OutboxRepository).dossiers_with_document(
        document_id, role.value, digitised=kind is EventKind.SCAN_DIGITISED
    )
    for dossier_id in dossiers:
        record_event(uow, dossier_id, kind, by=by)
    return len(dossiers)


# -- delivery ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    batch_size: int = 200
    max_attempts: int = 8
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    lease: timedelta = timedelta(minutes=2)
    # A sync job keeps looking for new events this long before it ends (lag stays low
    # without a job per event), and runs at most `budget_seconds` before it hands over.
    linger_seconds: float = 2.0
    poll_seconds: float = 0.05
    budget_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SyncPolicy:
        return cls(
            batch_size=settings.portal_sync_batch_size,
            max_attempts=settings.portal_sync_max_attempts,
            backoff_base_seconds=settings.portal_sync_backoff_base_seconds,
            backoff_max_seconds=settings.portal_sync_backoff_max_seconds,
        )

    def backoff(self, attempts: int) -> float:
        return backoff_seconds(attempts, self.backoff_base_seconds, self.backoff_max_seconds)


@dataclass(frozen=True, slots=True)
class PassReport:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0


UnitsOfWork = Callable[[], AbstractContextManager["UnitOfWork"]]


class PortalSync:
    """Delivers the outbox to the portal, one batch per `deliver_once`."""

    def __init__(
        self, uows: UnitsOfWork, portal: NationalPortal, policy: SyncPolicy | None = None
    ) -> None:
        self._uows = uows
        self._portal = portal
        self.policy = policy or SyncPolicy()

    def deliver_once(self) -> PassReport:
        with self._uows() as uow:
            outbox = uow.repository(OutboxRepository)
            claimed = outbox.claim(self.policy.batch_size, self.policy.lease)
            owners: dict[uuid.UUID, Owner] = uow.owners.get_many({e.owner_id for e in claimed})
            uow.commit()
        if not claimed:
            return PassReport()
        wire = {
            e.id: DossierEvent(
                e.id, e.dossier_code, e.sequence, e.kind, with_owner(e.payload, owners[e.owner_id])
            )
            for e in claimed
        }
        acks: list[Acknowledgement] = []
        refused: dict[uuid.UUID, str] = {}
        held: set[uuid.UUID] = set()
        error: str | None = None
        retry_after: float | None = None
        try:
            acks = self._portal.send_dossier_events([wire[e.id] for e in claimed])
        except IntegrationRefused as exc:
            if exc.status in _NOT_THE_EVENTS:
                error = str(exc)  # our credentials, not the events: retry, never dead
            else:
                # One bad event refuses its batch: find it by sending them one at a time.
                acks, refused, held, error = self._one_by_one(claimed, wire)
        except IntegrationError as exc:
            error = str(exc)
            if isinstance(exc, IntegrationUnavailable):
                retry_after = exc.retry_after
        return self._settle(claimed, acks, refused, held, error, retry_after)

    def _one_by_one(
        self, claimed: Sequence[OutboxEvent], wire: dict[uuid.UUID, DossierEvent]
    ) -> tuple[list[Acknowledgement], dict[uuid.UUID, str], set[uuid.UUID], str | None]:
        acks: list[Acknowledgement] = []
        refused: dict[uuid.UUID, str] = {}
        held: set[uuid.UUID] = set()  # not sent: an earlier event of the dossier was not taken
        stopped: set[uuid.UUID] = set()
        error: str | None = None
        for event in claimed:
            if event.dossier_id in stopped:
                held.add(event.id)
                continue
            try:
                got = self._portal.send_dossier_events([wire[event.id]])
            except IntegrationRefused as exc:
                if exc.status in _NOT_THE_EVENTS:
                    error = str(exc)
                else:
                    refused[event.id] = str(exc)
                got = []
            except IntegrationError as exc:
                error = str(exc)
                got = []
            acks.extend(got)
            if not got:
                stopped.add(event.dossier_id)
        return acks, refused, held, error

    def _settle(
        self,
        claimed: Sequence[OutboxEvent],
        acks: Sequence[Acknowledgement],
        refused: dict[uuid.UUID, str],
        held: set[uuid.UUID],
        error: str | None,
        retry_after: float | None,
    ) -> PassReport:
        acked = {a.event_id: a for a in acks}
        # An event acknowledged while an earlier one of its dossier was not is still
        # delivered (the portal holds it); the earlier one is sent again.
        missed = [
            e.id for e in claimed if e.id not in acked and e.id not in refused and e.id not in held
        ]
        policy = self.policy

        def delay(attempts: int) -> float:
            return max(policy.backoff(attempts), retry_after or 0.0)

        with self._uows() as uow:
            outbox = uow.repository(OutboxRepository)
            outbox.delivered([(a.event_id, a.status, a.reference) for a in acked.values()])
            outbox.release(held)
            dead: list[uuid.UUID] = []
            for event_id, why in refused.items():
                dead += outbox.failed([event_id], why, max_attempts=1, delay=delay, dead=True)
            if missed:
                why = error or "not acknowledged by the portal"
                dead += outbox.failed(missed, why, max_attempts=policy.max_attempts, delay=delay)
            uow.commit()
        metrics_count(len(acked), len(dead))
        if dead:
            log.warning("portal sync: %d event(s) dead-lettered", len(dead))
        if missed:
            log.info("portal sync: %d event(s) to retry (%s)", len(missed) - len(dead), error)
        return PassReport(
            claimed=len(claimed),
            delivered=len(acked),
            retried=len(missed) + len(refused) - len(dead),
            dead=len(dead),
        )

    def run_until_idle(self, *, timeout: float = 30.0, stop: threading.Event | None = None) -> int:
        """Delivers until nothing is due (a test's or a command's drain): events delivered."""
        deadline = time.monotonic() + timeout
        delivered = 0
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            report = self.deliver_once()
            delivered += report.delivered
            if report.claimed == 0:
                break
        return delivered


def metrics_count(delivered: int, dead: int) -> None:
    if delivered:
        metrics.portal_events.labels("delivered").inc(delivered)
    if dead:
        metrics.portal_events.labels("dead").inc(dead)


class PortalSyncHandler:
    """The `portal_sync` job: delivers what is due, lingers a little for new events, and
    before it ends queues its successor for the earliest retry still waiting."""

    kind = SYNC_KIND
    policy = JobPolicy(
        lease=timedelta(minutes=2), max_attempts=10, retry_base_seconds=5, retry_max_seconds=300
    )

    def __init__(
        self, uows: UnitsOfWork, portal: NationalPortal, sync_policy: SyncPolicy | None = None
    ) -> None:
        self._uows = uows
        self.sync = PortalSync(uows, portal, sync_policy)

    def run(self, context: JobContext) -> None:
        policy = self.sync.policy
        started = idle_since = time.monotonic()
        while time.monotonic() - started < policy.budget_seconds:
            context.check()
            report = self.sync.deliver_once()
            now = time.monotonic()
            if report.claimed:
                idle_since = now
                continue
            if now - idle_since >= policy.linger_seconds:
                break
            time.sleep(policy.poll_seconds)
        with self._uows() as uow:
            outbox = uow.repository(OutboxRepository)
            due = outbox.next_due()
            if due is not None and not outbox.job_waiting(SYNC_KIND):
                uow.jobs.enqueue(SYNC_KIND, run_after=max(due, datetime.now(UTC)))
            context.finish(uow)
            uow.commit()


# -- the operator's view -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncStatus:
    counts: dict[OutboxStatus, int]
    blocked: int  # pending events held behind a dead one of their dossier
    oldest_pending: datetime | None


def status(uow: UnitOfWork) -> SyncStatus:
    outbox = uow.repository(OutboxRepository)
    return SyncStatus(outbox.counts(), outbox.blocked(), outbox.next_due())


def dead_letters(
    uow: UnitOfWork, *, agency_code: str | None = None, limit: int = 100
) -> list[OutboxEvent]:
    return uow.repository(OutboxRepository).find(
        status=OutboxStatus.DEAD, agency_code=agency_code, limit=limit
    )


def replay(uow: UnitOfWork, event_ids: Sequence[uuid.UUID] | None = None) -> int:
    """Puts dead events (these, or every one) back in the queue, and queues a sync job."""
    outbox = uow.repository(OutboxRepository)
    count = outbox.replay(event_ids)
    if count and not outbox.job_waiting(SYNC_KIND):
        uow.jobs.enqueue(SYNC_KIND)
    return count
