"""The `import` job: reads a batch's pages in worker processes, stores them as they come
(so an interrupted batch resumes after its last stored page), then cuts the batch into parts
and queues them for review.

    registry.register(ImportJobHandler(vault))   # api/job_handlers.py
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from ocr.batches.model import IMPORT_KIND, BatchStatus, PageReading
from ocr.batches.pages import PageDamaged, ReadingStopped, ReadOptions, page_count, read_pages
from ocr.batches.service import BatchService
from ocr.db.batches import BatchRepository
from ocr.pipeline import Limits, OcrOptions
from vault.errors import IntegrityFailure
from vault.jobs import JobContext, JobInterrupted, JobPolicy, PermanentJobError
from vault.runtime import Vault

log = logging.getLogger(__name__)

# Stored (and the progress written) at least this often: an interruption loses little.
SAVE_EVERY_PAGES = 8
SAVE_EVERY_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class ImportConfig:
    workers: int
    page_timeout: float = 60.0

    @classmethod
    def default(cls, vault: Vault) -> ImportConfig:
        # Every core: an import is the one big job of a scanning station's worker.
        return cls(
            workers=max(1, os.cpu_count() or 1),
            page_timeout=vault.settings.ocr_page_timeout_seconds,
        )

    def read_options(self) -> ReadOptions:
        limits = Limits(max_pages=1, page_timeout=self.page_timeout)
        return ReadOptions(
            ocr=OcrOptions(limits=limits, searchable_pdf=False, workers=1),
            workers=self.workers,
        )


class ImportJobHandler:
    kind = IMPORT_KIND
    policy = JobPolicy(lease=timedelta(minutes=2), max_attempts=5, retry_base_seconds=10)

    def __init__(
        self, vault: Vault, service: BatchService | None = None, config: ImportConfig | None = None
    ) -> None:
        self._vault = vault
        self._service = service or BatchService(vault.keyring, vault.documents)
        self.config = config or ImportConfig.default(vault)
        # Where the last run's time went (seconds summed over the worker processes, pages by
        # kind): its log line, and bench/import's breakdown.
        self.last_run: dict[str, float] = {}

    def run(self, context: JobContext) -> None:
        batch_id = uuid.UUID(str(context.payload["batch_id"]))
        uows = self._vault.uows
        with uows() as uow:
            batch = uow.repository(BatchRepository).batch(batch_id)
            if batch is None:
                raise PermanentJobError("the batch is gone")
            if batch.status is BatchStatus.DONE:
                context.finish(uow)
                uow.commit()
                return
            try:
                data, media_type = self._service.read_file(uow, batch_id)
            except IntegrityFailure as exc:
                raise PermanentJobError("the batch's stored file is damaged") from exc
            done = uow.repository(BatchRepository).page_numbers_read(batch_id)
        try:
            total = page_count(data, media_type)
        except PageDamaged as exc:
            with uows() as uow:
                self._service.fail_batch(uow, batch_id, str(exc))
                context.finish(uow)
                uow.commit()
            return
        todo = [n for n in range(1, total + 1) if n not in done]
        context.progress(len(done), total)
        started = time.monotonic()
        count = len(done)
        stats: dict[str, float] = {"page_seconds": 0.0, "ocr_seconds": 0.0, "store_seconds": 0.0}
        pages = read_pages(
            data, media_type, todo, self.config.read_options(), heartbeat=context.heartbeat
        )
        try:
            self._read(context, batch_id, pages, total, count, stats)
        except ReadingStopped as exc:
            raise JobInterrupted from exc
        finally:
            pages.close()  # an early exit stops the worker processes
        finishing = time.monotonic()
        with uows() as uow:
            parts = self._service.finish_batch(uow, batch_id)
            context.finish(uow)
            uow.commit()
        stats["finish_seconds"] = time.monotonic() - finishing
        stats["wall_seconds"] = time.monotonic() - started
        self.last_run = stats
        log.info(
            "import job %s: %d pages read in %.1f s (%.1f s in OCR, %.1f s in rendering and "
            "checks, summed over processes), %d parts queued for review",
            context.job_id,
            len(todo),
            stats["wall_seconds"],
            stats["ocr_seconds"],
            stats["page_seconds"] - stats["ocr_seconds"],
            len(parts),
        )

    def _read(
        self,
        context: JobContext,
        batch_id: uuid.UUID,
        pages: Iterator[PageReading],
        total: int,
        count: int,
        stats: dict[str, float],
    ) -> None:
        """Stores the pages as they come, a few at a time, reporting progress."""
        buffer: list[PageReading] = []
        saved_at = time.monotonic()
        for reading in pages:
            stats["page_seconds"] += reading.seconds
            stats["ocr_seconds"] += reading.ocr_seconds
            stats[f"pages_{reading.kind.value}"] = stats.get(f"pages_{reading.kind.value}", 0) + 1
            buffer.append(reading)
            if len(buffer) >= SAVE_EVERY_PAGES or time.monotonic() - saved_at > SAVE_EVERY_SECONDS:
                count += len(buffer)
                saving = time.monotonic()
                self._save(batch_id, buffer)
                stats["store_seconds"] += time.monotonic() - saving
                buffer, saved_at = [], time.monotonic()
                if not context.progress(count, total):
                    raise JobInterrupted
        if buffer:
            self._save(batch_id, buffer)

    def _save(self, batch_id: uuid.UUID, readings: list[PageReading]) -> None:
        with self._vault.uows() as uow:
            self._service.record_pages(uow, batch_id, readings)
            uow.commit()
