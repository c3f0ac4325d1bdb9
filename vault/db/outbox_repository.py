"""The portal sync outbox (vault.services.portal_sync): append in the change's transaction,
claim due events under a lease, settle them from the portal's acknowledgements."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from vault.db.job_models import JobRow
from vault.db.models import DocumentRow, DossierDocumentRow, DossierRow, OwnerRow, ProcedureRow
from vault.db.repositories.documents import document_from_row
from vault.db.repositories.dossiers import attachment_from_row, dossier_from_row
from vault.db.repositories.indicators import (
    DossierFacts,
    dossier_fact_columns,
    received_dossiers,
)
from vault.db.sync_models import PortalOutboxRow
from vault.domain import (
    Document,
    Dossier,
    DossierAttachment,
    OutboxEvent,
    OutboxStatus,
    new_id,
)
from vault.jobs.model import JobStatus

_ERROR_LENGTH = 1000


def _event(row: PortalOutboxRow) -> OutboxEvent:
    return OutboxEvent(
        id=row.id,
        dossier_id=row.dossier_id,
        dossier_code=row.dossier_code,
        agency_code=row.agency_code,
        owner_id=row.owner_id,
        sequence=row.sequence,
        kind=row.kind,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        ack_status=row.ack_status,
        portal_reference=row.portal_reference,
        payload=row.payload,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- writing, in the change's transaction ---------------------------------------------

    def append(
        self,
        *,
        dossier_id: uuid.UUID,
        dossier_code: str,
        agency_code: str,
        owner_id: uuid.UUID,
        kind: str,
        payload: Mapping[str, Any],
    ) -> tuple[uuid.UUID, int]:
        """Adds the dossier's next event; the dossier's row is locked first (PostgreSQL), so
        two changes of one dossier get consecutive numbers in commit order."""
        self._s.execute(select(DossierRow.id).where(DossierRow.id == dossier_id).with_for_update())
        last = self._s.scalar(
            select(func.max(PortalOutboxRow.sequence)).where(
                PortalOutboxRow.dossier_id == dossier_id
            )
        )
        sequence = (last or 0) + 1
        now = _now()
        event_id = new_id()
        self._s.add(
            PortalOutboxRow(
                id=event_id,
                dossier_id=dossier_id,
                dossier_code=dossier_code,
                agency_code=agency_code,
                owner_id=owner_id,
                sequence=sequence,
                kind=kind,
                payload=dict(payload),
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        return event_id, sequence

    def snapshot(
        self, dossier_id: uuid.UUID
    ) -> tuple[Dossier, str, str, list[tuple[DossierAttachment, Document]]] | None:
        """What an event's payload is made of, in two queries: the dossier (its row locked on
        PostgreSQL, so two changes of one dossier number their events in commit order), its
        owner's kind, its procedure's name, and its attachments with their documents."""
        row = self._s.execute(
            select(DossierRow, OwnerRow.kind, ProcedureRow.name_vi)
            .join(OwnerRow, OwnerRow.id == DossierRow.owner_id)
            .outerjoin(ProcedureRow, ProcedureRow.code == DossierRow.procedure_code)
            .where(DossierRow.id == dossier_id)
            .with_for_update(of=DossierRow)
        ).first()
        if row is None:
            return None
        dossier_row, owner_kind, procedure_name = row
        attached = self._s.execute(
            select(DossierDocumentRow, DocumentRow)
            .join(DocumentRow, DocumentRow.id == DossierDocumentRow.document_id)
            .where(DossierDocumentRow.dossier_id == dossier_id)
            .order_by(DossierDocumentRow.attached_at, DocumentRow.id)
        ).all()
        return (
            dossier_from_row(dossier_row),
            owner_kind,
            procedure_name or "",
            [(attachment_from_row(a), document_from_row(d)) for a, d in attached],
        )

    def dossiers_with_document(
        self, document_id: uuid.UUID, role: str, *, digitised: bool = False
    ) -> list[uuid.UUID]:
        """The dossiers `document_id` is attached to in `role` (component, result); with
        `digitised`, only those it was scanned in for."""
        q = select(DossierDocumentRow.dossier_id).where(
            DossierDocumentRow.document_id == document_id, DossierDocumentRow.role == role
        )
        if digitised:
            q = q.where(DossierDocumentRow.digitised.is_(True))
        return list(self._s.scalars(q))

    def job_waiting(self, kind: str) -> bool:
        """Whether a job of `kind` is already queued and not yet started."""
        found = self._s.scalar(
            select(JobRow.id)
            .where(JobRow.kind == kind, JobRow.status == JobStatus.PENDING.value)
            .limit(1)
        )
        return found is not None

    # -- delivery -------------------------------------------------------------------------

    def claim(self, limit: int, lease: timedelta, now: datetime | None = None) -> list[OutboxEvent]:
        """Leases up to `limit` due events, in order per dossier: an event is taken only with
        every earlier undelivered event of its dossier (a dossier whose head waits for its
        backoff, or is dead, sends nothing). Commit right after."""
        now = now or _now()
        due = or_(
            and_(
                PortalOutboxRow.status == OutboxStatus.PENDING.value,
                PortalOutboxRow.next_attempt_at <= now,
            ),
            and_(
                PortalOutboxRow.status == OutboxStatus.SENDING.value,
                PortalOutboxRow.lease_until < now,
            ),
        )
        rows = list(
            self._s.scalars(
                select(PortalOutboxRow)
                .where(due)
                .order_by(PortalOutboxRow.created_at, PortalOutboxRow.sequence)
                .limit(limit)
                # Rendered on PostgreSQL only: concurrent passes take disjoint rows.
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:
            return []
        dossiers = {r.dossier_id for r in rows}
        heads = dict(
            self._s.execute(
                select(PortalOutboxRow.dossier_id, func.min(PortalOutboxRow.sequence))
                .where(
                    PortalOutboxRow.dossier_id.in_(dossiers),
                    PortalOutboxRow.status != OutboxStatus.DELIVERED.value,
                )
                .group_by(PortalOutboxRow.dossier_id)
            ).all()
        )
        taken: list[PortalOutboxRow] = []
        following: dict[uuid.UUID, int] = {}
        for row in sorted(rows, key=lambda r: (r.dossier_id, r.sequence)):
            expected = following.get(row.dossier_id, heads.get(row.dossier_id))
            if row.sequence != expected:
                following[row.dossier_id] = -1  # a gap: nothing later of this dossier
                continue
            taken.append(row)
            following[row.dossier_id] = row.sequence + 1
        if not taken:
            return []
        self._s.execute(
            update(PortalOutboxRow)
            .where(PortalOutboxRow.id.in_([r.id for r in taken]))
            .values(status=OutboxStatus.SENDING.value, lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        taken.sort(key=lambda r: (r.created_at, r.dossier_id, r.sequence))
        return [_event(r) for r in taken]

    def delivered(
        self, acks: Sequence[tuple[uuid.UUID, str, str | None]], now: datetime | None = None
    ) -> None:
        """Marks acknowledged events (event id, ack status, the portal's reference): one
        statement for the whole batch (a round trip per event costs more than the call)."""
        if not acks:
            return
        now = now or _now()
        ids = [event_id for event_id, _, _ in acks]
        refs = {e: ref for e, _, ref in acks if ref is not None}
        by_id = PortalOutboxRow.id
        self._s.execute(
            update(PortalOutboxRow)
            .where(by_id.in_(ids))
            .values(
                status=OutboxStatus.DELIVERED.value,
                delivered_at=now,
                lease_until=None,
                last_error=None,
                ack_status=case({e: status for e, status, _ in acks}, value=by_id),
                portal_reference=case(refs, value=by_id, else_=None) if refs else None,
            )
            .execution_options(synchronize_session=False)
        )

    def release(self, event_ids: Collection[uuid.UUID]) -> None:
        """Gives events back unsent (held behind an earlier one of their dossier): no
        attempt is counted."""
        if not event_ids:
            return
        self._s.execute(
            update(PortalOutboxRow)
            .where(
                PortalOutboxRow.id.in_(list(event_ids)),
                PortalOutboxRow.status == OutboxStatus.SENDING.value,
            )
            .values(status=OutboxStatus.PENDING.value, lease_until=None)
            .execution_options(synchronize_session=False)
        )

    def failed(
        self,
        event_ids: Collection[uuid.UUID],
        error: str,
        *,
        max_attempts: int,
        delay: Any,
        dead: bool = False,
        now: datetime | None = None,
    ) -> list[uuid.UUID]:
        """Counts a failed attempt of each event: back to pending after `delay(attempts)`
        seconds, or dead when refused or out of attempts. Returns the ids now dead."""
        now = now or _now()
        newly_dead: list[uuid.UUID] = []
        rows = self._s.scalars(select(PortalOutboxRow).where(PortalOutboxRow.id.in_(event_ids)))
        for row in rows:
            if row.status == OutboxStatus.DELIVERED.value:
                continue
            row.attempts += 1
            row.last_error = error[:_ERROR_LENGTH]
            row.lease_until = None
            if dead or row.attempts >= max_attempts:
                row.status = OutboxStatus.DEAD.value
                newly_dead.append(row.id)
            else:
                row.status = OutboxStatus.PENDING.value
                row.next_attempt_at = now + timedelta(seconds=float(delay(row.attempts)))
        return newly_dead

    def next_due(self) -> datetime | None:
        """When the earliest pending event is due (None: nothing pending)."""
        return self._s.scalar(
            select(func.min(PortalOutboxRow.next_attempt_at)).where(
                PortalOutboxRow.status.in_((OutboxStatus.PENDING.value, OutboxStatus.SENDING.value))
            )
        )

    # -- the operator's view --------------------------------------------------------------

    def get(self, event_id: uuid.UUID) -> OutboxEvent | None:
        row = self._s.get(PortalOutboxRow, event_id)
        return _event(row) if row else None

    def find(
        self,
        *,
        status: OutboxStatus | None = None,
        agency_code: str | None = None,
        dossier_id: uuid.UUID | None = None,
        limit: int = 100,
    ) -> list[OutboxEvent]:
        q = select(PortalOutboxRow).order_by(
            PortalOutboxRow.created_at.desc(), PortalOutboxRow.sequence.desc()
        )
        if status is not None:
            q = q.where(PortalOutboxRow.status == status.value)
        if agency_code is not None:
            q = q.where(PortalOutboxRow.agency_code == agency_code)
        if dossier_id is not None:
            q = q.where(PortalOutboxRow.dossier_id == dossier_id)
        return [_event(r) for r in self._s.scalars(q.limit(limit))]

    def for_dossiers(self, dossier_ids: Collection[uuid.UUID]) -> list[OutboxEvent]:
        """Every event of these dossiers, in order."""
        if not dossier_ids:
            return []
        q = (
            select(PortalOutboxRow)
            .where(PortalOutboxRow.dossier_id.in_(list(dossier_ids)))
            .order_by(PortalOutboxRow.dossier_id, PortalOutboxRow.sequence)
        )
        return [_event(r) for r in self._s.scalars(q)]

    def dossier_facts(
        self, agency: str, start: datetime, end: datetime
    ) -> list[tuple[uuid.UUID, str, DossierFacts]]:
        """The vault's 766 facts of each dossier `agency` received in [start, end), with the
        dossier's id and code (the indicators' own query, one row per dossier)."""
        q = received_dossiers(
            select(DossierRow.id, DossierRow.code, *dossier_fact_columns()), agency, start, end
        ).order_by(DossierRow.code)
        return [
            (row[0], row[1], DossierFacts(*(bool(v) for v in row[2:])))
            for row in self._s.execute(q)
        ]

    def replay(self, event_ids: Collection[uuid.UUID] | None = None) -> int:
        """Puts dead events (these, or all) back in the queue with fresh attempts."""
        q = (
            update(PortalOutboxRow)
            .where(PortalOutboxRow.status == OutboxStatus.DEAD.value)
            .values(status=OutboxStatus.PENDING.value, attempts=0, next_attempt_at=_now())
            .execution_options(synchronize_session=False)
        )
        if event_ids is not None:
            q = q.where(PortalOutboxRow.id.in_(list(event_ids)))
        return int(self._s.execute(q).rowcount or 0)  # type: ignore[attr-defined]

    def counts(self) -> dict[OutboxStatus, int]:
        rows = self._s.execute(
            select(PortalOutboxRow.status, func.count()).group_by(PortalOutboxRow.status)
        ).all()
        found = {OutboxStatus(s): int(n) for s, n in rows}
        return {s: found.get(s, 0) for s in OutboxStatus}

    def blocked(self) -> int:
        """Pending events held behind a dead event of their dossier."""
        dead = (
            select(PortalOutboxRow.dossier_id, func.min(PortalOutboxRow.sequence).label("seq"))
            .where(PortalOutboxRow.status == OutboxStatus.DEAD.value)
            .group_by(PortalOutboxRow.dossier_id)
            .subquery()
        )
        return int(
            self._s.scalar(
                select(func.count())
                .select_from(PortalOutboxRow)
                .join(dead, dead.c.dossier_id == PortalOutboxRow.dossier_id)
                .where(
                    PortalOutboxRow.status == OutboxStatus.PENDING.value,
                    PortalOutboxRow.sequence > dead.c.seq,
                )
            )
            or 0
        )
