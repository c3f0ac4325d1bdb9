"""The job runner: claims due jobs of the kinds it was given and runs their handlers.

    runner = JobRunner(vault.uows, registry, kinds=["ocr"])   # `vault worker --kinds ocr`
    runner.run()                                   # until stopped
    runner.run(once=True)                          # until no job is due (tests, cron)
    handle = BackgroundRunner(runner).start()      # inside the API process (development)
    handle.stop()

One job at a time per runner: run more runners (processes, machines) for more throughput.
A runner that is stopping tells its handler through the heartbeat and gives the job back;
one that dies stops renewing its lease, and another takes the job over once it has expired.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable

from vault.jobs.handler import (
    FailureOutcome,
    Interruption,
    JobContext,
    JobHandler,
    JobInterrupted,
    JobRegistry,
    LeaseLost,
    UnitsOfWork,
    describe_error,
)
from vault.jobs.model import Job, PermanentJobError
from vault.request_context import bound_request_id
from vault.settings import Environment, Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner:
    def __init__(
        self,
        uows: UnitsOfWork,
        registry: JobRegistry,
        *,
        kinds: Iterable[str] | None = None,
        poll_seconds: float = 1.0,
        name: str | None = None,
    ) -> None:
        self._uows = uows
        self.handlers: dict[str, JobHandler] = registry.select(kinds)
        self.poll_seconds = poll_seconds
        self.name = name or worker_name()
        self._stop = threading.Event()

    @property
    def kinds(self) -> list[str]:
        return sorted(self.handlers)

    def stop(self) -> None:
        """Asks the runner to stop: its handler sees it at its next heartbeat."""
        self._stop.set()

    def run(self, *, once: bool = False, stop_event: threading.Event | None = None) -> int:
        """Processes jobs until stopped (or, with `once`, until none is due). Returns the
        number of jobs it took."""
        if stop_event is not None:
            self._stop = stop_event
        taken = 0
        while not self._stop.is_set():
            try:
                job = self.process_next()
            except Exception:
                # The database or the store is down: nothing was lost (the lease will run
                # out); wait, then try again.
                log.exception("job runner %s: could not take or finish a job", self.name)
                job = None
                if once:
                    raise
            if job is None:
                if once:
                    break
                self._stop.wait(self.poll_seconds)
                continue
            taken += 1
        return taken

    def process_next(self) -> Job | None:
        """Claims the next due job and runs it; the job as claimed, or None."""
        if not self.handlers:
            return None
        # Until its first heartbeat a job holds the longest lease of the kinds claimed.
        lease = max(h.policy.lease for h in self.handlers.values())
        with self._uows() as uow:
            job = uow.jobs.claim(self.handlers.keys(), self.name, lease)
            uow.commit()
        if job is not None:
            self._work(job, self.handlers[job.kind])
        return job

    def _work(self, job: Job, handler: JobHandler) -> None:
        # The job's log lines carry the id of the request that queued it.
        with bound_request_id(job.request_id):
            self._work_bound(job, handler)

    def _work_bound(self, job: Job, handler: JobHandler) -> None:
        context = JobContext(
            job, uows=self._uows, worker=self.name, policy=handler.policy, stop=self._stop
        )
        if job.attempts > handler.policy.max_attempts:
            # Every attempt so far ended with its lease running out: the worker died on it.
            self._fail(
                context,
                f"abandoned after {job.attempts - 1} attempts that never finished "
                "(the worker was killed, perhaps out of memory)",
                permanent=True,
            )
            return
        if job.cancel_requested_at is not None:  # asked while its last worker was dying
            self._interrupted(context, Interruption.CANCELLED)
            return
        try:
            handler.run(context)
        except LeaseLost:
            self._interrupted(context, Interruption.LEASE_LOST)
            return
        except JobInterrupted:
            self._interrupted(context, context.interruption or Interruption.STOPPING)
            return
        except PermanentJobError as exc:
            self._fail(context, describe_error(exc), permanent=True)
            return
        except Exception as exc:
            log.info("%s job %s raised", job.kind, job.id, exc_info=True)
            self._fail(context, describe_error(exc), permanent=False)
            return
        if context.settled:
            return
        try:
            with self._uows() as uow:
                context.finish(uow)
                uow.commit()
        except LeaseLost:
            self._interrupted(context, Interruption.LEASE_LOST)

    def _fail(self, context: JobContext, error: str, *, permanent: bool) -> FailureOutcome:
        with self._uows() as uow:
            outcome = context.fail(uow, error, permanent=permanent)
            uow.commit()
        return outcome

    def _interrupted(self, context: JobContext, why: Interruption) -> None:
        job = context.job
        if why is Interruption.LEASE_LOST:
            log.warning("%s job %s was taken over by another worker", job.kind, job.id)
            return
        with self._uows() as uow:
            if why is Interruption.CANCELLED:
                kept = uow.jobs.cancelled(job.id, self.name)
            else:
                kept = uow.jobs.release(job.id, self.name)
            uow.commit()
        if not kept:
            log.warning("%s job %s was taken over by another worker", job.kind, job.id)
        elif why is Interruption.CANCELLED:
            log.info("%s job %s cancelled on request", job.kind, job.id)
        else:
            log.info("%s job %s given back: the worker is stopping", job.kind, job.id)


def embedded_worker_wanted(settings: Settings) -> bool:
    """Whether `vault serve` should run a worker inside itself: as configured, or by default
    in development only (the embedded default); production runs `vault worker` processes."""
    if settings.ocr_worker_embedded is not None:
        return settings.ocr_worker_embedded
    return settings.env is Environment.DEVELOPMENT


class BackgroundRunner:
    """A runner on a daemon thread of this process (handlers that work hard, like OCR, do so
    in child processes, so the thread holds the GIL only between jobs)."""

    def __init__(self, runner: JobRunner) -> None:
        self._stop = threading.Event()
        self.runner = runner
        self._thread = threading.Thread(target=self._run, name="job-runner", daemon=True)

    def _run(self) -> None:
        self.runner.run(stop_event=self._stop)

    def start(self) -> BackgroundRunner:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stops after giving back the job in hand."""
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
