"""The digitisation indicators of Decision 766/QĐ-TTg (group 4), per agency and month,
computed from the recorded facts: dossiers received, their components' flags, their results.

| code | indicator | formula |
| 4.1 | dossiers with an electronic result | signed result / dossiers of procedures with a result |
| 4.2 | dossiers digitised | digitised component and electronic result / all dossiers |
| 4.3 | reuse of digitised data | at least one reused component / all dossiers |
| 4.4 | digitised data connected for reuse | component from the warehouse, or result stored
        in the warehouse / all dossiers |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from vault import identifiers
from vault.auth import Actor, Role
from vault.db import UnitOfWork
from vault.db.repositories.indicators import DossierFacts
from vault.errors import InvalidInput, PermissionDenied
from vault.services.dossiers import VIETNAM


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name: str
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        if self.denominator == 0:
            return None
        return round(100 * self.numerator / self.denominator, 2)


@dataclass(frozen=True, slots=True)
class MonthlyIndicators:
    agency_code: str
    month: str  # YYYY-MM, in Vietnam time
    dossiers_received: int
    indicators: tuple[Indicator, ...]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    try:
        year, mon = (int(x) for x in month.split("-"))
        start_day = date(year, mon, 1)
    except ValueError as exc:
        raise InvalidInput("month", "a month looks like 2025-01") from exc
    end_day = date(year + (mon == 12), mon % 12 + 1, 1)
    to_utc = [
        datetime(d.year, d.month, d.day, tzinfo=VIETNAM).astimezone(UTC)
        for d in (start_day, end_day)
    ]
    return to_utc[0], to_utc[1]


def compute(facts: Sequence[DossierFacts]) -> tuple[Indicator, ...]:
    """The four indicators over one agency-month's dossier facts (the vault's own, or those
    the portal sync implies: vault.services.portal_reconcile)."""
    total = len(facts)
    with_result = [f for f in facts if f.returns_result]
    return (
        Indicator(
            "4.1",
            "Hồ sơ có kết quả điện tử",
            sum(f.signed_result for f in with_result),
            len(with_result),
        ),
        Indicator(
            "4.2",
            "Hồ sơ được số hóa",
            sum(f.digitised_component and f.signed_result for f in facts),
            total,
        ),
        Indicator(
            "4.3", "Tái sử dụng dữ liệu số hóa", sum(f.reused_component for f in facts), total
        ),
        Indicator(
            "4.4",
            "Dữ liệu số hóa được kết nối để tái sử dụng",
            sum(f.warehouse_component or f.result_stored for f in facts),
            total,
        ),
    )


class IndicatorService:
    def monthly(
        self, uow: UnitOfWork, actor: Actor, agency_code: str, month: str
    ) -> MonthlyIndicators:
        agency_code = identifiers.agency_code(agency_code)
        if not (
            actor.has(Role.AUDITOR, Role.ADMINISTRATOR)
            or (actor.is_officer and actor.agency_code == agency_code)
        ):
            raise PermissionDenied("another agency's indicators are for auditors")
        start, end = month_bounds(month)
        facts = uow.indicators.dossier_facts(agency_code, start, end)
        return MonthlyIndicators(agency_code, month, len(facts), compute(facts))
