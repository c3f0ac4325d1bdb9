"""The portal sync page (đồng bộ Cổng DVC quốc gia): the queue, its dead letters and their
replay, and the reconciliation with the 766 indicators cross-checked. Administrators run it;
auditors read it; no page shows a payload (they carry the owner's number)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response

from api.console.web import PREFIX, ActorDep, ConsoleRoute, CsrfDep, redirect, render
from api.deps import UowDep
from vault.auth import Role
from vault.domain import OutboxStatus
from vault.errors import InvalidInput
from vault.services.dossiers import VIETNAM
from vault.services.portal_operations import PortalSyncOperations
from vault.services.portal_reconcile import Reconciliation

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

_ops = PortalSyncOperations()


def reason_words(reason: str) -> tuple[str, dict[str, Any]]:
    """A reconciliation reason ("pending:2") as a message key and its values."""
    name, _, count = reason.partition(":")
    return f"sync.reason.{name}", ({"n": int(count)} if count else {})


@router.get("/sync")
def sync_page(
    request: Request,
    actor: ActorDep,
    uow: UowDep,
    agency: Annotated[str, Query(max_length=16)] = "",
    month: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    status = _ops.status(uow, actor)  # administrators and auditors only
    dead = _ops.dead_letters(uow, actor, limit=200)
    agency = agency.strip() or (actor.agency_code or "")
    month = month.strip() or datetime.now(UTC).astimezone(VIETNAM).strftime("%Y-%m")
    report: Reconciliation | None = None
    problem = None
    if agency:
        try:
            report = _ops.reconciliation(uow, actor, agency, month)
        except InvalidInput as exc:
            problem = exc.detail
    return render(
        request,
        "sync.html",
        {
            "counts": {s.value: n for s, n in status.counts.items()},
            "blocked": status.blocked,
            "oldest_due": status.oldest_pending,
            "dead": dead,
            "may_replay": actor.has(Role.ADMINISTRATOR),
            "agency": agency,
            "month": month,
            "report": report,
            "problem": problem,
            "reason_words": reason_words,
            "statuses": [s.value for s in OutboxStatus],
        },
    )


@router.post("/sync/replay")
def replay(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    uow: UowDep,
    event_id: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    """One dead letter (`event_id`), or every one."""
    _ops.replay(uow, actor, [event_id] if event_id else None)
    return redirect(f"{PREFIX}/sync", flash="flash.sync_replayed")
