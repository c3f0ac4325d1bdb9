"""What the vault measures about itself, for Prometheus (chỉ số vận hành).

The metric objects live here, in one place, so that the domain code that counts (the audit
writer, the OCR handler, signing, verification) and the HTTP layer that serves `/metrics` share
them without importing each other. Labels never carry personal data or ids: routes are labelled
by their template (`/api/v1/documents/{document_id}`), never by the path a client sent.

Processes on one machine that share a folder named by PROMETHEUS_MULTIPROC_DIR (`vault serve
--workers N` makes one for its processes) keep their counters in it, and whichever process
answers `/metrics` reports the sum over all of them: one port, one scrape, whatever process
the load balancer picks. Without it each process reports its own, and Prometheus scrapes
each (compose gives every replica its own address) and sums in its queries.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir() -> Path:
    """Before a server starts its processes: the folder they will share their counters in,
    set in this process' environment for them to inherit. An operator's folder is emptied
    (counters of an earlier run would add up with this one's); otherwise a new temporary
    one."""
    given = os.environ.get(MULTIPROCESS_DIR_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        folder = Path(tempfile.mkdtemp(prefix="vault-metrics-"))
        os.environ[MULTIPROCESS_DIR_ENV] = str(folder)
    return folder


def remove_multiprocess_dir(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def exposition_registry() -> CollectorRegistry:
    """What `/metrics` reports: the sum over the processes sharing a multiprocess folder
    when there is one, else this process' own counters."""
    if not os.environ.get(MULTIPROCESS_DIR_ENV):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


# Seconds; from a cached read (~1 ms) to a large upload or a verification (~10 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

http_request_seconds = Histogram(
    "vault_http_request_duration_seconds",
    "Time from the request's first byte to the response's last, per route and status.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
http_bytes_in = Counter(
    "vault_http_request_bytes",
    "Request body bytes received, per route.",
    ["route"],
    registry=REGISTRY,
)
http_bytes_out = Counter(
    "vault_http_response_bytes",
    "Response body bytes sent, per route.",
    ["route"],
    registry=REGISTRY,
)
audit_batch_entries = Histogram(
    "vault_audit_batch_entries",
    "Audit entries committed together by the audit writer (group commit).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    registry=REGISTRY,
)
audit_lag_seconds = Histogram(
    "vault_audit_lag_seconds",
    "Time an audit entry waited between being handed to the writer and being durable.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
ocr_pages = Counter("vault_ocr_pages", "Pages recognised by OCR jobs.", registry=REGISTRY)
ocr_seconds = Counter(
    "vault_ocr_seconds", "Seconds spent recognising documents in OCR jobs.", registry=REGISTRY
)
portal_events = Counter(
    "vault_portal_sync_events",
    "Dossier events settled by the portal sync, by outcome (delivered, dead).",
    ["outcome"],
    registry=REGISTRY,
)
signatures_made = Counter(
    "vault_signatures_made",
    "PDF signatures made through the remote signing service, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
signing_seconds = Histogram(
    "vault_signing_duration_seconds",
    "Time to sign one PDF through the remote signing service.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
verifications = Counter(
    "vault_verifications",
    "Documents whose signatures were verified, by overall indication.",
    ["indication"],
    registry=REGISTRY,
)
verification_seconds = Histogram(
    "vault_verification_duration_seconds",
    "Time to verify one document's signatures.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

# Where an upload's CPU goes (thread CPU time, so waiting on the database or the object store
# counts nothing): what `bench/ingest` prints per document, and what to watch in production.
UPLOAD_STAGES = ("receive", "inspect", "seal", "store", "record")
upload_cpu_seconds = Counter(
    "vault_upload_cpu_seconds",
    "CPU seconds spent on uploads, by stage: receive (reading and parsing the request body), "
    "inspect (sniffing and checking the file), seal (hashing and encryption), store (the "
    "object store put), record (authorisation, database rows, the commit).",
    ["stage"],
    registry=REGISTRY,
)
audit_writer_cpu_seconds = Counter(
    "vault_audit_writer_cpu_seconds",
    "CPU seconds the audit writer spent committing batches of entries.",
    registry=REGISTRY,
)


@contextmanager
def upload_stage(stage: str) -> Iterator[None]:
    """Counts the calling thread's CPU time in `stage` of an upload."""
    started = time.thread_time()
    try:
        yield
    finally:
        upload_cpu_seconds.labels(stage).inc(time.thread_time() - started)


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class QueueState:
    """One job kind's queue, as the job service reads it at scrape time."""

    kind: str
    waiting: int  # pending jobs (due or not)
    running: int
    oldest_waiting_seconds: float  # 0 when nothing waits


@dataclass(frozen=True, slots=True)
class PoolState:
    size: int  # connections the pool keeps open at most (without overflow)
    checked_out: int  # in use by a request or a job right now


class LiveStateCollector(Collector):
    """Gauges read when Prometheus scrapes: the job queues and the database pool. A reader
    that fails (the database is down) leaves its gauges out rather than failing the scrape."""

    def __init__(
        self,
        queues: Callable[[], Sequence[QueueState]] | None = None,
        pool: Callable[[], PoolState | None] | None = None,
    ) -> None:
        self._queues = queues
        self._pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self._queues is not None:
            try:
                states = list(self._queues())
            except Exception:
                states = []
            depth = GaugeMetricFamily(
                "vault_jobs_queue_depth",
                "Jobs waiting or running, per kind.",
                labels=["kind", "state"],
            )
            oldest = GaugeMetricFamily(
                "vault_jobs_oldest_waiting_seconds",
                "Age of the oldest job still waiting, per kind.",
                labels=["kind"],
            )
            for s in states:
                depth.add_metric([s.kind, "waiting"], s.waiting)
                depth.add_metric([s.kind, "running"], s.running)
                oldest.add_metric([s.kind], s.oldest_waiting_seconds)
            yield depth
            yield oldest
        if self._pool is not None:
            state = self._pool()
            if state is not None:
                yield GaugeMetricFamily(
                    "vault_db_pool_size", "Database connections the pool keeps.", value=state.size
                )
                yield GaugeMetricFamily(
                    "vault_db_pool_checked_out",
                    "Database connections in use.",
                    value=state.checked_out,
                )
