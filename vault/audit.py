"""The audit log (nhật ký truy cập): append-only, hash-chained, written by group commit.

Each entry's hash covers its content and the previous entry's hash, so editing, deleting or
reordering any committed entry breaks the chain from there on (`vault audit verify`).

Appends are serialised through the chain head row (locked with FOR UPDATE on PostgreSQL; the
single writer lock on SQLite). One writer thread per process takes whatever entries are waiting
and commits them in one transaction: under load a commit carries many entries, which is what
keeps the chain strict and the throughput high. A caller waits until its entries are durable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from vault import metrics
from vault.audit_types import Anchor
from vault.domain import AuditEntry
from vault.errors import AuditUnavailable

log = logging.getLogger(__name__)

GENESIS = "0" * 64


class Outcome:
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An entry before it has a place in the chain."""

    action: str
    outcome: str = Outcome.OK
    actor_id: str | None = None
    actor_name: str | None = None
    client_id: str | None = None
    agency_code: str | None = None
    role: str | None = None
    owner_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    dossier_id: uuid.UUID | None = None
    purpose: str | None = None
    detail: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the canonical JSON of every field but the hash itself."""
    fields: dict[str, Any] = asdict(entry)
    fields.pop("hash")
    fields["at"] = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    for key in ("owner_id", "document_id", "dossier_id"):
        if fields[key] is not None:
            fields[key] = str(fields[key])
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain(drafts: list[AuditDraft], seq: int, prev: str) -> list[AuditEntry]:
    entries = []
    for draft in drafts:
        seq += 1
        # Stored timestamps keep microseconds on both backends; hash what will be read back.
        at = draft.at.astimezone(UTC)
        unhashed = AuditEntry(
            seq=seq,
            at=at,
            actor_id=draft.actor_id,
            actor_name=draft.actor_name,
            client_id=draft.client_id,
            agency_code=draft.agency_code,
            role=draft.role,
            action=draft.action,
            owner_id=draft.owner_id,
            document_id=draft.document_id,
            dossier_id=draft.dossier_id,
            purpose=draft.purpose,
            outcome=draft.outcome,
            detail=draft.detail,
            prev_hash=prev,
            hash="",
        )
        done = replace(unhashed, hash=entry_hash(unhashed))
        entries.append(done)
        prev = done.hash
    return entries


@dataclass
class _Pending:
    drafts: list[AuditDraft]
    done: Future[list[AuditEntry]] = field(default_factory=Future)
    queued_at: float = field(default_factory=time.perf_counter)


class AuditLog:
    """Appends entries; `write` is the only way into the chain."""

    MAX_BATCH = 1000

    def __init__(self, uows: Any, *, timeout: float = 30) -> None:
        # `uows` makes units of work (vault.db.UnitOfWorkFactory); typed loosely to keep this
        # module free of the db package's import cycle.
        self._uows = uows
        self._timeout = timeout
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # The chain head as this writer last left it (only its thread touches it).
        self._head: tuple[int, str] | None = None
        # The batch as last sent to the database, whether or not its commit was answered.
        self._attempted: list[AuditEntry] | None = None

    def write(self, drafts: list[AuditDraft]) -> list[AuditEntry]:
        """Blocks until the entries are committed; raises AuditUnavailable otherwise."""
        if not drafts:
            return []
        self._ensure_writer()
        pending = _Pending(list(drafts))
        self._queue.put(pending)
        try:
            return pending.done.result(timeout=self._timeout)
        except Exception as exc:
            raise AuditUnavailable("the audit log could not be written") from exc

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            size = len(first.drafts)
            while size < self.MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
                size += len(more.drafts)
            started = time.thread_time()
            self._commit(batch)
            metrics.audit_writer_cpu_seconds.inc(time.thread_time() - started)

    def _commit(self, batch: list[_Pending]) -> None:
        drafts = [d for p in batch for d in p.drafts]
        self._attempted = None
        entries = self._append_after_known_head(drafts)
        for attempt in range(3):
            if entries is not None:
                break
            try:
                # A commit whose answer was lost may have been durable all the same: the
                # retry must not write the batch a second time.
                entries = self._written(self._attempted)
                if entries is not None:
                    self._head = (entries[-1].seq, entries[-1].hash)
                    break
                with self._uows() as uow:
                    seq, prev = uow.audit.lock_head()
                    entries = self._attempted = chain(drafts, seq, prev)
                    uow.audit.append(entries)
                    uow.commit()
                self._head = (entries[-1].seq, entries[-1].hash)
                break
            except Exception as exc:
                entries = None
                # Another process may have taken the same sequence numbers (SQLite has no
                # row lock): retry with a fresh head.
                if attempt == 2:
                    log.error("audit batch of %d entries not written: %s", len(drafts), exc)
                    for p in batch:
                        p.done.set_exception(exc)
                    return
        assert entries is not None
        durable = time.perf_counter()
        metrics.audit_batch_entries.observe(len(drafts))
        i = 0
        for p in batch:
            metrics.audit_lag_seconds.observe(durable - p.queued_at)
            p.done.set_result(entries[i : i + len(p.drafts)])
            i += len(p.drafts)

    def _append_after_known_head(self, drafts: list[AuditDraft]) -> list[AuditEntry] | None:
        """The fast path: chain onto the head this writer last wrote and append in one
        round trip. None when the head is unknown or another process has moved it (then the
        locking path reads it afresh), or on any error (the locking path retries)."""
        if self._head is None:
            return None
        entries = self._attempted = chain(drafts, *self._head)
        try:
            with self._uows() as uow:
                if not uow.audit.append_after(self._head, entries):
                    self._head = None
                    return None
                uow.commit()  # already durable: the statement autocommitted
        except Exception as exc:
            log.warning("audit fast append failed, taking the lock: %s", type(exc).__name__)
            self._head = None
            return None
        self._head = (entries[-1].seq, entries[-1].hash)
        return entries

    def _written(self, entries: list[AuditEntry] | None) -> list[AuditEntry] | None:
        """`entries` if they are in the chain already (the last one's hash is at its seq:
        the hash covers the previous hash and the content, so it is this batch)."""
        if entries is None:
            return None
        with self._uows() as uow:
            found = uow.audit.hash_at(entries[-1].seq)
        return entries if found == entries[-1].hash else None

    def close(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._queue.put(None)
                self._thread.join(5)
            self._thread = None


@dataclass
class ChainReport:
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int = 0


def verify_chain(uows: Any) -> ChainReport:
    """Recomputes every hash and link, from the genesis to the recorded head."""
    count = 0
    prev, expected_seq = GENESIS, 1
    with uows() as uow:
        head_seq, head_hash = uow.audit.head()
        for entry in uow.audit.iter_all():
            count += 1
            if entry.seq != expected_seq:
                return ChainReport(count, False, expected_seq, "an entry is missing", head_seq)
            if entry.prev_hash != prev:
                return ChainReport(
                    count, False, entry.seq, "the link to the previous entry is broken", head_seq
                )
            if entry_hash(entry) != entry.hash:
                return ChainReport(count, False, entry.seq, "the entry was altered", head_seq)
            prev, expected_seq = entry.hash, entry.seq + 1
        if (expected_seq - 1, prev) != (head_seq, head_hash):
            return ChainReport(
                count, False, expected_seq, "entries after the last one were removed", head_seq
            )
    return ChainReport(count, True, head_seq=head_seq)


def _imprint_and_time(token: bytes) -> tuple[bytes, str, datetime]:
    from asn1crypto import cms, tsp

    info = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    imprint = info["message_imprint"]
    return (
        bytes(imprint["hashed_message"].native),
        str(imprint["hash_algorithm"]["algorithm"].native),
        info["gen_time"].native,
    )


def anchor_head(uows: Any, tsa_url: str, *, timeout: float = 10) -> Anchor | None:
    """Timestamps the chain head (RFC 3161) so the whole log can be proven to have existed
    at that time; None when the head is already anchored."""
    import asyncio

    from pyhanko.sign.timestamps.requests_client import HTTPTimeStamper

    with uows() as uow:
        seq, head = uow.audit.head()
        latest = uow.audit.latest_anchor_seq()
    if seq == 0 or latest == seq:
        return None
    stamper = HTTPTimeStamper(tsa_url, timeout=timeout)  # type: ignore[no-untyped-call]
    token = asyncio.run(stamper.async_timestamp(bytes.fromhex(head), "sha256")).dump()
    imprint, algorithm, gen_time = _imprint_and_time(token)
    if imprint != bytes.fromhex(head) or algorithm != "sha256":
        raise AuditUnavailable("the timestamp authority stamped something else")
    anchor = Anchor(seq, head, tsa_url, token, gen_time)
    with uows() as uow:
        uow.audit.add_anchor(anchor)
        uow.commit()
    return anchor


def verify_anchors(uows: Any) -> list[str]:
    """Problems with the anchors: each must stamp the hash the chain has at its entry. (The
    token's own signature is the TSA's; `vault verify`-style trust checks apply to it.)"""
    problems = []
    with uows() as uow:
        for anchor in uow.audit.anchors():
            imprint, _, _ = _imprint_and_time(anchor.token)
            entry_hash = uow.audit.hash_at(anchor.seq)
            if imprint != bytes.fromhex(anchor.hash):
                problems.append(f"anchor at {anchor.seq}: the token stamps another hash")
            elif entry_hash != anchor.hash:
                problems.append(f"anchor at {anchor.seq}: the chain no longer has that hash")
    return problems


class AnchorTimer:
    """Anchors the chain head every `audit_anchor_interval_seconds` in a background thread."""

    def __init__(self, uows: Any, tsa_url: str, interval: float) -> None:
        self._uows, self._url, self._interval = uows, tsa_url, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)

    @classmethod
    def start(cls, vault: Any) -> AnchorTimer | None:
        settings = vault.settings
        if not settings.audit_tsa_url or settings.audit_anchor_interval_seconds <= 0:
            return None
        timer = cls(vault.uows, settings.audit_tsa_url, settings.audit_anchor_interval_seconds)
        timer._thread.start()
        return timer

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                anchor_head(self._uows, self._url)
            except Exception as exc:
                log.error("could not anchor the audit chain: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
