"""What an operator does with the portal sync (đồng bộ Cổng DVC quốc gia): sees its state
and its dead letters, replays them, and reads the reconciliation. Who may: administrators
run it (replay); auditors read it; an agency's officers read their agency's reconciliation.
Payloads are never shown (they carry personal data), only what happened to each event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from vault import identifiers
from vault.access import audit_draft
from vault.auth import Actor, Role
from vault.db.outbox_repository import OutboxRepository
from vault.domain import OutboxEvent
from vault.errors import InvalidInput, NotFound
from vault.services import portal_sync
from vault.services.portal_reconcile import Reconciliation, reconcile
from vault.services.portal_sync import SyncStatus

if TYPE_CHECKING:
    from vault.db import UnitOfWork

MAX_LIST = 500


class PortalSyncOperations:
    def status(self, uow: UnitOfWork, actor: Actor) -> SyncStatus:
        actor.require(Role.ADMINISTRATOR, Role.AUDITOR)
        return portal_sync.status(uow)

    def dead_letters(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        agency_code: str | None = None,
        limit: int = 100,
    ) -> list[OutboxEvent]:
        actor.require(Role.ADMINISTRATOR, Role.AUDITOR)
        if not 1 <= limit <= MAX_LIST:
            raise InvalidInput("limit", f"between 1 and {MAX_LIST}")
        agency = identifiers.agency_code(agency_code) if agency_code else None
        return portal_sync.dead_letters(uow, agency_code=agency, limit=limit)

    def replay(
        self, uow: UnitOfWork, actor: Actor, event_ids: Sequence[uuid.UUID] | None = None
    ) -> int:
        """Puts dead letters (these, or every one) back in the queue; audited."""
        actor.require(Role.ADMINISTRATOR)
        if event_ids is not None:
            if not event_ids:
                raise InvalidInput("event_ids", "name at least one event, or leave it out")
            outbox = uow.repository(OutboxRepository)
            found = {e for e in event_ids if outbox.get(e) is not None}
            if missing := [str(e) for e in event_ids if e not in found]:
                raise NotFound(f"no such sync event: {', '.join(missing[:5])}")
        count = portal_sync.replay(uow, event_ids)
        what = "every dead letter" if event_ids is None else f"{len(event_ids)} event(s)"
        uow.record(audit_draft(actor, "sync.replay", detail=f"{what}: {count} requeued"))
        return count

    def reconciliation(
        self, uow: UnitOfWork, actor: Actor, agency_code: str, month: str
    ) -> Reconciliation:
        return reconcile(uow, actor, agency_code, month)
