"""Which dossiers each 766 indicator counts, and why: the numerator's and the
denominator's dossiers, and for each dossier of the denominator that is not in the numerator,
which condition it lacks. The rules are those of `IndicatorService.monthly` (its table)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vault import identifiers
from vault.auth import Actor, Role
from vault.db import UnitOfWork
from vault.db.indicator_details import CountedDossier, IndicatorDetailRepository
from vault.errors import PermissionDenied
from vault.services.indicators import month_bounds


@dataclass(frozen=True, slots=True)
class IndicatorBreakdown:
    code: str
    numerator: tuple[CountedDossier, ...]
    denominator: tuple[CountedDossier, ...]
    # dossier id -> the conditions (codes) it lacks, for those counted below but not above
    missing: dict[str, tuple[str, ...]]


# code -> (is it in the denominator, the numerator's conditions as (name, test))
Condition = tuple[str, Callable[[CountedDossier], bool]]
RULES: dict[str, tuple[Callable[[CountedDossier], bool], tuple[Condition, ...]]] = {
    "4.1": (lambda d: d.returns_result, (("signed_result", lambda d: d.signed_result),)),
    "4.2": (
        lambda d: True,
        (
            ("digitised_component", lambda d: d.digitised_component),
            ("signed_result", lambda d: d.signed_result),
        ),
    ),
    "4.3": (lambda d: True, (("reused_component", lambda d: d.reused_component),)),
    "4.4": (
        lambda d: True,
        (("warehouse_or_result", lambda d: d.warehouse_component or d.result_stored),),
    ),
}


def breakdown(
    uow: UnitOfWork, actor: Actor, agency_code: str, month: str
) -> list[IndicatorBreakdown]:
    """The same access rule as the indicators themselves."""
    agency_code = identifiers.agency_code(agency_code)
    if not (
        actor.has(Role.AUDITOR, Role.ADMINISTRATOR)
        or (actor.is_officer and actor.agency_code == agency_code)
    ):
        raise PermissionDenied("another agency's indicators are for auditors")
    start, end = month_bounds(month)
    dossiers = IndicatorDetailRepository(uow.session).counted_dossiers(agency_code, start, end)
    result = []
    for code, (counted, conditions) in RULES.items():
        below = tuple(d for d in dossiers if counted(d))
        above = tuple(d for d in below if all(test(d) for _, test in conditions))
        met = {d.id for d in above}
        missing = {
            str(d.id): tuple(name for name, test in conditions if not test(d))
            for d in below
            if d.id not in met
        }
        result.append(IndicatorBreakdown(code, above, below, missing))
    return result
