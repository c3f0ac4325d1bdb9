"""The background jobs of retention: drawing up a disposal list, carrying one out."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from vault.db import UnitOfWorkFactory
from vault.jobs import JobContext, JobInterrupted, JobPolicy, PermanentJobError
from vault.services.retention import DISPOSE_KIND, LIST_KIND, RetentionService

# Makes, seals and stores the disposal record (biên bản) of a disposed batch: the signing
# package's business, handed in by the composition root when a seal is configured.
RecordMaker = Callable[[UnitOfWorkFactory, uuid.UUID], None]


def _batch_id(context: JobContext) -> uuid.UUID:
    try:
        return uuid.UUID(str(context.payload["batch_id"]))
    except (KeyError, ValueError) as exc:
        raise PermanentJobError("the job names no disposal batch") from exc


class DisposalListHandler:
    kind = LIST_KIND
    policy = JobPolicy(lease=timedelta(minutes=2), max_attempts=3)

    def __init__(self, uows: UnitOfWorkFactory, service: RetentionService) -> None:
        self._uows = uows
        self._service = service

    def run(self, context: JobContext) -> None:
        def report(done: int, total: int | None) -> None:
            if not context.progress(done, total):
                raise JobInterrupted("stopped")

        self._service.run_pass(self._uows, _batch_id(context), progress=report)


class DisposalHandler:
    kind = DISPOSE_KIND
    policy = JobPolicy(lease=timedelta(minutes=2), max_attempts=5)

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        service: RetentionService,
        record_maker: RecordMaker | None = None,
    ) -> None:
        self._uows = uows
        self._service = service
        self._record = record_maker

    def run(self, context: JobContext) -> None:
        batch_id = _batch_id(context)

        def report(done: int, total: int | None) -> None:
            if not context.progress(done, total):
                raise JobInterrupted("stopped")

        self._service.dispose(self._uows, batch_id, progress=report)
        if self._record is not None:
            self._record(self._uows, batch_id)
