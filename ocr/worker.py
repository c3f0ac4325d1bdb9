"""The OCR job handler: reads a document's text, stores what it found.

    registry.register(OcrJobHandler(vault))      # the composition root (api) does this
    ocr_runner(vault).run(once=True)             # a runner of OCR jobs only (tests, tools)

Each document is read in a child process (forkserver: never forked from a threaded server)
with a time bound and an address-space bound, so a hostile file (a decompression bomb, a
truncated image, a 5,000-page PDF) or a crash of the engine fails its job, never the worker.
Input the pipeline refuses (`ocr.errors` input errors) will never be readable: the job is
parked at once. Anything else (the engine, a timeout, the store or database) is retried with
an exponential backoff, and parked after `ocr_max_attempts`.

While the child works the job's heartbeat renews its lease; if the worker is killed, the
lease runs out and another worker takes the job over. Results are stored in one transaction
that also marks the job done, and only while the lease is still this worker's: text and
per-page confidence, the searchable PDF as a derived encrypted blob, the type and field
suggestions, and the document's search index entry. The original blob is only ever read.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from ocr.classify import Classification
from ocr.errors import InputTooLarge, UnreadableInput, UnsupportedInput
from ocr.isolation import Heartbeat, Interrupted, Recognised, Recogniser, SubprocessRecogniser
from ocr.pipeline import Limits, OcrOptions
from ocr.recognised import save_recognised
from ocr.search import index_document, is_indexed
from vault import metrics
from vault.audit import AuditDraft
from vault.content import ContentLimits
from vault.domain import AttachmentRole, Document, MediaType
from vault.errors import IntegrityFailure
from vault.jobs import (
    OCR_KIND,
    FailureOutcome,
    JobContext,
    JobInterrupted,
    JobPolicy,
    JobRegistry,
    JobRunner,
    LeaseLost,
    describe_error,
)
from vault.runtime import Vault
from vault.services import lookups
from vault.services.derived_files import DerivedFileService
from vault.services.portal_payload import EventKind
from vault.services.portal_sync import record_document_event
from vault.settings import Settings
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

    @property
    def policy(self) -> JobPolicy:
        return JobPolicy(
            lease=self.lease,
            max_attempts=self.max_attempts,
            retry_base_seconds=self.retry_base_seconds,
            retry_max_seconds=self.retry_max_seconds,
        )


# -- the worker --------------------------------------------------------------------------


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


class OcrJobHandler:
    """The handler of `ocr` jobs (subject: the document to read)."""

    kind = OCR_KIND

    def __init__(
        self,
        vault: Vault,
        config: WorkerConfig | None = None,
        *,
        recogniser: Recogniser | None = None,
    ) -> None:
        self._vault = vault
        self.config = config or WorkerConfig.from_settings(vault.settings)
        self.policy = self.config.policy
        self._recognise = recogniser or SubprocessRecogniser(
            self.config.options,
            timeout=self.config.job_timeout_seconds,
            memory_limit_mb=self.config.memory_limit_mb,
            content_limits=ContentLimits(
                vault.settings.max_image_pixels, vault.settings.max_pdf_pages
            ),
        )
        self._derived = DerivedFileService(vault.keyring)

    def run(self, context: JobContext) -> None:
        job = context.job
        try:
            document, data = self._read(context)
        except _DocumentGone as exc:
            self._fail(context, None, str(exc), permanent=True)
            return
        except IntegrityFailure as exc:  # the stored object is damaged or missing
            self._fail(context, None, describe_error(exc), permanent=True)
            return
        except Exception as exc:
            self._fail(context, None, describe_error(exc), permanent=False)
            return
        started = time.monotonic()
        try:
            recognised = self._recognise(data, document.blob.media_type, context.heartbeat)
        except Interrupted as exc:
            # Stopping (the job is given back), cancelled, or taken over: the runner knows.
            raise JobInterrupted from exc
        except PERMANENT_ERRORS as exc:
            self._fail(context, document, describe_error(exc), permanent=True)
            return
        except Exception as exc:
            self._fail(context, document, describe_error(exc), permanent=False)
            return
        try:
            self._store(context, document, recognised)
        except LeaseLost:
            log.warning("OCR job %s was taken over by another worker; result dropped", job.id)
            raise
        except Exception as exc:
            log.exception("OCR job %s: storing the result failed", job.id)
            self._fail(context, document, describe_error(exc), permanent=False)
            return
        seconds = time.monotonic() - started
        metrics.ocr_pages.inc(len(recognised.pages))
        metrics.ocr_seconds.inc(seconds)
        log.info(
            "OCR job %s: %d pages of document %s read in %.1f s",
            job.id,
            len(recognised.pages),
            document.id,
            seconds,
        )

    def _read(self, context: JobContext) -> tuple[Document, bytes]:
        document_id = context.job.document_id
        with self._vault.uows() as uow:
            document = lookups.document(uow, document_id) if document_id else None
            if document is None:
                raise _DocumentGone("the document is gone")
            # The system reads it for itself; nothing is shown to anyone.
            stream = self._vault.documents.read_content(uow, document)
            return document, b"".join(stream.chunks)

    def _store(self, context: JobContext, document: Document, recognised: Recognised) -> None:
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
            # A scan of a dossier's component is now digitised: the portal hears of it.
            record_document_event(
                uow, document.id, EventKind.SCAN_DIGITISED, AttachmentRole.COMPONENT
            )
            # Raises LeaseLost if the job is no longer ours: leaving the block rolls back,
            # derived blob included.
            context.finish(uow)
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

    def _fail(
        self, context: JobContext, document: Document | None, error: str, *, permanent: bool
    ) -> None:
        with self._vault.uows() as uow:
            outcome = context.fail(uow, error, permanent=permanent)
            if (
                outcome is FailureOutcome.PARKED
                and document is not None
                and not is_indexed(uow, document.id)
            ):
                # Its title and number stay findable even though its text is not.
                index_document(uow, document, [])
            uow.commit()


def ocr_runner(
    vault: Vault,
    config: WorkerConfig | None = None,
    *,
    recogniser: Recogniser | None = None,
    name: str | None = None,
) -> JobRunner:
    """A runner of OCR jobs only (`vault worker --kinds ocr` builds the same)."""
    handler = OcrJobHandler(vault, config, recogniser=recogniser)
    return JobRunner(
        vault.uows,
        JobRegistry([handler]),
        poll_seconds=handler.config.poll_seconds,
        name=name,
    )


def run_worker(
    vault: Vault,
    *,
    once: bool = False,
    stop_event: threading.Event | None = None,
    config: WorkerConfig | None = None,
    recogniser: Recogniser | None = None,
) -> int:
    """Runs OCR jobs in this thread; see `JobRunner.run`."""
    return ocr_runner(vault, config, recogniser=recogniser).run(once=once, stop_event=stop_event)


__all__ = [
    "Heartbeat",
    "Interrupted",
    "OcrJobHandler",
    "Recognised",
    "Recogniser",
    "SubprocessRecogniser",
    "WorkerConfig",
    "ocr_runner",
    "run_worker",
]
