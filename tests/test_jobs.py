"""Generic background jobs on both backends, through a kind the test registers itself (a real
handler, run by the real runner): claims, leases and takeover, retries with backoff, the dead
letter and its replay, progress and cancellation through the service, the API and the CLI."""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.cli_jobs import jobs_cancel, jobs_list, jobs_replay, worker_main
from tests.conftest import Backend
from tests.people import People
from vault.errors import Conflict, NotFound, PermissionDenied
from vault.jobs import (
    BackgroundRunner,
    Job,
    JobContext,
    JobInterrupted,
    JobPolicy,
    JobRegistry,
    JobRunner,
    JobStatus,
    JobSubject,
    PermanentJobError,
    SubjectType,
)
from vault.runtime import Vault
from vault.services.jobs import JobService

KIND = "test.steps"
OTHER_KIND = "test.other"


class Steps:
    """Counts to `payload["steps"]`, reporting progress at each step; at step
    `payload["hold_at"]` it holds (heartbeating) until released. `broken` makes every attempt
    fail; `payload["bad"]` is input that will never work."""

    def __init__(self, kind: str = KIND, *, max_attempts: int = 3) -> None:
        self.kind = kind
        self.policy = JobPolicy(
            lease=timedelta(seconds=1.5),
            max_attempts=max_attempts,
            retry_base_seconds=0.4,
            retry_max_seconds=10,
        )
        self.broken = False
        self.runs: list[uuid.UUID] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        self.saw_cancel = False
        self._lock = threading.Lock()

    def run(self, context: JobContext) -> None:
        with self._lock:
            self.runs.append(context.job_id)
        if context.payload.get("bad"):
            raise PermanentJobError("bad input") from ValueError("the payload names no file")
        if self.broken:
            raise RuntimeError("the service is down")
        steps = int(context.payload.get("steps", 1))
        for done in range(1, steps + 1):
            if not context.progress(done, steps):
                raise JobInterrupted
            if done == context.payload.get("hold_at"):
                self.holding.set()
                while not self.release.is_set():
                    if not context.heartbeat():
                        self.saw_cancel = context.is_cancelled()
                        raise JobInterrupted
                    time.sleep(0.02)


def enqueue(
    vault: Vault,
    kind: str = KIND,
    *,
    requested_by: uuid.UUID | None = None,
    **payload: object,
) -> uuid.UUID:
    with vault.uows() as uow:
        job_id = uow.jobs.enqueue(
            kind,
            payload,
            subject=JobSubject(SubjectType.BATCH, uuid.uuid4()),
            requested_by=requested_by,
            request_id="req-7f3a",
        )
        uow.commit()
    return job_id


def job(vault: Vault, job_id: uuid.UUID) -> Job:
    with vault.uows() as uow:
        found = uow.jobs.get(job_id)
    assert found is not None
    return found


def runner(vault: Vault, *handlers: Steps, name: str | None = None) -> JobRunner:
    return JobRunner(vault.uows, JobRegistry(handlers), poll_seconds=0.05, name=name)


def wait_for(check: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def steps() -> Iterator[Steps]:
    handler = Steps()
    yield handler
    handler.release.set()


# -- running, claiming, leases ------------------------------------------------------------


def test_a_job_runs_once_and_keeps_who_asked_for_it(vault: Vault, steps: Steps) -> None:
    account = uuid.uuid4()
    job_id = enqueue(vault, requested_by=account, steps=4)
    queued = job(vault, job_id)
    assert (queued.status, queued.attempts, queued.payload) == (JobStatus.PENDING, 0, {"steps": 4})
    assert (queued.requested_by, queued.request_id) == (account, "req-7f3a")
    assert queued.subject is not None and queued.subject.type is SubjectType.BATCH

    assert runner(vault, steps).run(once=True) == 1
    done = job(vault, job_id)
    assert (done.status, done.attempts, done.last_error) == (JobStatus.DONE, 1, None)
    assert (done.progress_done, done.progress_total) == (4, 4)
    assert done.finished_at is not None and done.lease_owner is None
    assert steps.runs == [job_id]


@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_two_runners_never_run_the_same_job(backend: Backend, vault: Vault) -> None:
    handler = Steps()
    ids = {enqueue(vault, steps=2) for _ in range(30)}
    runners = [runner(vault, handler, name=f"r{i}") for i in range(2)]
    start = threading.Barrier(2)
    taken: dict[str, int] = {}

    def work(r: JobRunner) -> None:
        start.wait()
        taken[r.name] = r.run(once=True)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(handler.runs) == sorted(ids), "every job ran exactly once"
    assert sum(taken.values()) == 30 and all(taken.values()), taken
    assert {job(vault, i).status for i in ids} == {JobStatus.DONE}


def test_an_expired_lease_is_taken_over(vault: Vault, steps: Steps) -> None:
    job_id = enqueue(vault)
    with vault.uows() as uow:  # a worker that claims the job, then dies
        claimed = uow.jobs.claim({KIND}, "dead", timedelta(seconds=0.5))
        uow.commit()
    assert claimed is not None and claimed.id == job_id
    rescuer = runner(vault, steps, name="rescuer")
    assert rescuer.process_next() is None, "a live lease is respected"
    time.sleep(0.6)
    taken = rescuer.process_next()
    assert taken is not None and (taken.id, taken.attempts) == (job_id, 2)
    assert job(vault, job_id).status is JobStatus.DONE
    with vault.uows() as uow:  # the dead worker's late word changes nothing
        assert not uow.jobs.finish(job_id, "dead")
        assert uow.jobs.heartbeat(job_id, "dead", timedelta(seconds=1)) is None
        uow.commit()


def test_a_stopping_runner_gives_its_job_back(vault: Vault, steps: Steps) -> None:
    job_id = enqueue(vault, steps=3, hold_at=1)
    background = BackgroundRunner(runner(vault, steps)).start()
    assert steps.holding.wait(10)
    background.stop(10)
    assert not background.alive
    back = job(vault, job_id)
    assert (back.status, back.attempts, back.lease_owner) == (JobStatus.PENDING, 0, None)


# -- failures: retries, the dead letter, replay -------------------------------------------


def test_failures_are_retried_with_backoff_then_dead_lettered_and_replayed(
    backend: Backend, vault: Vault, steps: Steps, capsys: pytest.CaptureFixture[str]
) -> None:
    steps.broken = True
    job_id = enqueue(vault)
    worker = runner(vault, steps)
    for attempt in (1, 2):
        assert worker.process_next() is not None
        failed = job(vault, job_id)
        assert (failed.status, failed.attempts) == (JobStatus.PENDING, attempt)
        assert failed.last_error == "RuntimeError: the service is down"
        delay = (failed.run_after - failed.updated_at).total_seconds()
        # base * 2^(attempt - 1), the upper half jittered
        assert 0.2 * 2 ** (attempt - 1) - 0.05 <= delay <= 0.4 * 2 ** (attempt - 1) + 0.05
        assert worker.process_next() is None, "not due before its backoff"
        time.sleep(delay + 0.05)
    assert worker.process_next() is not None
    dead = job(vault, job_id)
    assert (dead.status, dead.attempts) == (JobStatus.FAILED, 3)
    assert dead.finished_at is not None
    assert worker.process_next() is None, "a dead letter stays put"

    # The operator lists the dead letters and replays one.
    jobs_list(argparse.Namespace(status="failed", kind=None, limit=100), backend.settings)
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"{job_id}\t{KIND}\tfailed\t3\tbatch:")
    assert listed[0].endswith("RuntimeError: the service is down")
    steps.broken = False
    jobs_replay(argparse.Namespace(job_id=str(job_id)), backend.settings)
    replayed = job(vault, job_id)
    assert (replayed.status, replayed.attempts, replayed.finished_at) == (
        JobStatus.PENDING,
        0,
        None,
    )
    assert worker.run(once=True) == 1
    assert (job(vault, job_id).status, job(vault, job_id).last_error) == (JobStatus.DONE, None)
    with pytest.raises(Conflict):  # only failed or cancelled jobs are replayed
        jobs_replay(argparse.Namespace(job_id=str(job_id)), backend.settings)
    with pytest.raises(NotFound):
        jobs_replay(argparse.Namespace(job_id=str(uuid.uuid4())), backend.settings)
    with vault.uows() as uow:
        actions = [e.action for e in uow.audit.iter_all()]
    assert "job.replay" in actions


def test_input_that_will_never_work_is_dead_lettered_at_once(vault: Vault, steps: Steps) -> None:
    job_id = enqueue(vault, bad=True)
    assert runner(vault, steps).run(once=True) == 1
    dead = job(vault, job_id)
    assert (dead.status, dead.attempts) == (JobStatus.FAILED, 1)
    assert dead.last_error == "ValueError: the payload names no file"


# -- progress and cancellation through the service and the API ----------------------------


def test_progress_is_visible_to_who_asked_and_to_administrators(
    vault: Vault, people: People, client: TestClient, steps: Steps
) -> None:
    clerk = people.actor("clerk")
    job_id = enqueue(
        vault, requested_by=clerk.account_id, steps=3, hold_at=1, secret="079203001234"
    )
    background = BackgroundRunner(runner(vault, steps)).start()
    try:
        assert steps.holding.wait(10)
        with vault.uows() as uow:
            seen = JobService().get(uow, clerk, job_id)
            uow.commit()
        assert (seen.status, seen.progress_done, seen.progress_total) == (JobStatus.RUNNING, 1, 3)

        r = client.get(f"/api/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["kind"], body["status"], body["attempts"]) == (KIND, "running", 1)
        assert body["progress"] == {"done": 1, "total": 3}
        assert body["subject"]["type"] == "batch" and body["cancel_requested"] is False
        assert "payload" not in body and "079203001234" not in r.text

        r = client.get(f"/api/v1/jobs/{job_id}", headers=people.auth("other_receiver"))
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
        r = client.get(f"/api/v1/jobs/{uuid.uuid4()}")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert client.get(f"/api/v1/jobs/{job_id}", headers=people.auth("admin")).status_code == 200

        steps.release.set()
        wait_for(lambda: job(vault, job_id).status is JobStatus.DONE)
    finally:
        background.stop(10)
    body = client.get(f"/api/v1/jobs/{job_id}").json()
    assert body["status"] == "done" and body["progress"] == {"done": 3, "total": 3}
    assert body["finished_at"] is not None
    with vault.uows() as uow:
        entries = [(e.action, e.outcome, e.actor_name) for e in uow.audit.iter_all()]
    assert ("job.read", "ok", clerk.name) in entries
    assert ("job.read", "denied", "Other Receiver") in entries


def test_only_administrators_read_the_last_error(
    vault: Vault, people: People, client: TestClient, steps: Steps
) -> None:
    clerk = people.actor("clerk")
    job_id = enqueue(vault, requested_by=clerk.account_id, bad=True)
    runner(vault, steps).run(once=True)
    mine = client.get(f"/api/v1/jobs/{job_id}").json()
    assert mine["status"] == "failed" and mine["last_error"] is None
    admin = client.get(f"/api/v1/jobs/{job_id}", headers=people.auth("admin")).json()
    assert admin["last_error"] == "ValueError: the payload names no file"


def test_a_pending_job_is_cancelled_at_once(
    vault: Vault, people: People, client: TestClient, steps: Steps
) -> None:
    clerk = people.actor("clerk")
    job_id = enqueue(vault, requested_by=clerk.account_id)
    r = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=people.auth("other_receiver"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["cancel_requested"] is True
    assert runner(vault, steps).process_next() is None, "a cancelled job never runs"
    assert steps.runs == []
    r = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    with vault.uows() as uow:
        actions = [(e.action, e.outcome) for e in uow.audit.iter_all()]
    assert ("job.cancel", "ok") in actions and ("job.cancel", "denied") in actions


def test_a_running_job_stops_at_its_next_heartbeat(
    vault: Vault, people: People, steps: Steps
) -> None:
    clerk = people.actor("clerk")
    job_id = enqueue(vault, requested_by=clerk.account_id, steps=3, hold_at=2)
    background = BackgroundRunner(runner(vault, steps)).start()
    try:
        assert steps.holding.wait(10)
        with vault.uows() as uow:
            asked = JobService().cancel(uow, clerk, job_id)
            uow.commit()
        assert asked.status is JobStatus.RUNNING and asked.cancel_requested_at is not None
        wait_for(lambda: job(vault, job_id).status is JobStatus.CANCELLED)
    finally:
        background.stop(10)
    assert steps.saw_cancel
    cancelled = job(vault, job_id)
    assert (cancelled.progress_done, cancelled.lease_owner) == (2, None)
    assert cancelled.finished_at is not None
    with vault.uows() as uow, pytest.raises(PermissionDenied):
        JobService().cancel(uow, people.actor("other_receiver"), job_id)


def test_the_operator_cancels_and_replays_from_the_command_line(
    backend: Backend, vault: Vault, steps: Steps, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = enqueue(vault)
    assert jobs_cancel(argparse.Namespace(job_id=str(job_id)), backend.settings) == 0
    assert f"{job_id}\t{KIND}\tcancelled" in capsys.readouterr().out
    assert job(vault, job_id).status is JobStatus.CANCELLED
    jobs_replay(argparse.Namespace(job_id=str(job_id)), backend.settings)
    assert runner(vault, steps).run(once=True) == 1
    assert job(vault, job_id).status is JobStatus.DONE
    assert jobs_cancel(argparse.Namespace(job_id="not-a-uuid"), backend.settings) == 2


# -- which kinds a runner takes -----------------------------------------------------------


def test_a_runner_takes_only_its_kinds(
    backend: Backend, vault: Vault, steps: Steps, capsys: pytest.CaptureFixture[str]
) -> None:
    other = Steps(OTHER_KIND)
    mine, theirs = enqueue(vault), enqueue(vault, OTHER_KIND)
    registry = JobRegistry([steps, other])
    only_steps = JobRunner(vault.uows, registry, kinds=[KIND])
    assert only_steps.kinds == [KIND]
    assert only_steps.run(once=True) == 1
    assert (job(vault, mine).status, job(vault, theirs).status) == (
        JobStatus.DONE,
        JobStatus.PENDING,
    )
    with pytest.raises(ValueError, match="unknown job kind"):
        JobRunner(vault.uows, registry, kinds=["thumbnails"])
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Steps(KIND))

    # `vault worker --kinds`: the application's kinds only (OCR), never a job of another.
    args = argparse.Namespace(once=True, kinds="ocr")
    assert worker_main(args, backend.settings) == 0
    assert "0 jobs taken (ocr)" in capsys.readouterr().err
    assert job(vault, theirs).status is JobStatus.PENDING
    args = argparse.Namespace(once=True, kinds="ocr,thumbnails")
    assert worker_main(args, backend.settings) == 2
    # Names every kind this application registers, so the operator sees what to ask for.
    said = capsys.readouterr().err
    assert "unknown job kind(s): thumbnails; registered: " in said
    registered = set(said.split("registered: ")[1].strip().split(", "))
    assert {"ocr", "import", "export", "retention.list", "retention.dispose"} <= registered
