"""Reuse (tái sử dụng): for a dossier, which papers its procedure needs are already on file
and valid, and why the others cannot be used. The answer explains itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from vault.access import AccessPolicy, audit_draft
from vault.auth import Actor, Role
from vault.db import UnitOfWork
from vault.domain import (
    Document,
    DocumentStatus,
    Dossier,
    Procedure,
    Reuse,
)
from vault.errors import NotFound
from vault.services.dossiers import VIETNAM
from vault.services.reuse_rule import Reason, acceptable, signature_notes, signature_refusal
from vault.services.signatures import SignatureService

# Signed papers without a fresh verdict that one plan checks on the spot; the rest are
# checked by later plans (or at attach time), so a plan stays fast.
CHECKS_PER_PLAN = 5


@dataclass(frozen=True, slots=True)
class Candidate:
    document: Document
    usable: bool  # exactly when there is no refusal
    refusals: tuple[Reason, ...]  # why it cannot be used: what to tell before asking the owner
    notes: tuple[Reason, ...]  # what else is known (its signature, the result it stands for)
    reuse: Reuse
    replacing_result_code: str | None = None
    attached: bool = False

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The refusals, or the notes of a usable paper (the API's first `reasons` field)."""
        return self.refusals or self.notes


@dataclass(frozen=True, slots=True)
class NeededPaper:
    paper_type: str
    component_name: str
    on_file: bool
    candidates: tuple[Candidate, ...]

    @property
    def action(self) -> str:
        return "attach" if self.on_file else "ask the owner"


@dataclass(frozen=True, slots=True)
class ReusePlan:
    dossier: Dossier
    procedure: Procedure
    received_on: date
    needed: tuple[NeededPaper, ...] = field(default_factory=tuple)


def assess(document: Document, day: date, superseded_by: Document | None) -> list[Reason]:
    """Why this paper cannot stand for the component on `day` (empty: it can)."""
    reasons = []
    if document.status is DocumentStatus.SUPERSEDED:
        newer = f" by version {superseded_by.version} ({superseded_by.id})" if superseded_by else ""
        reasons.append(Reason("superseded", f"superseded{newer}"))
    if document.issue_date is not None and document.issue_date > day:
        text = f"not yet issued on {day.isoformat()} (issued {document.issue_date})"
        reasons.append(Reason("not_yet_issued", text, document.issue_date))
    if document.valid_until is not None and document.valid_until < day:
        text = f"expired on {document.valid_until.isoformat()}"
        reasons.append(Reason("expired", text, document.valid_until))
    return reasons


class ReuseService:
    def __init__(self, access: AccessPolicy, signatures: SignatureService) -> None:
        self._access = access
        self._signatures = signatures

    def plan(self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID) -> ReusePlan:
        actor.require(Role.RECEIVING_OFFICER)
        dossier = uow.dossiers.get(dossier_id)
        if dossier is None:
            raise NotFound("no such dossier")
        if dossier.receiving_agency_code != actor.agency_code:
            raise self._access.deny(
                uow,
                actor,
                "dossier.reuse",
                "not a dossier of your agency",
                dossier_id=dossier.id,
                owner_id=dossier.owner_id,
            )
        procedure = uow.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise NotFound("the dossier's procedure is not in the catalogue")
        day = dossier.received_at.astimezone(VIETNAM).date()
        visibility = self._access.visibility(uow, actor, dossier.owner_id)
        attached = {a.document_id for a in uow.dossiers.attachments(dossier.id)}
        papers = uow.documents.of_types(dossier.owner_id, sorted(procedure.paper_types))
        current_by_lineage = {p.lineage_id: p for p in papers if p.status is DocumentStatus.CURRENT}
        results = [
            list(uow.dossiers.results_with_codes(dossier.owner_id, req.replacing_result_codes))
            for req in procedure.requirements
        ]
        # Only papers that could otherwise be used are worth a signature check now.
        offered = [*papers, *(r for found in results for r, _ in found)]
        visible_current = [
            p
            for p in offered
            if visibility.grant_for(p) is not None
            and not assess(p, day, current_by_lineage.get(p.lineage_id))
        ]
        checks = self._signatures.verdicts(uow, visible_current, check_up_to=CHECKS_PER_PLAN)
        needed = []
        for req, replacing in zip(procedure.requirements, results, strict=True):
            candidates: list[Candidate] = []
            for paper in (p for p in papers if p.paper_type == req.paper_type):
                if visibility.grant_for(paper) is None:
                    continue  # cannot happen for a needed type, but never show what is closed
                reasons = assess(paper, day, current_by_lineage.get(paper.lineage_id))
                check = checks.get(paper.id)
                if check is not None and not acceptable(check):
                    reasons.append(signature_refusal(check))
                candidates.append(
                    Candidate(
                        paper,
                        not reasons,
                        refusals=tuple(reasons),
                        notes=tuple(signature_notes(paper, check)),
                        reuse=Reuse.YES,
                        attached=paper.id in attached,
                    )
                )
            for result, code in replacing:
                if visibility.grant_for(result) is None:
                    continue
                reasons = assess(result, day, current_by_lineage.get(result.lineage_id))
                replaces = Reason("replacing_result", f"result {code} replaces it")
                check = checks.get(result.id)
                if check is not None and not acceptable(check):
                    reasons.append(signature_refusal(check))
                candidates.append(
                    Candidate(
                        result,
                        not reasons,
                        refusals=tuple(reasons),
                        notes=(replaces, *signature_notes(result, check)),
                        reuse=Reuse.BY_REPLACING_RESULT,
                        replacing_result_code=code,
                        attached=result.id in attached,
                    )
                )
            candidates.sort(
                key=lambda c: (
                    not c.usable,
                    -c.document.version,
                    -(c.document.issue_date or date.min).toordinal(),
                )
            )
            needed.append(
                NeededPaper(
                    req.paper_type,
                    req.component_name,
                    any(c.usable for c in candidates),
                    tuple(candidates),
                )
            )
        uow.record(
            audit_draft(
                actor,
                "dossier.reuse",
                owner_id=dossier.owner_id,
                dossier_id=dossier.id,
                purpose=f"dossier {dossier.code} (procedure {procedure.code})",
            )
        )
        return ReusePlan(dossier, procedure, day, tuple(needed))
