"""Đối soát: what the national portal acknowledged against what the vault holds, for one
agency and month, with the 766 digitisation indicators cross-checked.

The portal computes a province's score from the dossiers synced to it, so the vault's own
figures (vault.services.indicators) and the figures the acknowledged payloads imply must
agree. For each dossier the agency received that month the report compares the vault's six
facts with those of the last event the portal acknowledged, and lists every dossier where
they differ, or whose events are not all acknowledged, with the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vault import identifiers
from vault.auth import Actor, Role
from vault.db.outbox_repository import OutboxRepository
from vault.db.repositories.indicators import DossierFacts
from vault.domain import OutboxEvent, OutboxStatus
from vault.errors import PermissionDenied
from vault.services.indicators import Indicator, compute, month_bounds
from vault.services.portal_payload import implied_facts

if TYPE_CHECKING:
    from vault.db import UnitOfWork

# Which indicators each fact feeds (a difference in it moves these).
FACT_INDICATORS = {
    "digitised_component": ("4.2",),
    "reused_component": ("4.3",),
    "warehouse_component": ("4.4",),
    "result_stored": ("4.4",),
    "signed_result": ("4.1", "4.2"),
}


@dataclass(frozen=True, slots=True)
class DossierDifference:
    dossier_id: uuid.UUID
    dossier_code: str
    reasons: tuple[str, ...]  # e.g. "not_synced", "pending:2", "dead:1", "signed_result"
    indicators: tuple[str, ...]  # the indicator codes it moves


@dataclass(frozen=True, slots=True)
class IndicatorCheck:
    code: str
    name: str
    vault: Indicator
    synced: Indicator

    @property
    def agrees(self) -> bool:
        return (self.vault.numerator, self.vault.denominator) == (
            self.synced.numerator,
            self.synced.denominator,
        )


@dataclass(frozen=True, slots=True)
class Reconciliation:
    agency_code: str
    month: str
    dossiers: int
    dossiers_synced: int  # with every event acknowledged
    events: int
    acknowledged: int
    pending: int
    dead: int
    indicators: tuple[IndicatorCheck, ...]
    differences: tuple[DossierDifference, ...]

    @property
    def agrees(self) -> bool:
        return not self.differences and all(i.agrees for i in self.indicators)


def _synced(facts: DossierFacts, acknowledged: OutboxEvent | None) -> DossierFacts:
    """The facts the portal holds: the last acknowledged payload's, or none at all."""
    if acknowledged is None:
        return DossierFacts(facts.returns_result, False, False, False, False, False)
    implied = implied_facts(acknowledged.payload)
    return DossierFacts(
        facts.returns_result,
        implied.digitised_component,
        implied.reused_component,
        implied.warehouse_component,
        implied.result_stored,
        implied.signed_result,
    )


def reconcile(uow: UnitOfWork, actor: Actor, agency_code: str, month: str) -> Reconciliation:
    """The report, for auditors, administrators and the agency's own officers."""
    agency_code = identifiers.agency_code(agency_code)
    if not (
        actor.has(Role.AUDITOR, Role.ADMINISTRATOR)
        or (actor.is_officer and actor.agency_code == agency_code)
    ):
        raise PermissionDenied("another agency's reconciliation is for auditors")
    return build_reconciliation(uow, agency_code, month)


def build_reconciliation(uow: UnitOfWork, agency_code: str, month: str) -> Reconciliation:
    """The report itself (the operator's CLI, which runs with the database's own rights)."""
    agency_code = identifiers.agency_code(agency_code)
    start, end = month_bounds(month)
    outbox = uow.repository(OutboxRepository)
    rows = outbox.dossier_facts(agency_code, start, end)
    events = outbox.for_dossiers([dossier_id for dossier_id, _, _ in rows])
    by_dossier: dict[uuid.UUID, list[OutboxEvent]] = {}
    for event in events:
        by_dossier.setdefault(event.dossier_id, []).append(event)

    vault_facts: list[DossierFacts] = []
    synced_facts: list[DossierFacts] = []
    differences: list[DossierDifference] = []
    fully_synced = 0
    for dossier_id, code, facts in rows:
        mine = by_dossier.get(dossier_id, [])
        delivered = [e for e in mine if e.status is OutboxStatus.DELIVERED]
        last = max(delivered, key=lambda e: e.sequence) if delivered else None
        synced = _synced(facts, last)
        vault_facts.append(facts)
        synced_facts.append(synced)
        reasons: list[str] = []
        moved: set[str] = set()
        if last is None:
            reasons.append("not_synced")
        waiting = sum(e.status in (OutboxStatus.PENDING, OutboxStatus.SENDING) for e in mine)
        dead = sum(e.status is OutboxStatus.DEAD for e in mine)
        if waiting:
            reasons.append(f"pending:{waiting}")
        if dead:
            reasons.append(f"dead:{dead}")
        for name, codes in FACT_INDICATORS.items():
            if getattr(facts, name) != getattr(synced, name):
                reasons.append(name)
                moved.update(codes)
        if mine and not waiting and not dead:
            fully_synced += 1
        if reasons:
            differences.append(
                DossierDifference(dossier_id, code, tuple(reasons), tuple(sorted(moved)))
            )

    checks = tuple(
        IndicatorCheck(v.code, v.name, v, s)
        for v, s in zip(compute(vault_facts), compute(synced_facts), strict=True)
    )
    counts = {s: 0 for s in OutboxStatus}
    for event in events:
        counts[event.status] += 1
    return Reconciliation(
        agency_code=agency_code,
        month=month,
        dossiers=len(rows),
        dossiers_synced=fully_synced,
        events=len(events),
        acknowledged=counts[OutboxStatus.DELIVERED],
        pending=counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING],
        dead=counts[OutboxStatus.DEAD],
        indicators=checks,
        differences=tuple(differences),
    )
