"""Who may see which papers, and why (enforced here, in the domain, not in routers).

An officer of agency A sees owner X's papers only
1. for an open dossier A received for X: the paper types its procedure needs, and the papers
   attached to that dossier;
2. under X's consent for A: the consented paper types, until expiry or revocation;
3. that A itself issued: a result A's issuing officers recorded or a copy A certified (and
   signed with its certificate). The issuer a scan states is unverified and grants nothing.
An owner sees their own warehouse. Auditors and administrators read no papers.
Every grant carries the purpose that the audit log records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vault.audit import AuditDraft, Outcome
from vault.auth import Actor, ActorKind, Role
from vault.db import UnitOfWork
from vault.domain import Document, Dossier
from vault.errors import PermissionDenied

READING_ROLES = (
    Role.RECEIVING_OFFICER,
    Role.CERTIFYING_OFFICER,
    Role.ISSUING_OFFICER,
    Role.VERIFIER,
)


class Basis:
    OWNER = "owner"
    ISSUED_BY_AGENCY = "issued_by_agency"
    DOSSIER = "dossier"
    CONSENT = "consent"


@dataclass(frozen=True, slots=True)
class Grant:
    basis: str
    purpose: str
    dossier_id: uuid.UUID | None = None
    consent_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Visibility:
    """What one actor may see of one owner's warehouse, right now."""

    owner_id: uuid.UUID
    everything: bool = False
    issuer_agency: str | None = None
    by_type: dict[str, Grant] = field(default_factory=dict)
    by_document: dict[uuid.UUID, Grant] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.issuer_agency or self.by_type or self.by_document)

    def grant_for(self, document: Document) -> Grant | None:
        if document.owner_id != self.owner_id:
            return None
        if self.everything:
            return Grant(Basis.OWNER, "the owner's own warehouse")
        if self.issuer_agency is not None and document.verified_issuer == self.issuer_agency:
            return Grant(Basis.ISSUED_BY_AGENCY, f"issued by {self.issuer_agency}")
        return self.by_document.get(document.id) or self.by_type.get(document.paper_type)


def audit_draft(
    actor: Actor, action: str, outcome: str = Outcome.OK, **fields: object
) -> AuditDraft:
    return AuditDraft(
        action=action,
        outcome=outcome,
        actor_id=str(actor.account_id),
        actor_name=actor.name,
        client_id=actor.client_id,
        agency_code=actor.agency_code,
        role=actor.role_label,
        **fields,  # type: ignore[arg-type]
    )


class AccessPolicy:
    def visibility(
        self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID, *, at: datetime | None = None
    ) -> Visibility:
        at = at or datetime.now(UTC)
        if actor.kind is ActorKind.OWNER:
            return Visibility(owner_id, everything=actor.owner_id == owner_id)
        if not actor.has(*READING_ROLES) or actor.agency_code is None:
            return Visibility(owner_id)
        agency = actor.agency_code
        by_type: dict[str, Grant] = {}
        by_document: dict[uuid.UUID, Grant] = {}
        for dossier in uow.dossiers.open_for(owner_id, agency):
            grant = Grant(Basis.DOSSIER, _dossier_purpose(dossier), dossier_id=dossier.id)
            procedure = uow.procedures.get(dossier.procedure_code)
            for paper_type in procedure.paper_types if procedure else ():
                by_type.setdefault(paper_type, grant)
            for attachment in uow.dossiers.attachments(dossier.id):
                by_document.setdefault(attachment.document_id, grant)
        for consent in uow.consents.active_for(owner_id, agency, at):
            grant = Grant(Basis.CONSENT, f"consent: {consent.purpose}", consent_id=consent.id)
            for paper_type in consent.paper_types:
                by_type.setdefault(paper_type, grant)
        return Visibility(owner_id, issuer_agency=agency, by_type=by_type, by_document=by_document)

    def check_document(
        self, uow: UnitOfWork, actor: Actor, document: Document, action: str
    ) -> Grant:
        """The grant to read `document`, audited; or PermissionDenied, audited as a denial."""
        grant = self.visibility(uow, actor, document.owner_id).grant_for(document)
        if grant is None:
            uow.record(
                audit_draft(
                    actor,
                    action,
                    Outcome.DENIED,
                    owner_id=document.owner_id,
                    document_id=document.id,
                    detail="no dossier, consent or issuance grants access",
                )
            )
            raise PermissionDenied(
                "no open dossier of your agency, consent of the owner, or issuance by your "
                "agency gives access to this paper"
            )
        uow.record(
            audit_draft(
                actor,
                action,
                owner_id=document.owner_id,
                document_id=document.id,
                dossier_id=grant.dossier_id,
                purpose=grant.purpose,
            )
        )
        return grant

    def deny(
        self, uow: UnitOfWork, actor: Actor, action: str, reason: str, **fields: object
    ) -> PermissionDenied:
        uow.record(audit_draft(actor, action, Outcome.DENIED, detail=reason, **fields))
        return PermissionDenied(reason)


def _dossier_purpose(dossier: Dossier) -> str:
    return f"dossier {dossier.code} (procedure {dossier.procedure_code})"
