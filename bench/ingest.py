"""Ingest throughput: 1 MiB documents uploaded through the API vs raw S3 PUTs of the same bytes.

value    = documents/s uploaded through POST /api/v1/owners/{id}/documents (S3 backend,
           PostgreSQL metadata) as the SDK sends them: the file as the raw body, the metadata
           in the Document-Metadata header; median over rounds;
baseline = objects/s stored by the `minio` SDK's put_object of the same bytes to the same
           S3 server and bucket, median over rounds;
ratio    = value / baseline (the goal is >= 0.8).

The same upload sent as multipart/form-data (what a browser form or `curl -F` sends) is
measured beside it, for information.

Where the API process's CPU goes, per document, comes from the server's own counters
(`vault_upload_cpu_seconds{stage}` and the audit writer's, read from /metrics before and
after each round): receive (reading and parsing the body), inspect (sniffing and checking the
file), seal (hashing and encryption), store (the S3 put), record (authorisation, database
rows), audit (the audit writer's commits); "other" is the rest of the process's CPU (HTTP
server and framework, token check and rate limit, the commit, thread hand-offs).

All sides run with the same client concurrency (THREADS threads: one httpx.Client each for
the API, one shared Minio client for the raw PUTs). Rounds alternate which side goes first
(API-raw, raw-API, ...), so drift on this shared, noisy machine hits both alike; a warm-up
round of each is excluded. Every round uploads fresh random content.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil
from minio import Minio
from prometheus_client.parser import text_string_to_metric_families

from bench import _common
from bench._common import MIB, log, percentile
from tests.support.s3server import S3Server

NAME = "ingest"
THREADS = 4
DOC_SIZE = 1 * MIB
METRICS_TOKEN = secrets.token_urlsafe(24)
STAGES = ("receive", "inspect", "seal", "store", "record", "audit")


@dataclass(frozen=True)
class Plan:
    rounds: int
    docs_per_round: int
    warmup_docs: int


QUICK = Plan(rounds=4, docs_per_round=24, warmup_docs=8)
FULL = Plan(rounds=16, docs_per_round=64, warmup_docs=16)


@dataclass
class Side:
    """One way of storing the documents, with what its rounds measured."""

    name: str
    actions: list[Callable[[bytes], None]]  # one per client thread
    rates: list[float] = field(default_factory=list)  # documents/s, one per measured round
    latencies: list[float] = field(default_factory=list)  # seconds, one per document
    cpu: dict[str, float] = field(default_factory=dict)  # source -> CPU seconds in rounds
    documents: int = 0
    # The API's own CPU counters by stage (None for the raw PUTs), and their totals in rounds.
    stages: Callable[[], dict[str, float]] | None = None
    stage_cpu: dict[str, float] = field(default_factory=dict)

    def _timed(self, action: Callable[[bytes], None]) -> Callable[[bytes], None]:
        def run(doc: bytes) -> None:
            start = time.perf_counter()
            action(doc)
            self.latencies.append(time.perf_counter() - start)  # atomic under the GIL

        return run

    def run(self, docs: list[bytes], cpu: dict[str, Callable[[], float]]) -> float:
        before = {name: read() for name, read in cpu.items()}
        stages_before = self.stages() if self.stages else {}
        elapsed = _common.run_parallel(docs, [self._timed(a) for a in self.actions])
        for name, read in cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + read() - before[name]
        if self.stages:
            for name, seconds in self.stages().items():
                spent = seconds - stages_before.get(name, 0.0)
                self.stage_cpu[name] = self.stage_cpu.get(name, 0.0) + spent
        self.documents += len(docs)
        return len(docs) / elapsed


def _process_cpu(process: psutil.Process, *, children: bool = True) -> Callable[[], float]:
    """CPU seconds used so far by a process (and its children)."""

    def read() -> float:
        total = 0.0
        for p in (process, *(process.children(recursive=True) if children else ())):
            with contextlib.suppress(psutil.NoSuchProcess):
                times = p.cpu_times()
                total += times.user + times.system
        return total

    return read


def _machine_cpu() -> float:
    """CPU seconds the whole machine was busy so far (every process, all cores)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def stage_reader(client: httpx.Client) -> Callable[[], dict[str, float]]:
    """The API's CPU seconds so far by upload stage, from its /metrics."""

    def read() -> dict[str, float]:
        r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        r.raise_for_status()
        found = dict.fromkeys(STAGES, 0.0)
        for family in text_string_to_metric_families(r.text):
            for sample in family.samples:
                if sample.name == "vault_upload_cpu_seconds_total":
                    found[sample.labels["stage"]] = sample.value
                elif sample.name == "vault_audit_writer_cpu_seconds_total":
                    found["audit"] = sample.value
        return found

    return read


def raw_api_worker(client: httpx.Client, owner_id: str) -> Callable[[bytes], None]:
    """An upload as the SDK sends it: the file as the body, the metadata in a header."""
    headers = {
        "Content-Type": "application/pdf",
        "Document-Metadata": json.dumps(_common.UPLOAD_FIELDS),
    }

    def upload(doc: bytes) -> None:
        r = client.post(f"/api/v1/owners/{owner_id}/documents", content=doc, headers=headers)
        if r.status_code != 201:
            raise RuntimeError(f"upload answered {r.status_code}: {r.text[:500]}")

    return upload


def api_worker(client: httpx.Client, owner_id: str) -> Callable[[bytes], None]:
    def upload(doc: bytes) -> None:
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data=_common.UPLOAD_FIELDS,
            files={"file": ("scan.pdf", doc, "application/pdf")},
        )
        if r.status_code != 201:
            raise RuntimeError(f"upload answered {r.status_code}: {r.text[:500]}")

    return upload


def raw_worker(client: Minio, bucket: str) -> Callable[[bytes], None]:
    def put(doc: bytes) -> None:
        # Same bucket as the API's objects, another prefix: the same SeaweedFS collection.
        key = f"raw/{uuid.uuid4().hex}"
        client.put_object(bucket, key, io.BytesIO(doc), len(doc), content_type="application/pdf")

    return put


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    log(
        f"{NAME}: {plan.rounds} rounds x {plan.docs_per_round} documents of "
        f"{DOC_SIZE // MIB} MiB per side, {THREADS} client threads"
    )
    with (
        _common.work_dir(NAME) as base,
        _common.seaweedfs(base) as s3,
        _common.fresh_database("bench_ingest") as db_url,
    ):
        bucket = _common.create_bucket(s3, "vault")
        officer = _common.add_officer(db_url, base)  # its Authorization header
        env = _common.vault_env(
            database_url=db_url, s3=s3, bucket=bucket, extra={"VAULT_METRICS_TOKEN": METRICS_TOKEN}
        )
        with _common.api_server(base, env) as server:
            api, multipart, raw = run(plan, server, officer, s3, bucket)
    report(api, multipart, raw)


def run(
    plan: Plan, server: _common.ApiServer, officer: dict[str, str], s3: S3Server, bucket: str
) -> tuple[Side, Side, Side]:
    # One Minio client shared by the threads, as the vault's own S3 store does; its
    # connection pool (10) is bigger than THREADS.
    minio = _common.minio_client(s3)
    # Where the CPU goes, per document: on 2 shared cores throughput is mostly CPU-bound.
    cpu = {
        "api": _process_cpu(server.ps),
        "weed": _process_cpu(psutil.Process(s3.process.pid)),
        # not its children: they are the servers
        "client": _process_cpu(psutil.Process(), children=False),
        "machine": _machine_cpu,
    }
    with contextlib.ExitStack() as stack:
        clients = [
            stack.enter_context(_common.http_client(server.base_url)) for _ in range(THREADS)
        ]
        for client in clients:
            client.headers.update(officer)
        owner_id = _common.create_owner(clients[0])
        stages = stage_reader(clients[0])
        api = Side("API", [raw_api_worker(c, owner_id) for c in clients], stages=stages)
        multipart = Side("API form", [api_worker(c, owner_id) for c in clients], stages=stages)
        raw = Side("raw PUT", [raw_worker(minio, bucket) for _ in range(THREADS)])
        measure(plan, (api, multipart), raw, cpu)
    stored = sum(1 for _ in minio.list_objects(bucket, "blobs/", recursive=True))
    made = api.documents + multipart.documents
    log(f"objects under blobs/ (the API's): {stored}; API uploads made: {made}")
    if stored != made:
        raise RuntimeError("the API did not store one object per upload")
    return api, multipart, raw


def measure(
    plan: Plan, apis: tuple[Side, Side], raw: Side, cpu: dict[str, Callable[[], float]]
) -> None:
    sides = (*apis, raw)
    log(f"warm-up: {plan.warmup_docs} documents per side (not measured)")
    warmup = [_common.scan_pdf(DOC_SIZE) for _ in range(plan.warmup_docs)]
    for side in sides:
        side.run(warmup, cpu)
    for side in sides:
        side.latencies.clear()
        side.cpu.clear()
        side.stage_cpu.clear()

    for number in range(plan.rounds):
        docs = [_common.scan_pdf(DOC_SIZE) for _ in range(plan.docs_per_round)]
        # Rotate who goes first, so that drift hits every side alike.
        order = sides[number % 3 :] + sides[: number % 3]
        for side in order:
            side.rates.append(side.run(docs, cpu))
        log(
            f"round {number + 1}/{plan.rounds}: "
            + ", ".join(f"{s.name} {s.rates[-1]:6.1f}/s" for s in sides)
            + f"; ratio {apis[0].rates[-1] / raw.rates[-1]:.2f}"
        )


def report_stages(side: Side) -> None:
    """The API process's CPU per document, by upload stage, and what is left for the rest."""
    per_doc = len(side.latencies)
    staged = {name: side.stage_cpu.get(name, 0.0) for name in STAGES}
    other = side.cpu.get("api", 0.0) - sum(staged.values())
    parts = ", ".join(f"{name} {1000 * s / per_doc:.2f}" for name, s in staged.items())
    log(
        f"{side.name:8}: API CPU ms/doc by stage: {parts}, other {1000 * other / per_doc:.2f} "
        f"(total {1000 * side.cpu.get('api', 0.0) / per_doc:.2f})"
    )


def report(api: Side, multipart: Side, raw: Side) -> None:
    for side in (api, multipart, raw):
        per_doc = len(side.latencies)
        cpu = ", ".join(f"{name} {1000 * s / per_doc:.1f}" for name, s in side.cpu.items())
        log(
            f"{side.name:8}: median {statistics.median(side.rates):6.1f}/s "
            f"(min {min(side.rates):.1f}, max {max(side.rates):.1f}); latency ms "
            f"p50 {1000 * percentile(side.latencies, 50):.1f} "
            f"p90 {1000 * percentile(side.latencies, 90):.1f} "
            f"max {1000 * max(side.latencies):.1f}; CPU ms/doc: {cpu}"
        )
    for side in (api, multipart):
        report_stages(side)
    form = statistics.median(multipart.rates) / statistics.median(raw.rates)
    log(f"multipart/form-data uploads: {form:.3f}x raw PUT")
    paired = [a / r for a, r in zip(api.rates, raw.rates, strict=True)]
    log(f"median of the per-round ratios: {statistics.median(paired):.3f}")
    value = statistics.median(api.rates)
    baseline = statistics.median(raw.rates)
    _common.print_result(NAME, value, "docs/s", baseline, value / baseline)


if __name__ == "__main__":
    main()
