"""Answering another province's vault (trả lời kho của tỉnh khác): which of an owner's papers
here may be reused for a dossier received there, and the paper itself.

The peer decides nothing here: this vault applies its own access rule (`vault.access`:
`check_peer_purpose`, `peer_visibility`) as if the peer's officer were one of its own with
that open dossier, judges each paper as its own reuse plan would (`reuse.assess`, the
signature verdicts), and audits the exchange in the owner's access log, naming the officer,
their agency and the dossier.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from vault import identifiers
from vault.access import (
    PeerPurpose,
    audit_draft,
    check_peer_purpose,
    peer_actor,
    peer_visibility,
)
from vault.audit import Outcome
from vault.db import UnitOfWork
from vault.domain import Document, DocumentStatus
from vault.errors import InvalidInput, NotFound, PermissionDenied
from vault.services.content_reader import ContentReader, ContentStream
from vault.services.reuse import CHECKS_PER_PLAN, assess
from vault.services.reuse_rule import Reason, acceptable, signature_notes, signature_refusal
from vault.services.signatures import SignatureService

MAX_TYPES = 50


@dataclass(frozen=True, slots=True)
class OfferedPaper:
    document: Document
    usable: bool
    reasons: tuple[Reason, ...]  # the refusals, or the notes of a usable paper


@dataclass(frozen=True, slots=True)
class PeerLookup:
    offered: tuple[OfferedPaper, ...]
    refused: tuple[tuple[str, Reason], ...]  # (paper type, why it is not looked at)


class PeerAnswerService:
    def __init__(self, signatures: SignatureService, content: ContentReader) -> None:
        self._signatures = signatures
        self._content = content

    def candidates(
        self,
        uow: UnitOfWork,
        purpose: PeerPurpose,
        owner_identifier: str,
        paper_types: list[str],
    ) -> PeerLookup:
        code, _, day = identifiers.dossier_code(purpose.dossier_code)
        identifiers.procedure_code(purpose.procedure_code)
        if not paper_types or len(paper_types) > MAX_TYPES:
            raise InvalidInput("paper_types", f"ask for 1 to {MAX_TYPES} paper types")
        owner = uow.owners.by_identifier(owner_identifier)
        check_peer_purpose(uow, purpose, owner.id if owner else None)
        if owner is None:
            return PeerLookup((), ())  # no warehouse here: nothing to offer, nothing read
        needed = self._needed(uow, purpose)
        asked = sorted(set(paper_types))
        refused = tuple(
            (t, Reason("not_needed", f"procedure {purpose.procedure_code} does not need it"))
            for t in asked
            if t not in needed
        )
        actor = peer_actor(purpose)
        if refused:
            # The owner sees the attempt: which types were asked for and refused.
            uow.record(
                audit_draft(
                    actor,
                    "peer.reuse_candidates",
                    Outcome.DENIED,
                    owner_id=owner.id,
                    purpose=purpose.text,
                    detail="not needed by the procedure: " + ", ".join(t for t, _ in refused),
                )
            )
        looked_at = [t for t in asked if t in needed]
        visibility = peer_visibility(uow, owner.id, purpose, needed)
        papers = [
            p
            for p in uow.documents.of_types(owner.id, looked_at)
            if p.status is DocumentStatus.CURRENT and visibility.grant_for(p) is not None
        ]
        fresh = [p for p in papers if not assess(p, day, None)]
        checks = self._signatures.verdicts(uow, fresh, check_up_to=CHECKS_PER_PLAN)
        offered = []
        for paper in papers:
            reasons = assess(paper, day, None)
            check = checks.get(paper.id)
            if check is not None and not acceptable(check):
                reasons.append(signature_refusal(check))
            notes = signature_notes(paper, check)
            offered.append(OfferedPaper(paper, not reasons, tuple(reasons or notes)))
        if looked_at:
            uow.record(
                audit_draft(
                    actor,
                    "peer.reuse_candidates",
                    owner_id=owner.id,
                    purpose=purpose.text,
                    detail=f"{len(offered)} papers offered for dossier {code}",
                )
            )
        return PeerLookup(tuple(offered), refused)

    def open_document(
        self,
        uow: UnitOfWork,
        purpose: PeerPurpose,
        owner_identifier: str,
        document_id: uuid.UUID,
    ) -> ContentStream:
        """The paper's content for the peer's officer, under the same rule; audited as a
        download by that officer for that dossier."""
        identifiers.dossier_code(purpose.dossier_code)
        identifiers.procedure_code(purpose.procedure_code)
        owner = uow.owners.by_identifier(owner_identifier)
        check_peer_purpose(uow, purpose, owner.id if owner else None)
        document = uow.documents.get(document_id)
        if owner is None or document is None or document.owner_id != owner.id:
            raise NotFound("no such paper in this owner's warehouse")
        actor = peer_actor(purpose)
        visibility = peer_visibility(uow, owner.id, purpose, self._needed(uow, purpose))
        grant = visibility.grant_for(document)
        if grant is None or document.status is not DocumentStatus.CURRENT:
            uow.record(
                audit_draft(
                    actor,
                    "document.download",
                    Outcome.DENIED,
                    owner_id=owner.id,
                    document_id=document.id,
                    purpose=purpose.text,
                    detail="the dossier's procedure does not need this paper"
                    if grant is None
                    else "superseded",
                )
            )
            raise PermissionDenied(
                f"procedure {purpose.procedure_code} does not need this paper"
                if grant is None
                else "this version is superseded"
            )
        uow.record(
            audit_draft(
                actor,
                "document.download",
                owner_id=owner.id,
                document_id=document.id,
                purpose=grant.purpose,
            )
        )
        return self._content.read(uow, document)

    @staticmethod
    def _needed(uow: UnitOfWork, purpose: PeerPurpose) -> frozenset[str]:
        """The paper types the procedure needs, by this vault's catalogue (none if unknown)."""
        procedure = uow.procedures.get(purpose.procedure_code)
        return procedure.paper_types if procedure is not None else frozenset()
