"""What a package implements to run its kind of job, and what a running job is given.

    class Thumbnails:                      # a JobHandler
        kind = "thumbnails"
        policy = JobPolicy(lease=timedelta(minutes=1), max_attempts=3)

        def run(self, context: JobContext) -> None:
            for done, page in enumerate(pages, 1):
                ...
                if not context.progress(done, len(pages)):
                    raise JobInterrupted   # stopping, cancelled, or the lease is lost

A handler that returns has done its job (the runner marks it done); one that raises is
retried with a backoff, or parked at once on PermanentJobError. A handler that stores its
result can mark the job done in the same transaction, `context.finish(uow)`, which succeeds
only while this worker still holds the lease.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from vault.errors import VaultError
from vault.jobs.model import Job, JobPolicy, JobSubject, PermanentJobError, backoff_seconds

if TYPE_CHECKING:
    from vault.db import UnitOfWork

log = logging.getLogger(__name__)

UnitsOfWork = Callable[[], AbstractContextManager["UnitOfWork"]]

# A running job's heartbeat reaches the database at most this often (and at least three times
# per lease), so that a cancel request is seen within seconds.
HEARTBEAT_SECONDS = 2.0


class JobInterrupted(Exception):
    """Raised by a handler whose heartbeat or progress call said to stop: the worker is
    stopping (the job goes back to the queue), the job was cancelled, or its lease is lost."""


class LeaseLost(JobInterrupted):
    """Another worker has the job now (this one's lease ran out): nothing it does counts."""


class Interruption(StrEnum):
    STOPPING = "stopping"
    CANCELLED = "cancelled"
    LEASE_LOST = "lease lost"


class FailureOutcome(StrEnum):
    RETRY = "retry"  # back to the queue after a backoff (or cancelled, if that was asked)
    PARKED = "parked"  # failed for good: the dead letter
    LEASE_LOST = "lease lost"


class JobHandler(Protocol):
    """Runs the jobs of one kind. Registered by the package that owns the kind."""

    @property
    def kind(self) -> str: ...

    @property
    def policy(self) -> JobPolicy: ...

    def run(self, context: JobContext) -> None: ...


def describe_error(exc: BaseException) -> str:
    """The error kept as a job's last error: its type and detail (a PermanentJobError's
    cause's, when it has one)."""
    if isinstance(exc, PermanentJobError) and exc.__cause__ is not None:
        return describe_error(exc.__cause__)
    detail = exc.detail if isinstance(exc, VaultError) else str(exc)
    return f"{type(exc).__name__}: {detail}"


class JobContext:
    """What a running handler is given: its job (payload, subject), and the calls that keep
    its lease and report on it."""

    def __init__(
        self,
        job: Job,
        *,
        uows: UnitsOfWork,
        worker: str,
        policy: JobPolicy,
        stop: threading.Event,
    ) -> None:
        self.job = job
        self.worker = worker
        self.policy = policy
        self._uows = uows
        self._stop = stop
        self._every = min(policy.lease.total_seconds() / 3, HEARTBEAT_SECONDS)
        self._renewed = time.monotonic()
        self.interruption: Interruption | None = None
        self.settled = False  # finished or failed by the handler itself

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def subject(self) -> JobSubject | None:
        return self.job.subject

    @property
    def job_id(self) -> uuid.UUID:
        return self.job.id

    def is_cancelled(self) -> bool:
        """Whether a cancel request was seen (at the last heartbeat or progress call)."""
        return self.interruption is Interruption.CANCELLED

    def heartbeat(self) -> bool:
        """Keeps the lease; False when the handler should stop (see JobInterrupted). Cheap to
        call often: the database is reached every few seconds only."""
        if self._stop.is_set():
            self.interruption = self.interruption or Interruption.STOPPING
        if self.interruption is not None:
            return False
        if time.monotonic() - self._renewed < self._every:
            return True
        return self._beat(None)

    def progress(self, done: int, total: int | None = None) -> bool:
        """Records progress (done of total, readable through the API) and keeps the lease;
        False when the handler should stop. Each call is a write: report in coarse steps."""
        if self._stop.is_set():
            self.interruption = self.interruption or Interruption.STOPPING
        if self.interruption is not None:
            return False
        return self._beat((done, total))

    def check(self) -> None:
        """Raises JobInterrupted when the heartbeat says to stop."""
        if not self.heartbeat():
            raise LeaseLost if self.interruption is Interruption.LEASE_LOST else JobInterrupted

    def _beat(self, progress: tuple[int, int | None] | None) -> bool:
        with self._uows() as uow:
            state = uow.jobs.heartbeat(
                self.job.id, self.worker, self.policy.lease, progress=progress
            )
            uow.commit()
        self._renewed = time.monotonic()
        if state is None:
            self.interruption = Interruption.LEASE_LOST
        elif state:
            self.interruption = Interruption.CANCELLED
        return self.interruption is None

    def finish(self, uow: UnitOfWork) -> None:
        """Marks the job done in the handler's own transaction (commit it after): raises
        LeaseLost, leaving the transaction to be rolled back, if the job is no longer this
        worker's."""
        if not uow.jobs.finish(self.job.id, self.worker):
            self.interruption = Interruption.LEASE_LOST
            raise LeaseLost
        self.settled = True

    def fail(self, uow: UnitOfWork, error: str, *, permanent: bool) -> FailureOutcome:
        """Fails this attempt in the handler's own transaction (commit it after): parked when
        `permanent` or out of attempts, otherwise back to the queue after a backoff."""
        job = self.job
        park = permanent or job.attempts >= self.policy.max_attempts
        if park:
            kept = uow.jobs.park(job.id, self.worker, error)
        else:
            delay = backoff_seconds(
                job.attempts, self.policy.retry_base_seconds, self.policy.retry_max_seconds
            )
            run_after = datetime.now(UTC) + timedelta(seconds=delay)
            kept = uow.jobs.retry_later(job.id, self.worker, error, run_after)
        self.settled = True
        if not kept:
            log.warning("%s job %s was taken over by another worker", job.kind, job.id)
            return FailureOutcome.LEASE_LOST
        if park:
            log.warning("%s job %s failed for good: %s", job.kind, job.id, error)
            return FailureOutcome.PARKED
        log.info(
            "%s job %s failed (attempt %d), will retry: %s", job.kind, job.id, job.attempts, error
        )
        return FailureOutcome.RETRY


class JobRegistry:
    """The handlers a process can run, one per kind. The composition root (the API's) fills
    it with the handlers of the packages it is built from."""

    def __init__(self, handlers: Iterable[JobHandler] = ()) -> None:
        self._handlers: dict[str, JobHandler] = {}
        for handler in handlers:
            self.register(handler)

    def register(self, handler: JobHandler) -> None:
        if handler.kind in self._handlers:
            raise ValueError(f"job kind {handler.kind!r} is registered twice")
        self._handlers[handler.kind] = handler

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    def get(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    def select(self, kinds: Iterable[str] | None = None) -> dict[str, JobHandler]:
        """The handlers of `kinds` (all when None); ValueError naming any unknown kind."""
        if kinds is None:
            return dict(self._handlers)
        wanted = list(dict.fromkeys(kinds))
        unknown = [k for k in wanted if k not in self._handlers]
        if unknown or not wanted:
            raise ValueError(
                f"unknown job kind(s): {', '.join(unknown) or '(none given)'}; "
                f"registered: {', '.join(self.kinds) or '(none)'}"
            )
        return {k: self._handlers[k] for k in wanted}
