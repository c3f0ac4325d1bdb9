"""`vault worker` and `vault jobs` (standard library at import: see api/cli.py).

vault worker [--kinds ocr,...] [--once]     run jobs of some kinds (default: all)
vault jobs list [--status failed] [--kind K] [--limit N]
vault jobs replay JOB_ID                    queue a failed or cancelled job again
vault jobs cancel JOB_ID
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault.jobs import Job
    from vault.settings import Settings

log = logging.getLogger(__name__)

SettingsFactory = Callable[[], "Settings"]


def _kinds(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [k.strip() for k in value.split(",") if k.strip()]


def worker_main(args: argparse.Namespace, settings: Settings) -> int:
    """Runs one worker until SIGTERM or Ctrl-C (the job in hand is given back), or with
    --once until no job is due. Run several, on several machines, for more throughput."""
    from api.job_handlers import job_runner
    from api.logs import configure_logging
    from vault.runtime import Vault

    configure_logging(settings.log_format)
    metrics_server = None
    if getattr(args, "metrics_port", None) is not None:
        from api.worker_metrics import MetricsRefused, start_metrics_server

        try:
            metrics_server = start_metrics_server(settings, args.metrics_host, args.metrics_port)
        except (MetricsRefused, OSError) as exc:
            print(f"error: metrics: {exc}", file=sys.stderr)
            return 2
        log.info("metrics on http://%s:%d/metrics", args.metrics_host, metrics_server.server_port)
    vault = Vault.from_settings(settings)
    try:
        try:
            runner = job_runner(vault, _kinds(getattr(args, "kinds", None)))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal %d: stopping after giving back the current job", signum)
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            done = runner.run(once=args.once, stop_event=stop)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    finally:
        vault.close()
        if metrics_server is not None:
            metrics_server.shutdown()
    print(f"{done} jobs taken ({', '.join(runner.kinds)})", file=sys.stderr)
    return 0


def _line(job: Job) -> str:
    subject = f"{job.subject.type.value}:{job.subject.id}" if job.subject else "-"
    error = (job.last_error or "").replace("\n", " ")
    return "\t".join(
        (
            str(job.id),
            job.kind,
            job.status.value,
            str(job.attempts),
            subject,
            job.updated_at.isoformat(timespec="seconds"),
            error,
        )
    )


def jobs_list(args: argparse.Namespace, settings: Settings) -> int:
    """The most recent jobs, tab-separated: id, kind, status, attempts, subject, updated,
    last error (the dead letters: --status failed)."""
    from vault.jobs import JobStatus
    from vault.runtime import Vault
    from vault.services.jobs import JobService

    status = JobStatus(args.status) if args.status else None
    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            jobs = JobService().find(uow, status=status, kind=args.kind, limit=args.limit)
    finally:
        vault.close()
    for job in jobs:
        print(_line(job))
    return 0


def _on_one_job(args: argparse.Namespace, settings: Settings, action: str) -> int:
    from vault.runtime import Vault
    from vault.services.jobs import JobService

    try:
        job_id = uuid.UUID(args.job_id)
    except ValueError:
        print(f"error: not a job id: {args.job_id}", file=sys.stderr)
        return 2
    service = JobService()
    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            if action == "replay":
                job = service.replay(uow, job_id)
            else:
                job = service.cancel_as_operator(uow, job_id)
            uow.commit()
    finally:
        vault.close()
    print(_line(job))
    return 0


def jobs_replay(args: argparse.Namespace, settings: Settings) -> int:
    return _on_one_job(args, settings, "replay")


def jobs_cancel(args: argparse.Namespace, settings: Settings) -> int:
    return _on_one_job(args, settings, "cancel")


STATUSES = ("pending", "running", "done", "failed", "cancelled")  # vault.jobs.JobStatus


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], settings: SettingsFactory
) -> None:
    """Adds `worker` and `jobs` to the `vault` command's subcommands."""
    worker = sub.add_parser("worker", help="run background jobs (until stopped)")
    worker.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve this worker's Prometheus metrics on http://HOST:PORT/metrics "
        "(VAULT_METRICS_TOKEN as a bearer token)",
    )
    worker.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        help="address of the metrics port (default: %(default)s)",
    )
    worker.add_argument(
        "--kinds",
        metavar="KIND,...",
        help="only jobs of these kinds, comma-separated (default: every registered kind)",
    )
    worker.add_argument(
        "--once", action="store_true", help="stop when no job is due instead of waiting"
    )
    worker.set_defaults(func=lambda a: worker_main(a, settings()))

    jobs = sub.add_parser("jobs", help="background jobs: list, replay failed ones, cancel")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = jobs_sub.add_parser("list", help="the most recent jobs (tab-separated)")
    listing.add_argument("--status", choices=STATUSES, help="e.g. failed: the dead letters")
    listing.add_argument("--kind", help="only jobs of this kind")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=lambda a: jobs_list(a, settings()))
    replay = jobs_sub.add_parser("replay", help="queue a failed or cancelled job again")
    replay.add_argument("job_id", metavar="JOB_ID")
    replay.set_defaults(func=lambda a: jobs_replay(a, settings()))
    cancel = jobs_sub.add_parser("cancel", help="cancel a job (a running one at its heartbeat)")
    cancel.add_argument("job_id", metavar="JOB_ID")
    cancel.set_defaults(func=lambda a: jobs_cancel(a, settings()))
