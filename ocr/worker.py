"""The OCR worker: takes OCR jobs from the queue, reads the document, stores what it found.

    run_worker(vault)                       # `vault worker`: until stopped
    run_worker(vault, once=True)            # until no job is due (tests, cron)
    handle = start_background_worker(vault) # inside the API process (embedded default)
    handle.stop()

Each document is read in a child process (forkserver: never forked from a threaded server)
with a time bound and an address-space bound, so a hostile file (a decompression bomb, a
truncated image, a 5,000-page PDF) or a crash of the engine fails its job, never the worker.
Input the pipeline refuses (`ocr.errors` input errors) will never be readable: the job is
parked at once. Anything else (the engine, a timeout, the store or database) is retried with
an exponential backoff, and parked after `ocr_max_attempts`.

While the child works the worker renews its lease; if the worker is killed, the lease runs
out and another worker takes the job over. Results are stored in one transaction that also
marks the job done, and only while the lease is still this worker's: text and per-page
confidence, the searchable PDF as a derived encrypted blob, the type and field suggestions,
and the document's search index entry. The original blob is only ever read.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ocr.classify import Classification
from ocr.errors import InputTooLarge, UnreadableInput, UnsupportedInput
from ocr.isolation import Heartbeat, Interrupted, Recognised, Recogniser, SubprocessRecogniser
from ocr.pipeline import Limits, OcrOptions
from ocr.recognised import save_recognised
from ocr.search import index_document, is_indexed
from vault.audit import AuditDraft
from vault.content import ContentLimits
from vault.domain import Document, MediaType
from vault.errors import IntegrityFailure, VaultError
from vault.jobs import Job, JobKind, backoff_seconds
from vault.runtime import Vault
from vault.services.derived_files import DerivedFileService
from vault.settings import Environment, Settings
from vault.texts import DerivedKind, Suggestion, SuggestionKind

log = logging.getLogger(__name__)

# The input is the problem, and will stay one: no retry.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (UnsupportedInput, UnreadableInput, InputTooLarge)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    options: OcrOptions
    lease: timedelta
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    poll_seconds: float
    job_timeout_seconds: float
    memory_limit_mb: int

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        limits = Limits(
            max_bytes=settings.max_upload_bytes,
            max_pages=settings.ocr_max_pages,
            page_timeout=settings.ocr_page_timeout_seconds,
        )
        return cls(
            # One page at a time: parallelism comes from running more workers.
            options=OcrOptions(limits=limits, workers=1),
            lease=timedelta(seconds=settings.ocr_lease_seconds),
            max_attempts=settings.ocr_max_attempts,
            retry_base_seconds=settings.ocr_retry_base_seconds,
            retry_max_seconds=settings.ocr_retry_max_seconds,
            poll_seconds=settings.ocr_poll_seconds,
            job_timeout_seconds=settings.ocr_job_timeout_seconds,
            memory_limit_mb=settings.ocr_memory_limit_mb,
        )


# -- the worker --------------------------------------------------------------------------


class _LeaseLost(Exception):
    """Another worker has the job now (this one's lease ran out)."""


class _DocumentGone(Exception):
    """The job's document no longer exists."""


def _suggestions(classification: Classification) -> list[Suggestion]:
    out = [
        Suggestion(SuggestionKind.PAPER_TYPE, t.paper_type, t.paper_type, t.confidence, t.evidence)
        for t in classification.types
    ]
    if classification.certified_copy > 0:
        out.append(
            Suggestion(
                SuggestionKind.CERTIFIED_COPY,
                "certified_copy",
                "true",
                classification.certified_copy,
                "",
            )
        )
    out.extend(
        Suggestion(SuggestionKind.FIELD, f.name, f.value, f.confidence, f.evidence)
        for f in classification.fields
    )
    return out


def _error_text(exc: BaseException) -> str:
    detail = exc.detail if isinstance(exc, VaultError) else str(exc)
    return f"{type(exc).__name__}: {detail}"


class OcrWorker:
    def __init__(
        self,
        vault: Vault,
        config: WorkerConfig | None = None,
        *,
        recogniser: Recogniser | None = None,
        name: str | None = None,
    ) -> None:
        self._vault = vault
        self.config = config or WorkerConfig.from_settings(vault.settings)
        self._recognise = recogniser or SubprocessRecogniser(
            self.config.options,
            timeout=self.config.job_timeout_seconds,
            memory_limit_mb=self.config.memory_limit_mb,
            content_limits=ContentLimits(
                vault.settings.max_image_pixels, vault.settings.max_pdf_pages
            ),
        )
        self._derived = DerivedFileService(vault.keyring)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()

    def run(self, *, once: bool = False, stop_event: threading.Event | None = None) -> int:
        """Processes jobs until `stop_event` is set (or, with `once`, until none is due).
        Returns the number of jobs it took."""
        if stop_event is not None:
            self._stop = stop_event
        taken = 0
        while not self._stop.is_set():
            try:
                job = self.process_next()
            except Exception:
                # The database or the store is down: nothing was lost (the lease will run
                # out); wait, then try again.
                log.exception("OCR worker %s: could not take or finish a job", self.name)
                job = None
                if once:
                    raise
            if job is None:
                if once:
                    break
                self._stop.wait(self.config.poll_seconds)
                continue
            taken += 1
        return taken

    def process_next(self) -> Job | None:
        """Claims the next due job and works on it; the job as claimed, or None."""
        with self._vault.uows() as uow:
            job = uow.jobs.claim({JobKind.OCR}, self.name, self.config.lease)
            uow.commit()
        if job is not None:
            self._work(job)
        return job

    def _work(self, job: Job) -> None:
        if job.attempts > self.config.max_attempts:
            # Every attempt so far ended with its lease running out: the worker died on it.
            self._fail(
                job,
                None,
                f"abandoned after {job.attempts - 1} attempts that never finished "
                "(the worker was killed, perhaps out of memory)",
                permanent=True,
            )
            return
        try:
            document, data = self._read(job)
        except _DocumentGone as exc:
            self._fail(job, None, str(exc), permanent=True)
            return
        except IntegrityFailure as exc:  # the stored object is damaged or missing
            self._fail(job, None, _error_text(exc), permanent=True)
            return
        except Exception as exc:
            self._fail(job, None, _error_text(exc), permanent=False)
            return
        started = time.monotonic()
        try:
            recognised = self._recognise(data, document.blob.media_type, self._heartbeat(job))
        except Interrupted:
            if self._stop.is_set():
                self._release(job)
            else:
                log.warning("OCR job %s was taken over by another worker", job.id)
            return
        except PERMANENT_ERRORS as exc:
            self._fail(job, document, _error_text(exc), permanent=True)
            return
        except Exception as exc:
            self._fail(job, document, _error_text(exc), permanent=False)
            return
        try:
            self._store(job, document, recognised)
        except _LeaseLost:
            log.warning("OCR job %s was taken over by another worker; result dropped", job.id)
            return
        except Exception as exc:
            log.exception("OCR job %s: storing the result failed", job.id)
            self._fail(job, document, _error_text(exc), permanent=False)
            return
        log.info(
            "OCR job %s: %d pages of document %s read in %.1f s",
            job.id,
            len(recognised.pages),
            document.id,
            time.monotonic() - started,
        )

    def _read(self, job: Job) -> tuple[Document, bytes]:
        with self._vault.uows() as uow:
            document = uow.documents.get(job.document_id)
            if document is None:
                raise _DocumentGone("the document is gone")
            # The system reads it for itself; nothing is shown to anyone.
            stream = self._vault.documents.read_content(uow, document)
            return document, b"".join(stream.chunks)

    def _heartbeat(self, job: Job) -> Heartbeat:
        every = self.config.lease.total_seconds() / 3
        renewed = time.monotonic()

        def beat() -> bool:
            nonlocal renewed
            if self._stop.is_set():
                return False
            if time.monotonic() - renewed < every:
                return True
            with self._vault.uows() as uow:
                kept = uow.jobs.extend_lease(job.id, self.name, self.config.lease)
                uow.commit()
            renewed = time.monotonic()
            return kept

        return beat

    def _store(self, job: Job, document: Document, recognised: Recognised) -> None:
        with self._vault.uows() as uow:
            if recognised.searchable_pdf is not None:
                self._derived.store(
                    uow,
                    document,
                    DerivedKind.SEARCHABLE_PDF,
                    recognised.searchable_pdf,
                    MediaType.PDF,
                )
            # Suggestions only: the document's own metadata is left as the officer gave it.
            save_recognised(
                uow,
                document.id,
                recognised.pages,
                recognised.confidence,
                _suggestions(recognised.classification),
            )
            index_document(uow, document, [p.text for p in recognised.pages])
            if not uow.jobs.finish(job.id, self.name):
                raise _LeaseLost  # leaving the block rolls back, derived blob included
            uow.record(
                AuditDraft(
                    action="document.ocr",
                    actor_name="OCR worker",
                    role="system",
                    owner_id=document.owner_id,
                    document_id=document.id,
                    detail=f"text of {len(recognised.pages)} pages extracted and indexed",
                )
            )
            uow.commit()

    def _fail(self, job: Job, document: Document | None, error: str, *, permanent: bool) -> None:
        park = permanent or job.attempts >= self.config.max_attempts
        with self._vault.uows() as uow:
            if park:
                kept = uow.jobs.park(job.id, self.name, error)
                if kept and document is not None and not is_indexed(uow, document.id):
                    # Its title and number stay findable even though its text is not.
                    index_document(uow, document, [])
            else:
                delay = backoff_seconds(
                    job.attempts, self.config.retry_base_seconds, self.config.retry_max_seconds
                )
                run_after = datetime.now(UTC) + timedelta(seconds=delay)
                kept = uow.jobs.retry_later(job.id, self.name, error, run_after)
            uow.commit()
        if not kept:
            log.warning("OCR job %s was taken over by another worker", job.id)
        elif park:
            log.warning("OCR job %s failed for good: %s", job.id, error)
        else:
            log.info("OCR job %s failed (attempt %d), will retry: %s", job.id, job.attempts, error)

    def _release(self, job: Job) -> None:
        with self._vault.uows() as uow:
            uow.jobs.release(job.id, self.name)
            uow.commit()
        log.info("OCR job %s given back: the worker is stopping", job.id)


def run_worker(
    vault: Vault,
    *,
    once: bool = False,
    stop_event: threading.Event | None = None,
    config: WorkerConfig | None = None,
    recogniser: Recogniser | None = None,
) -> int:
    """Runs an OCR worker in this thread; see `OcrWorker.run`."""
    worker = OcrWorker(vault, config, recogniser=recogniser)
    return worker.run(once=once, stop_event=stop_event)


def embedded_worker_wanted(settings: Settings) -> bool:
    """Whether `vault serve` should run a worker inside itself: as configured, or by default
    in development only (the embedded default); production runs `vault worker` processes."""
    if settings.ocr_worker_embedded is not None:
        return settings.ocr_worker_embedded
    return settings.env is Environment.DEVELOPMENT


class BackgroundWorker:
    """A worker on a daemon thread of this process (the OCR itself runs in child processes,
    so the thread holds the GIL only between jobs)."""

    def __init__(
        self,
        vault: Vault,
        config: WorkerConfig | None = None,
        *,
        recogniser: Recogniser | None = None,
    ) -> None:
        self._stop = threading.Event()
        self._worker = OcrWorker(vault, config, recogniser=recogniser)
        self._thread = threading.Thread(target=self._run, name="ocr-worker", daemon=True)

    def _run(self) -> None:
        self._worker.run(stop_event=self._stop)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stops after giving back the job in hand (its OCR process is killed)."""
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def start_background_worker(vault: Vault, config: WorkerConfig | None = None) -> BackgroundWorker:
    return BackgroundWorker(vault, config).start()


__all__ = [
    "BackgroundWorker",
    "Heartbeat",
    "Interrupted",
    "OcrWorker",
    "Recognised",
    "Recogniser",
    "SubprocessRecogniser",
    "WorkerConfig",
    "embedded_worker_wanted",
    "run_worker",
    "start_background_worker",
]
