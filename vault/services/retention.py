"""Retention, legal holds and disposal (thời hạn bảo quản, tạm giữ, hủy tài liệu hết giá trị).

- The catalogue: each paper type's retention period and the rule it comes from; an
  administrator changes it, audited.
- Legal holds on a document (every version of its lineage) or on an owner, placed and lifted
  by a records officer or an administrator, with a reason, audited; on MinIO mirrored as
  S3 legal holds on the objects.
- Disposal: a job (`retention.list`) examines every document version and lists those whose
  period has ended and that no hold covers; a records officer other than the one who asked
  for the list approves it; a job (`retention.dispose`) then writes a tombstone per version
  (hash, size, the approval), destroys its wrapped data key (crypto-shredding) and deletes its
  object. Nothing else deletes a document's object: `vault.db.retention_guard` refuses.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from vault import crypto
from vault.access import audit_draft
from vault.audit import AuditDraft, Outcome
from vault.auth import Actor, Role
from vault.crypto import Keyring
from vault.db import UnitOfWork, UnitOfWorkFactory
from vault.domain import Blob, Document, MediaType, new_id
from vault.errors import InvalidInput, NotFound, PermissionDenied
from vault.jobs import JobSubject, SubjectType
from vault.progress import Progress, no_progress
from vault.retention import (
    BatchStatus,
    Candidate,
    DisposalBatch,
    DisposalConflict,
    DisposalItem,
    LegalHold,
    RetainedRecord,
    RetentionRule,
    Tombstone,
    retain_until,
)

log = logging.getLogger(__name__)

LIST_KIND = "retention.list"
DISPOSE_KIND = "retention.dispose"
HOLD_ROLES = (Role.RECORDS_OFFICER, Role.ADMINISTRATOR)
PASS_BATCH = 5000
WRITE_SLICE = 20_000  # listed records written (and committed) at a time
DISPOSE_BATCH = 200
# S3 Object Lock on a permanent record: a date no disposal will ever reach.
PERMANENT_LOCK = datetime(2199, 12, 31, tzinfo=UTC)


def _reason(value: str, field: str = "reason") -> str:
    text = " ".join(value.split())
    if not 3 <= len(text) <= 500:
        raise InvalidInput(field, "give a reason of 3 to 500 characters")
    return text


@dataclass(frozen=True, slots=True)
class DocumentRetention:
    """Where one document version stands: until when it is kept, what holds it."""

    document_id: uuid.UUID
    paper_type: str
    years: int | None
    basis: str | None
    retain_until: date | None
    holds: list[LegalHold]
    tombstone: Tombstone | None

    @property
    def due(self) -> bool:
        return self.retain_until is not None and self.retain_until < date.today()


@dataclass(frozen=True, slots=True)
class PassReport:
    examined: int
    listed: int
    held: int
    seconds_by_step: dict[str, float]


@dataclass(frozen=True, slots=True)
class DisposalReport:
    disposed: int
    skipped: list[uuid.UUID]  # held or retained again since the list was approved
    objects_left: list[str]  # objects the store would not delete (their keys are destroyed)


def is_due(c: Candidate, years: dict[str, int | None], as_of: date) -> date | None:
    """The day the candidate's period ended, when it ended before `as_of`; a paper type
    without a rule is kept permanently."""
    until = retain_until(years.get(c.paper_type), c.issue_date, c.stored_on)
    return until if until is not None and until < as_of else None


class RetentionService:
    def __init__(self, keyring: Keyring, today: Callable[[], date] = date.today) -> None:
        self._keyring = keyring
        self._today = today

    # -- the disposal record (biên bản hủy tài liệu) ----------------------------------------

    def store_record(self, uow: UnitOfWork, batch_id: uuid.UUID, pdf: bytes) -> Blob:
        """Stores the signed disposal record of a disposed batch, encrypted like a paper."""
        batch = uow.retention.batch(batch_id)
        if batch is None:
            raise NotFound("no such disposal batch")
        if batch.status is not BatchStatus.DISPOSED:
            raise DisposalConflict("a disposal record is made once the batch is disposed of")
        from vault.services.documents import object_key  # documents imports this module

        blob_id = new_id()
        key = object_key(blob_id)
        data_key = os.urandom(32)
        key_id, wrapped = self._keyring.wrap(blob_id, data_key)
        reader = crypto.EncryptingReader(io.BytesIO(pdf), data_key, max_size=len(pdf))
        uow.wrote_object(key)
        uow.blobs.put(key, reader, crypto.ciphertext_size(len(pdf)))
        blob = Blob(blob_id, key, len(pdf), MediaType.PDF, reader.result.sha256, key_id)
        uow.retention.add_record_blob(blob, wrapped)
        uow.retention.set_record(batch_id, blob_id)
        uow.flush()
        return blob

    def record(self, uow: UnitOfWork, actor: Actor, batch_id: uuid.UUID) -> bytes:
        """The signed disposal record's PDF."""
        actor.require(*HOLD_ROLES, Role.AUDITOR)
        batch = uow.retention.batch(batch_id)
        if batch is None:
            raise NotFound("no such disposal batch")
        found = None if batch.record_blob_id is None else uow.retention.blob(batch.record_blob_id)
        if found is None:
            raise NotFound("this batch has no disposal record yet")
        blob, wrapped = found
        data_key = self._keyring.unwrap(blob.id, blob.key_id, wrapped)
        header = b"".join(uow.blobs.get(blob.object_key, 0, crypto.HEADER_SIZE))
        body = uow.blobs.get(blob.object_key, crypto.HEADER_SIZE)
        uow.record(audit_draft(actor, "retention.record_read", detail=f"batch {batch_id}"))
        return b"".join(
            crypto.decrypt_chunks(
                header, body, data_key, plaintext_size=blob.size, expected_sha256=blob.sha256
            )
        )

    # -- the catalogue ---------------------------------------------------------------------

    def rules(self, uow: UnitOfWork) -> list[RetentionRule]:
        return uow.retention.rules()

    def set_rule(
        self, uow: UnitOfWork, actor: Actor, paper_type: str, years: int | None, basis: str
    ) -> RetentionRule:
        actor.require(Role.ADMINISTRATOR)
        if uow.paper_types.get(paper_type) is None:
            raise NotFound("no such paper type")
        if years is not None and not 1 <= years <= 500:
            raise InvalidInput("years", "a period is 1 to 500 years, or null for permanent")
        basis = _reason(basis, "basis")
        before = uow.retention.rule(paper_type)
        rule = RetentionRule(paper_type, years, basis, datetime.now(UTC), actor.name)
        uow.retention.put_rule(rule)
        uow.flush()
        old = "none" if before is None else (before.years or "permanent")
        uow.record(
            audit_draft(
                actor,
                "retention.rule",
                detail=f"{paper_type}: {old} -> {years or 'permanent'} years; {basis}"[:1000],
            )
        )
        return rule

    def of_document(
        self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID
    ) -> DocumentRetention:
        actor.require(*HOLD_ROLES, Role.AUDITOR)
        candidate = uow.retention.candidate(document_id)
        if candidate is None:
            raise NotFound("no such document")
        rule = uow.retention.rule(candidate.paper_type)
        years = rule.years if rule else None
        return DocumentRetention(
            document_id,
            candidate.paper_type,
            years,
            rule.basis if rule else None,
            retain_until(years, candidate.issue_date, candidate.stored_on),
            uow.retention.holds_on(document_id),
            uow.retention.tombstone(document_id),
        )

    # -- legal holds -----------------------------------------------------------------------

    def place_hold(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        reason: str,
        document_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> LegalHold:
        actor.require(*HOLD_ROLES)
        if (document_id is None) == (owner_id is None):
            raise InvalidInput("document_id", "a hold is on one document or on one owner")
        if document_id is not None and uow.documents.get(document_id) is None:
            raise NotFound("no such document")
        if owner_id is not None and not uow.retention.owner_exists(owner_id):
            raise NotFound("no such owner")
        hold = LegalHold(
            new_id(),
            document_id,
            owner_id,
            _reason(reason),
            actor.name,
            datetime.now(UTC),
            None,
            None,
            None,
        )
        uow.retention.add_hold(hold)
        uow.flush()
        self._mirror_holds(uow, hold)
        uow.record(
            audit_draft(
                actor,
                "retention.hold",
                owner_id=owner_id,
                document_id=document_id,
                detail=f"hold {hold.id}: {hold.reason}",
            )
        )
        return hold

    def lift_hold(
        self, uow: UnitOfWork, actor: Actor, hold_id: uuid.UUID, reason: str
    ) -> LegalHold:
        actor.require(*HOLD_ROLES)
        hold = uow.retention.hold(hold_id)
        if hold is None:
            raise NotFound("no such hold")
        text = _reason(reason)
        if not uow.retention.lift_hold(hold_id, actor.name, datetime.now(UTC), text):
            raise DisposalConflict("this hold is already lifted")
        uow.flush()
        lifted = uow.retention.hold(hold_id)
        assert lifted is not None
        self._mirror_holds(uow, lifted)
        uow.record(
            audit_draft(
                actor,
                "retention.hold_lifted",
                owner_id=hold.owner_id,
                document_id=hold.document_id,
                detail=f"hold {hold.id}: {text}",
            )
        )
        return lifted

    def holds(self, uow: UnitOfWork, actor: Actor, *, active_only: bool = False) -> list[LegalHold]:
        actor.require(*HOLD_ROLES, Role.AUDITOR)
        return uow.retention.holds(active_only=active_only)

    @staticmethod
    def _mirror_holds(uow: UnitOfWork, hold: LegalHold) -> None:
        """S3 legal holds on the objects the hold covers (MinIO; a no-op elsewhere)."""
        store = uow.blobs
        if not getattr(store, "object_lock", False):
            return
        if hold.document_id is not None:
            objects = uow.retention.lineage_objects(hold.document_id)
        else:
            assert hold.owner_id is not None
            objects = uow.retention.owner_objects(hold.owner_id)
        for document_id, key in objects:
            held = bool(uow.retention.holds_on(document_id))
            store.legal_hold(key, held)  # type: ignore[attr-defined]

    # -- S3 Object Lock on new objects -----------------------------------------------------

    @staticmethod
    def lock_object(uow: UnitOfWork, document: Document) -> None:
        """COMPLIANCE retention on a new document's object until its period ends (MinIO)."""
        store = uow.blobs
        if not getattr(store, "object_lock", False):
            return
        rule = uow.retention.rule(document.paper_type)
        until = retain_until(
            rule.years if rule else None, document.issue_date, document.created_at.date()
        )
        lock_until = (
            PERMANENT_LOCK if until is None else datetime.combine(until, time(), tzinfo=UTC)
        )
        store.lock(document.blob.object_key, lock_until)  # type: ignore[attr-defined]

    # -- deleting: refused ---------------------------------------------------------------

    def delete_document(self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID) -> None:
        """A direct deletion, by anyone (an administrator included): always refused, and the
        attempt is on record. A document version leaves the vault only by disposal."""
        candidate = uow.retention.candidate(document_id)
        if candidate is None:
            raise NotFound("no such document")
        held = bool(uow.retention.holds_on(document_id))
        why = "it is under a legal hold" if held else "only an approved disposal removes it"
        uow.record(
            audit_draft(
                actor,
                "document.delete",
                Outcome.DENIED,
                owner_id=candidate.owner_id,
                document_id=document_id,
                detail=f"refused: {why}",
            )
        )
        raise RetainedRecord(f"a document version is never deleted directly: {why}")

    # -- disposal: the list ------------------------------------------------------------------

    def request_list(
        self, uow: UnitOfWork, actor: Actor, as_of: date | None = None
    ) -> DisposalBatch:
        """Opens a batch and queues the pass that fills it (job `retention.list`)."""
        actor.require(*HOLD_ROLES)
        day = as_of or self._today()
        if day > self._today():
            raise InvalidInput("as_of", "a disposal list is never drawn up for a future day")
        batch_id = new_id()
        uow.retention.add_batch(batch_id, day, actor.name)
        uow.jobs.enqueue(
            LIST_KIND,
            {"batch_id": str(batch_id)},
            subject=JobSubject(SubjectType.BATCH, batch_id),
            requested_by=actor.account_id,
        )
        uow.record(audit_draft(actor, "retention.list_requested", detail=f"batch {batch_id}"))
        found = uow.retention.batch(batch_id)
        assert found is not None
        return found

    def run_pass(
        self,
        uows: UnitOfWorkFactory,
        batch_id: uuid.UUID,
        *,
        progress: Progress = no_progress,
        page: int = PASS_BATCH,
    ) -> PassReport:
        """Examines every document version not yet disposed of and lists in the batch those
        due on its day and not held. One server-side cursor reads them in id order; the list
        is written a page at a time by another transaction (at the end on SQLite, whose one
        writer would wait for the reader)."""
        import time as clock

        timings = {"read": 0.0, "examine": 0.0, "write": 0.0}
        with uows() as uow:
            batch = uow.retention.batch(batch_id)
            if batch is None:
                raise NotFound("no such disposal batch")
            if batch.status is not BatchStatus.LISTED:
                raise DisposalConflict("this batch is already decided")
            years = uow.retention.years_by_type()
            lineages, owners = uow.retention.held_sets()
        examined = listed = held = 0
        pending: list[tuple[uuid.UUID, date]] = []

        def write() -> None:
            started = clock.perf_counter()
            with uows() as writer:
                for start in range(0, len(pending), PASS_BATCH):
                    writer.retention.add_items(batch_id, pending[start : start + PASS_BATCH])
                writer.retention.set_examined(batch_id, examined)
                writer.commit()
            pending.clear()
            timings["write"] += clock.perf_counter() - started

        with uows() as reader:
            concurrent = reader.retention.writes_while_reading()
            pages = reader.retention.stream_candidates(page)
            while True:
                started = clock.perf_counter()
                rows = next(pages, None)
                timings["read"] += clock.perf_counter() - started
                if rows is None:
                    break
                started = clock.perf_counter()
                for c in rows:
                    until = is_due(c, years, batch.as_of)
                    if until is None:
                        continue
                    if c.lineage_id in lineages or c.owner_id in owners:
                        held += 1
                        continue
                    pending.append((c.id, until))
                    listed += 1
                examined += len(rows)
                timings["examine"] += clock.perf_counter() - started
                # A commit costs a disk flush: the list is written in large slices.
                if concurrent and (len(pending) >= WRITE_SLICE or examined % (page * 20) == 0):
                    write()
                progress(examined, None)
        write()
        return PassReport(examined, listed, held, {k: round(v, 3) for k, v in timings.items()})

    # -- disposal: the decision ----------------------------------------------------------

    def batches(self, uow: UnitOfWork, actor: Actor) -> list[DisposalBatch]:
        actor.require(*HOLD_ROLES, Role.AUDITOR)
        return uow.retention.batches()

    def batch(
        self, uow: UnitOfWork, actor: Actor, batch_id: uuid.UUID, *, limit: int = 1000
    ) -> tuple[DisposalBatch, list[DisposalItem], list[Tombstone]]:
        actor.require(*HOLD_ROLES, Role.AUDITOR)
        found = uow.retention.batch(batch_id)
        if found is None:
            raise NotFound("no such disposal batch")
        return found, uow.retention.items(batch_id, limit), uow.retention.tombstones(batch_id)

    def decide(
        self, uow: UnitOfWork, actor: Actor, batch_id: uuid.UUID, *, approve: bool, note: str
    ) -> DisposalBatch:
        """Approves (and queues the disposal) or rejects a listed batch. A records officer
        decides, and never on a list they asked for themselves (four eyes)."""
        actor.require(Role.RECORDS_OFFICER)
        batch = uow.retention.batch(batch_id, lock=True)
        if batch is None:
            raise NotFound("no such disposal batch")
        if batch.status is not BatchStatus.LISTED:
            raise DisposalConflict("this batch is already decided")
        if uow.retention.list_job_status(batch_id, LIST_KIND) not in (None, "done"):
            raise DisposalConflict("the list is still being drawn up")
        if batch.listed_by == actor.name:
            uow.record(
                audit_draft(
                    actor,
                    "retention.disposal_decided",
                    Outcome.DENIED,
                    detail=f"batch {batch_id}: the officer who asked for the list decided it",
                )
            )
            raise PermissionDenied("another records officer must decide on a list you asked for")
        status = BatchStatus.APPROVED if approve else BatchStatus.REJECTED
        uow.retention.decide(
            batch_id,
            status,
            decided_by=actor.name,
            decided_by_id=actor.account_id,
            decided_at=datetime.now(UTC),
            decision_note=_reason(note, "note"),
            agency_code=actor.agency_code,
        )
        if approve:
            uow.jobs.enqueue(
                DISPOSE_KIND,
                {"batch_id": str(batch_id)},
                subject=JobSubject(SubjectType.BATCH, batch_id),
                requested_by=actor.account_id,
            )
        uow.record(
            audit_draft(
                actor,
                "retention.disposal_decided",
                detail=f"batch {batch_id}: {status.value} ({batch.items} records)",
            )
        )
        decided = uow.retention.batch(batch_id)
        assert decided is not None
        return decided

    # -- disposal: carrying it out -------------------------------------------------------------

    def dispose(
        self,
        uows: UnitOfWorkFactory,
        batch_id: uuid.UUID,
        *,
        progress: Progress = no_progress,
    ) -> DisposalReport:
        """Carries out an approved batch: for each version still due and still not held, a
        tombstone and the destruction of its data key in one transaction, then the deletion
        of its object. Safe to run again after an interruption."""
        with uows() as uow:
            batch = uow.retention.batch(batch_id)
            if batch is None:
                raise NotFound("no such disposal batch")
            if batch.status not in (BatchStatus.APPROVED, BatchStatus.DISPOSED):
                raise DisposalConflict("only an approved batch is carried out")
            items = uow.retention.items(batch_id)
            years = uow.retention.years_by_type()
        assert batch.decided_by is not None and batch.decided_at is not None
        skipped: list[uuid.UUID] = []
        left: list[str] = []
        disposed = 0
        for start in range(0, len(items), DISPOSE_BATCH):
            chunk = items[start : start + DISPOSE_BATCH]
            keys: list[str] = []
            with uows() as uow:
                for item in chunk:
                    done = uow.retention.tombstone(item.document_id)
                    if done is not None:
                        keys.append(done.object_key)  # a rerun: the object may be left
                        continue
                    c = uow.retention.candidate(item.document_id)
                    if (
                        c is None
                        or is_due(c, years, batch.as_of) is None
                        or uow.retention.holds_on(item.document_id)
                    ):
                        skipped.append(item.document_id)
                        continue
                    document = uow.documents.get(item.document_id)
                    assert document is not None
                    stone = Tombstone(
                        document.id,
                        document.blob.object_key,
                        document.blob.sha256,
                        document.blob.size,
                        document.paper_type,
                        batch_id,
                        batch.decided_by,
                        batch.decided_at,
                        datetime.now(UTC),
                    )
                    keys.append(uow.retention.shred(document.id, stone))
                    uow.record(
                        AuditDraft(
                            action="document.disposed",
                            outcome=Outcome.OK,
                            actor_name=f"disposal approved by {batch.decided_by}",
                            role="system",
                            owner_id=document.owner_id,
                            document_id=document.id,
                            detail=f"batch {batch_id}; sha256 {document.blob.sha256}",
                        )
                    )
                    disposed += 1
                uow.commit()
            # After the commit: the tombstones now let the guard pass these objects.
            for key in keys:
                try:
                    uows.blobs.delete(key)
                except Exception as exc:
                    log.warning("disposed object %s not deleted: %s", key, exc)
                    left.append(key)
            progress(min(start + DISPOSE_BATCH, len(items)), len(items))
        with uows() as uow:
            uow.retention.decide(batch_id, BatchStatus.DISPOSED, disposed_at=datetime.now(UTC))
            uow.commit()
        return DisposalReport(disposed, skipped, left)
