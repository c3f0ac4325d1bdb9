"""Who may see which papers, and why (enforced here, in the domain, not in routers).

An officer of agency A sees owner X's papers only
1. for an open dossier A received for X: the paper types its procedure needs, and the papers
   attached to that dossier;
2. under X's consent for A: the consented paper types, until expiry or revocation;
3. that A itself issued: a result A's issuing officers recorded or a copy A certified (and
   signed with its certificate). The issuer a scan states is unverified and grants nothing.
An officer of another province's vault, asking through that trusted peer vault for a dossier
their agency received, is treated as one of our own with that open dossier: the paper types
its procedure needs (by our catalogue), nothing else (`peer_visibility`).
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
from vault.domain import Document
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
    PEER_DOSSIER = "peer_dossier"  # a dossier another province's vault received


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


@dataclass(frozen=True)
class Reach:
    """What one actor may see across warehouses: a visibility for each owner something of
    whose is open to them, and (an agency officer) whatever their agency issued, whoever
    owns it. A search across warehouses turns it into conditions on its index; what it shows
    is still decided here, by `grant_for`."""

    visibilities: dict[uuid.UUID, Visibility] = field(default_factory=dict)
    issuer_agency: str | None = None

    def grant_for(self, document: Document) -> Grant | None:
        visibility = self.visibilities.get(document.owner_id)
        if visibility is None:
            if self.issuer_agency is None:
                return None
            visibility = Visibility(document.owner_id, issuer_agency=self.issuer_agency)
        return visibility.grant_for(document)


class AccessPolicy:
    def visibility(
        self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID, *, at: datetime | None = None
    ) -> Visibility:
        if actor.kind is ActorKind.OWNER:
            return Visibility(owner_id, everything=actor.owner_id == owner_id)
        agency = _reading_agency(actor)
        if agency is None:
            return Visibility(owner_id)
        found = _agency_visibilities(uow, agency, at or datetime.now(UTC), owner_id)
        return found.get(owner_id) or Visibility(owner_id, issuer_agency=agency)

    def reach(self, uow: UnitOfWork, actor: Actor, *, at: datetime | None = None) -> Reach:
        """`visibility` for every owner at once (a few queries, whatever their number)."""
        if actor.kind is ActorKind.OWNER:
            assert actor.owner_id is not None
            return Reach({actor.owner_id: Visibility(actor.owner_id, everything=True)})
        agency = _reading_agency(actor)
        if agency is None:
            return Reach()  # auditors, administrators: no papers
        visibilities = _agency_visibilities(uow, agency, at or datetime.now(UTC))
        return Reach(visibilities, issuer_agency=agency)

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


@dataclass(frozen=True, slots=True)
class PeerPurpose:
    """What a peer vault's request names: the peer, its officer and agency, the dossier."""

    peer: str
    peer_label: str
    agency_prefix: str  # the agencies the peer speaks for
    agency_code: str
    officer_id: str
    officer_name: str
    dossier_code: str
    procedure_code: str

    @property
    def text(self) -> str:
        return (
            f"dossier {self.dossier_code} (procedure {self.procedure_code}) at "
            f"{self.agency_code}, asked through {self.peer_label}'s vault"
        )


def peer_actor(purpose: PeerPurpose) -> Actor:
    """The peer's officer as an actor of this vault: a receiving officer of their agency, so
    the audit log (and the owner's access log) names them, their agency and the peer."""
    account = uuid.uuid5(uuid.NAMESPACE_URL, f"peer:{purpose.peer}:{purpose.officer_id}")
    return Actor(
        account,
        ActorKind.OFFICER,
        purpose.officer_name,
        roles=frozenset({Role.RECEIVING_OFFICER}),
        agency_code=purpose.agency_code,
        client_id=f"peer:{purpose.peer}",
    )


def peer_visibility(
    uow: UnitOfWork, owner_id: uuid.UUID, purpose: PeerPurpose, procedure_types: frozenset[str]
) -> Visibility:
    """What a peer's officer may see of an owner here: as if their agency had received that
    dossier here, the paper types its procedure needs (`procedure_types`, from our own
    catalogue), nothing attached, no consent, nothing issued. The caller has checked that the
    peer speaks for the agency (`check_peer_purpose`)."""
    grant = Grant(Basis.PEER_DOSSIER, purpose.text)
    return Visibility(owner_id, by_type={t: grant for t in sorted(procedure_types)})


def check_peer_purpose(uow: UnitOfWork, purpose: PeerPurpose, owner_id: uuid.UUID | None) -> None:
    """A peer speaks only for its own agencies, and only for a dossier one of them received:
    else PermissionDenied, audited (with the owner, when known, so they see the attempt)."""
    reason = None
    if not purpose.agency_code.startswith(purpose.agency_prefix):
        reason = f"{purpose.peer_label}'s vault does not speak for agency {purpose.agency_code}"
    elif not purpose.dossier_code.startswith(purpose.agency_code + "-"):
        reason = "the dossier code names another receiving agency"
    if reason is not None:
        uow.record(
            audit_draft(
                peer_actor(purpose),
                "peer.reuse_candidates",
                Outcome.DENIED,
                owner_id=owner_id,
                purpose=purpose.text,
                detail=reason,
            )
        )
        raise PermissionDenied(reason)


def _reading_agency(actor: Actor) -> str | None:
    """The agency whose grants an officer reads papers under; None if they read none."""
    if not actor.has(*READING_ROLES):
        return None
    return actor.agency_code


def _agency_visibilities(
    uow: UnitOfWork, agency: str, at: datetime, owner_id: uuid.UUID | None = None
) -> dict[uuid.UUID, Visibility]:
    """What an officer of `agency` may see of each owner (only `owner_id`, if given) with an
    open dossier at the agency or a live consent for it; the rules 1 and 2 above. Owners
    absent from the answer are open to the agency only for what it issued (rule 3)."""
    by_type: dict[uuid.UUID, dict[str, Grant]] = {}
    by_document: dict[uuid.UUID, dict[uuid.UUID, Grant]] = {}
    dossiers = uow.access.open_dossiers(agency, owner_id)
    needed = uow.access.paper_types_needed(sorted({d.procedure_code for d in dossiers}))
    for dossier in dossiers:
        purpose = f"dossier {dossier.code} (procedure {dossier.procedure_code})"
        grant = Grant(Basis.DOSSIER, purpose, dossier_id=dossier.id)
        types = by_type.setdefault(dossier.owner_id, {})
        documents = by_document.setdefault(dossier.owner_id, {})
        for paper_type in sorted(needed[dossier.procedure_code]):
            types.setdefault(paper_type, grant)
        for document_id in dossier.attached:
            documents.setdefault(document_id, grant)
    for consent in uow.access.active_consents(agency, at, owner_id):
        grant = Grant(Basis.CONSENT, f"consent: {consent.purpose}", consent_id=consent.id)
        types = by_type.setdefault(consent.owner_id, {})
        by_document.setdefault(consent.owner_id, {})
        for paper_type in consent.paper_types:
            types.setdefault(paper_type, grant)
    return {
        owner: Visibility(
            owner, issuer_agency=agency, by_type=types, by_document=by_document[owner]
        )
        for owner, types in by_type.items()
    }
