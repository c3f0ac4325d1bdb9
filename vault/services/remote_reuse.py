"""Reuse across provinces (tái sử dụng liên tỉnh): the reuse plan also asks the peer vaults,
and a paper one of them offers is taken into this vault and attached to the dossier.

The plan asks every configured peer at once, in threads, while the local plan is worked out;
whatever has not answered when the time budget (`peer_budget_seconds`) runs out is reported
as "did not answer", and a peer that is down or refuses costs only its own candidates.

Taking a paper: the peer is asked again (it decides now, not when the plan was shown), the
paper is streamed and checked against the size and SHA-256 it announced, its signatures are
judged by this vault's one verifier, and only then is a copy stored, marked with where it
came from (`PeerCopy`), and attached with reused = 1 and "taken from the owner's
warehouse". Both vaults audit: the peer in the owner's access log there, this vault here.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, cast

from vault.access import audit_draft
from vault.audit import Outcome
from vault.auth import Actor, Role
from vault.db import UnitOfWork
from vault.db.peer_repository import PeerCopyRepository
from vault.domain import (
    VERIFIED_ISSUER_ORIGINS,
    Document,
    DocumentOrigin,
    Dossier,
    DossierAttachment,
    DossierStatus,
    Owner,
    PeerCopy,
    Procedure,
    Reuse,
    SignatureCheck,
    SignatureVerdict,
)
from vault.errors import Conflict, ContentTooLarge, NotFound, PermissionDenied
from vault.integrations.base import (
    IntegrationError,
    IntegrationProtocolError,
    IntegrationRefused,
    IntegrationUnavailable,
)
from vault.integrations.peer import (
    PeerAnswer,
    PeerVault,
    RefusedType,
    ReuseCandidate,
    ReuseRequest,
)
from vault.services.document_inputs import NewDocument
from vault.services.documents import DocumentService
from vault.services.portal_payload import EventKind
from vault.services.portal_sync import record_event
from vault.services.reuse import ReusePlan, ReuseService
from vault.services.reuse_rule import acceptable, refusal_reason
from vault.services.signatures import SignatureService
from vault.settings import PeerSettings

log = logging.getLogger("vault.peers")

# A paper arriving from a peer is kept in memory up to this size, then spooled to disk.
_SPOOL_BYTES = 8 * 1024 * 1024


class PeerStatus:
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"  # down, or slower than the budget
    REFUSED = "refused"  # it answered with a refusal (4xx)
    FAILED = "failed"  # it answered, but not in the agreed shape


@dataclass(frozen=True, slots=True)
class RemoteCandidate:
    peer: str
    peer_label: str
    candidate: ReuseCandidate
    attached: bool = False  # already taken and attached to this dossier


@dataclass(frozen=True, slots=True)
class PeerOutcome:
    peer: str
    label: str
    status: str
    message: str  # for people: "tỉnh B did not answer", in English
    seconds: float
    candidates: tuple[RemoteCandidate, ...] = ()
    refused: tuple[RefusedType, ...] = ()


@dataclass(frozen=True, slots=True)
class FederatedPlan:
    local: ReusePlan
    peers: tuple[PeerOutcome, ...] = ()
    # Local papers that are copies taken from a peer: where from.
    provenance: Mapping[uuid.UUID, PeerCopy] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TakenPaper:
    attachment: DossierAttachment
    document: Document
    provenance: PeerCopy
    created: bool


class RemoteReuseService:
    def __init__(
        self,
        *,
        reuse: ReuseService,
        documents: DocumentService,
        signatures: SignatureService,
        peers: Mapping[str, PeerVault],
        settings: Mapping[str, PeerSettings],
        budget_seconds: float,
        max_download_bytes: int,
    ) -> None:
        self._reuse = reuse
        self._documents = documents
        self._signatures = signatures
        self._peers = dict(peers)
        self._settings = dict(settings)
        self.budget_seconds = budget_seconds
        self._max_download = max_download_bytes
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._peers)

    def label(self, peer: str) -> str:
        found = self._settings.get(peer)
        return found.label if found else peer

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        for adapter in self._peers.values():
            adapter.close()

    # -- the plan ------------------------------------------------------------------------

    def plan(
        self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID, *, ask_peers: bool = True
    ) -> FederatedPlan:
        """The local reuse plan, with what each peer offers for the same dossier."""
        started = time.monotonic()
        asked: dict[str, Future[PeerAnswer]] = {}
        request = None
        if ask_peers and self._peers:
            request = self._request_if_allowed(uow, actor, dossier_id)
        if request is not None:
            pool = self._executor()
            asked = {
                name: pool.submit(adapter.reuse_candidates, request)
                for name, adapter in self._peers.items()
            }
        local = self._reuse.plan(uow, actor, dossier_id)
        if not self._peers:
            # No federation: the local plan as it is, not one query more.
            return FederatedPlan(local)
        outcomes = [self._outcome(name, f, started) for name, f in asked.items()]
        copies = uow.repository(PeerCopyRepository)
        local_ids = [c.document.id for n in local.needed for c in n.candidates]
        provenance = copies.of_documents(local_ids)
        if any(o.candidates for o in outcomes):
            attached = {a.document_id for a in uow.dossiers.attachments(local.dossier.id)}
            outcomes = [self._mark_attached(o, copies, attached) for o in outcomes]
        if asked:
            uow.record(
                audit_draft(
                    actor,
                    "peer.ask",
                    owner_id=local.dossier.owner_id,
                    dossier_id=local.dossier.id,
                    purpose=f"dossier {local.dossier.code} (procedure {local.procedure.code})",
                    detail="; ".join(f"{o.peer}: {o.status}" for o in outcomes),
                )
            )
        return FederatedPlan(local, tuple(outcomes), provenance)

    def _request_if_allowed(
        self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID
    ) -> ReuseRequest | None:
        """The question for the peers, only when the local plan will be shown: a receiving
        officer of the agency that received this open dossier (the local plan then denies
        and audits anything else; nothing leaves this vault for a request it refuses)."""
        if not actor.has(Role.RECEIVING_OFFICER):
            return None
        dossier = uow.dossiers.get(dossier_id)
        if dossier is None or dossier.receiving_agency_code != actor.agency_code:
            return None
        if dossier.status is not DossierStatus.OPEN:
            return None
        procedure = uow.procedures.get(dossier.procedure_code)
        owner = uow.owners.get(dossier.owner_id)
        if procedure is None or owner is None:
            return None
        return _request(actor, dossier, procedure, owner)

    def _outcome(self, name: str, future: Future[PeerAnswer], started: float) -> PeerOutcome:
        label = self.label(name)
        remaining = max(0.0, self.budget_seconds - (time.monotonic() - started))
        try:
            answer = future.result(timeout=remaining)
        except FutureTimeout:
            future.cancel()
            return self._failed(name, PeerStatus.NO_ANSWER, f"{label} did not answer", started)
        except IntegrationUnavailable:
            return self._failed(name, PeerStatus.NO_ANSWER, f"{label} did not answer", started)
        except IntegrationRefused as exc:
            text = f"{label} refused: {exc.problem.get('detail') or exc.problem.get('title')}"
            return self._failed(name, PeerStatus.REFUSED, text[:300], started)
        except IntegrationError:
            text = f"{label} answered in a way this vault does not understand"
            return self._failed(name, PeerStatus.FAILED, text, started)
        candidates = tuple(RemoteCandidate(name, label, c) for c in answer.candidates)
        return PeerOutcome(
            name,
            label,
            PeerStatus.ANSWERED,
            f"{label} answered",
            time.monotonic() - started,
            candidates,
            answer.refused,
        )

    def _failed(self, name: str, status: str, message: str, started: float) -> PeerOutcome:
        log.warning("peer %s: %s", name, status)
        return PeerOutcome(name, self.label(name), status, message, time.monotonic() - started)

    @staticmethod
    def _mark_attached(
        outcome: PeerOutcome, copies: PeerCopyRepository, attached: set[uuid.UUID]
    ) -> PeerOutcome:
        if not outcome.candidates:
            return outcome
        taken = copies.from_peer(
            outcome.peer, [c.candidate.ref.document_id for c in outcome.candidates]
        )
        here = {(t.remote_document_id, t.sha256) for t in taken if t.document_id in attached}
        marked = tuple(
            RemoteCandidate(
                c.peer,
                c.peer_label,
                c.candidate,
                (c.candidate.ref.document_id, c.candidate.ref.sha256) in here,
            )
            for c in outcome.candidates
        )
        return PeerOutcome(
            outcome.peer,
            outcome.label,
            outcome.status,
            outcome.message,
            outcome.seconds,
            marked,
            outcome.refused,
        )

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=max(4, 8 * len(self._peers)), thread_name_prefix="peer-ask"
                )
            return self._pool

    # -- taking a paper ------------------------------------------------------------------

    def take(
        self,
        uow: UnitOfWork,
        actor: Actor,
        dossier_id: uuid.UUID,
        peer: str,
        remote_document_id: str,
    ) -> TakenPaper:
        """Takes the paper `remote_document_id` the peer offers for this dossier into the
        owner's warehouse here and attaches it (reused = 1). Idempotent: a paper already
        taken (same peer, id and bytes) is attached again, not copied twice."""
        actor.require(Role.RECEIVING_OFFICER)
        dossier = uow.dossiers.get(dossier_id)
        if dossier is None:
            raise NotFound("no such dossier")
        if dossier.receiving_agency_code != actor.agency_code:
            uow.record(
                audit_draft(
                    actor,
                    "dossier.attach",
                    Outcome.DENIED,
                    owner_id=dossier.owner_id,
                    dossier_id=dossier.id,
                    detail="not a dossier of your agency",
                )
            )
            raise PermissionDenied("not a dossier of your agency")
        if dossier.status is not DossierStatus.OPEN:
            raise Conflict("the dossier is closed")
        adapter = self._peers.get(peer)
        if adapter is None:
            raise NotFound("no such peer vault")
        procedure = uow.procedures.get(dossier.procedure_code)
        owner = uow.owners.get(dossier.owner_id)
        if procedure is None or owner is None:
            raise NotFound("the dossier's procedure or owner is missing")
        label = self.label(peer)
        request = _request(actor, dossier, procedure, owner)
        candidate = self._offered(uow, actor, dossier, adapter, request, peer, remote_document_id)
        copies = uow.repository(PeerCopyRepository)
        known = copies.taken(peer, remote_document_id, candidate.ref.sha256)
        if known is not None:
            document = uow.documents.get(known.document_id)
            if document is not None and document.owner_id == owner.id:
                return self._attach(uow, actor, dossier, document, known, label)
        data = self._download(uow, actor, dossier, adapter, candidate, request, label)
        try:
            verdict = self._signatures.judge(data.read())
            data.seek(0)
            if not acceptable_verdict(verdict):
                why = refusal_reason(_as_check(verdict))
                self._refuse(uow, actor, dossier, f"{label}: {why}")
                raise Conflict(f"the paper from {label} cannot be reused: {why}")
            document = self._documents.store_copy(
                uow,
                actor,
                owner.id,
                self._meta(candidate, peer),
                cast(BinaryIO, data),
                detail=f"taken from {label}'s vault ({peer}: {remote_document_id})",
            )
        finally:
            data.close()
        if document.has_signature:
            self._signatures.record(uow, document, verdict)
        provenance = PeerCopy(
            document.id,
            peer,
            label,
            remote_document_id,
            candidate.ref.sha256,
            datetime.now(UTC),
            str(actor.account_id),
            dossier.id,
        )
        copies.add(provenance)
        return self._attach(uow, actor, dossier, document, provenance, label)

    def _offered(
        self,
        uow: UnitOfWork,
        actor: Actor,
        dossier: Dossier,
        adapter: PeerVault,
        request: ReuseRequest,
        peer: str,
        remote_document_id: str,
    ) -> ReuseCandidate:
        """The peer's offer of this paper now (it may have changed its mind since the plan)."""
        label = self.label(peer)
        try:
            answer = adapter.reuse_candidates(request)
        except IntegrationUnavailable as exc:
            raise IntegrationUnavailable(peer, f"{label} did not answer") from exc
        for candidate in answer.candidates:
            if candidate.ref.document_id == remote_document_id:
                break
        else:
            self._refuse(uow, actor, dossier, f"{label} does not offer {remote_document_id}")
            raise NotFound(f"{label} does not offer this paper for this dossier")
        if not candidate.usable:
            why = "; ".join(r.text for r in candidate.reasons) or "refused"
            self._refuse(uow, actor, dossier, f"{label}: {why}")
            raise Conflict(f"the paper from {label} cannot be reused: {why}")
        if candidate.ref.size > self._max_download:
            raise ContentTooLarge(
                f"the paper is {candidate.ref.size} bytes; the limit is {self._max_download}",
                self._max_download,
            )
        return candidate

    def _download(
        self,
        uow: UnitOfWork,
        actor: Actor,
        dossier: Dossier,
        adapter: PeerVault,
        candidate: ReuseCandidate,
        request: ReuseRequest,
        label: str,
    ) -> tempfile.SpooledTemporaryFile[bytes]:
        spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=_SPOOL_BYTES
        )
        try:
            with adapter.fetch_document(candidate.ref, request) as stream:
                for chunk in stream:
                    spool.write(chunk)
        except IntegrationProtocolError as exc:
            spool.close()
            # The bytes are not the ones announced: altered on the way, or a broken peer.
            self._refuse(uow, actor, dossier, f"{label}: the paper does not match its digest")
            raise Conflict(
                f"the paper from {label} was altered in transit (it does not match the digest "
                "the peer announced): refused"
            ) from exc
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    def _attach(
        self,
        uow: UnitOfWork,
        actor: Actor,
        dossier: Dossier,
        document: Document,
        provenance: PeerCopy,
        label: str,
    ) -> TakenPaper:
        existing = uow.dossiers.attachment(dossier.id, document.id)
        if existing is not None:
            return TakenPaper(existing, document, provenance, False)
        attachment = DossierAttachment(
            dossier.id,
            document.id,
            datetime.now(UTC),
            reused=Reuse.YES,
            from_warehouse=True,
        )
        uow.dossiers.attach(attachment)
        uow.flush()
        # The portal hears of it like any component: reused = 1, from the warehouse.
        record_event(uow, dossier.id, EventKind.COMPONENT_ATTACHED, by=actor.name)
        uow.record(
            audit_draft(
                actor,
                "dossier.attach",
                owner_id=dossier.owner_id,
                dossier_id=dossier.id,
                document_id=document.id,
                purpose=f"dossier {dossier.code} (procedure {dossier.procedure_code}); "
                f"taken from {label}'s vault",
                detail=f"taken from {label}'s vault ({provenance.peer}: "
                f"{provenance.remote_document_id})",
            )
        )
        return TakenPaper(attachment, document, provenance, True)

    def _refuse(self, uow: UnitOfWork, actor: Actor, dossier: Dossier, why: str) -> None:
        uow.record(
            audit_draft(
                actor,
                "dossier.attach",
                Outcome.DENIED,
                owner_id=dossier.owner_id,
                dossier_id=dossier.id,
                detail=why[:1000],
            )
        )

    def _meta(self, candidate: ReuseCandidate, peer: str) -> NewDocument:
        """The copy's metadata as the peer gave it. An issuer the peer vouches for must be one
        of its own agencies; else the copy's issuer counts as merely stated (digitised)."""
        try:
            origin = DocumentOrigin(candidate.origin or DocumentOrigin.DIGITISED.value)
        except ValueError:
            origin = DocumentOrigin.DIGITISED
        prefix = self._settings[peer].agency_prefix if peer in self._settings else "\0"
        issuer = candidate.issuer_agency_code
        if origin in VERIFIED_ISSUER_ORIGINS and not (issuer or "").startswith(prefix):
            origin = DocumentOrigin.DIGITISED
        return NewDocument(
            paper_type=candidate.paper_type,
            title=candidate.title,
            origin=origin,
            reference_number=candidate.reference_number,
            issuer_agency_code=issuer,
            issue_date=candidate.issued_on,
            valid_until=candidate.valid_until,
        )


def _request(actor: Actor, dossier: Dossier, procedure: Procedure, owner: Owner) -> ReuseRequest:
    return ReuseRequest(
        owner_identifier=owner.identifier,
        paper_types=tuple(sorted(procedure.paper_types)),
        dossier_code=dossier.code,
        purpose=procedure.name_vi,
        procedure_code=procedure.code,
        requesting_agency=actor.agency_code or "",
        officer_id=str(actor.account_id),
        officer_name=actor.name,
    )


def acceptable_verdict(verdict: SignatureVerdict) -> bool:
    return acceptable(_as_check(verdict))


def _as_check(verdict: SignatureVerdict) -> SignatureCheck:
    """A verdict on bytes not stored yet, in the shape the reuse rule reads."""
    return SignatureCheck(
        uuid.UUID(int=0), "", verdict.status, verdict.detail, verdict.signer, datetime.now(UTC)
    )
