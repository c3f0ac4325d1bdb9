"""Load that scales: a realistic officer mix against 1 and then 2 API processes.

value    = requests/s sustained with p99 <= 200 ms by 2 API processes (`vault serve
           --workers 2`) on PostgreSQL + S3 (SeaweedFS);
baseline = the same with 1 API process (`vault serve`), same database and bucket;
ratio    = value / baseline (the scaling ratio; on 2 cores the S3 server, PostgreSQL and
           this client share the cores the API processes would scale onto).

The mix, one request each, drawn at random by weight (an officer receiving citizens):
look-up of an owner by identifier, the reuse plan of an open dossier, attaching a paper on
file to it, uploading a 1 MiB scan, downloading a stored scan, and a search. The driver is
open-loop (asyncio + httpx): requests start at a fixed offered rate whatever the answers
do, and each latency is counted from the moment its request was due, so a server that
falls behind cannot hide its queue (no coordinated omission). The offered rate is stepped
up by STEP until p99 passes 200 ms, a request fails, or the rate achieved falls short of the
offered one; the best rate that held is the value.

CPU per request comes from /proc/<pid>/stat (psutil) of the API processes, the S3 server,
and this database's PostgreSQL backends, before and after each step, less what they burn
idling; from it the benchmark prints how far the same mix would go on more cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil
import psycopg

from bench import _common
from bench._common import MIB, log, percentile

NAME = "load"
GOAL_P99_MS = 200.0
STEP = 1.4  # each offered rate is the last one times this
MAX_IN_FLIGHT = 256  # beyond this the client itself would be the bottleneck
PROCEDURE = "1.001193"  # needs a chip ID card and a marriage certificate
DAY = "2025-01-15"
# Requests of each kind per 20 (an officer at the counter looks up and reads more than
# they store).
MIX = {"lookup": 4, "reuse_plan": 4, "attach": 3, "upload": 2, "download": 4, "search": 3}


@dataclass(frozen=True)
class Plan:
    owners: int
    scans: int  # distinct 1 MiB scans uploaded over and over (and stored for downloads)
    step_seconds: float
    start_rate: float
    max_steps: int


QUICK = Plan(owners=30, scans=4, step_seconds=5, start_rate=4, max_steps=5)
FULL = Plan(owners=300, scans=16, step_seconds=20, start_rate=4, max_steps=10)


# -- the vault's contents -------------------------------------------------------------------


@dataclass
class Seeded:
    identifiers: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    dossiers: list[str] = field(default_factory=list)  # one open dossier per owner
    cards: list[str] = field(default_factory=list)  # each owner's chip ID card on file
    scans: list[str] = field(default_factory=list)  # stored 1 MiB scans, to download


def citizen_id(i: int) -> str:
    # Hồ Chí Minh City (079), a woman born in 2003 (2, 03), a serial number.
    return f"0792{3 + i // 1_000_000:02d}{i % 1_000_000:06d}"


def seed(client: httpx.Client, plan: Plan, scans: list[bytes]) -> Seeded:
    """Owners, each with a chip ID card on file and an open dossier; some stored scans."""
    seeded = Seeded()
    small = _common.pdf_head()
    for i in range(plan.owners):
        identifier = citizen_id(i)
        owner = _common.create_owner(client, identifier)
        card = _ok(
            client.post(
                f"/api/v1/owners/{owner}/documents",
                data={**_common.UPLOAD_FIELDS, "paper_type": "chip_id_card", "title": "CCCD"},
                files={"file": ("card.pdf", small, "application/pdf")},
            ),
            201,
        )
        dossier = _ok(
            client.post(
                "/api/v1/dossiers",
                json={
                    "dossier_code": f"{_common.AGENCY}-{DAY[2:4]}{DAY[5:7]}{DAY[8:]}-{i + 1:04d}",
                    "procedure_code": PROCEDURE,
                    "owner_id": owner,
                    "received_at": f"{DAY}T09:00:00+07:00",
                },
            ),
            201,
        )
        seeded.identifiers.append(identifier)
        seeded.owners.append(owner)
        seeded.cards.append(card["id"])
        seeded.dossiers.append(dossier["id"])
    for i, scan in enumerate(scans):
        stored = _ok(
            client.post(
                f"/api/v1/owners/{seeded.owners[i % plan.owners]}/documents",
                data=_common.UPLOAD_FIELDS,
                files={"file": ("scan.pdf", scan, "application/pdf")},
            ),
            201,
        )
        seeded.scans.append(stored["id"])
    return seeded


def _ok(r: httpx.Response, status: int) -> dict[str, str]:
    if r.status_code != status:
        raise RuntimeError(f"{r.request.url.path} answered {r.status_code}: {r.text[:300]}")
    body: dict[str, str] = r.json()
    return body


# -- the mix ---------------------------------------------------------------------------------


Request = Callable[[httpx.AsyncClient, random.Random], Awaitable[httpx.Response]]


def requests_of(seeded: Seeded, scans: list[bytes]) -> dict[str, Request]:
    n = len(seeded.owners)

    async def lookup(c: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
        identifier = seeded.identifiers[rng.randrange(n)]
        return await c.post("/api/v1/owners/lookup", json={"identifier": identifier})

    async def reuse_plan(c: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
        return await c.get(f"/api/v1/dossiers/{seeded.dossiers[rng.randrange(n)]}/reuse")

    async def attach(c: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
        i = rng.randrange(n)  # idempotent: attaching again answers 200
        return await c.post(
            f"/api/v1/dossiers/{seeded.dossiers[i]}/documents",
            json={"document_id": seeded.cards[i]},
        )

    async def upload(c: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
        return await c.post(
            f"/api/v1/owners/{seeded.owners[rng.randrange(n)]}/documents",
            data=_common.UPLOAD_FIELDS,
            files={"file": ("scan.pdf", rng.choice(scans), "application/pdf")},
        )

    async def download(c: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
        return await c.get(f"/api/v1/documents/{rng.choice(seeded.scans)}/content")

    async def search(c: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
        q = rng.choice(["khai sinh", "nguyen thi huong", "can cuoc", "giay khai sinh"])
        return await c.get("/api/v1/search", params={"q": q, "limit": 20})

    return {
        "lookup": lookup,
        "reuse_plan": reuse_plan,
        "attach": attach,
        "upload": upload,
        "download": download,
        "search": search,
    }


@dataclass
class Step:
    offered: float
    seconds: float  # the offered window
    took: float = 0.0  # until the last answer
    latencies: dict[str, list[float]] = field(default_factory=dict)  # ms, by kind
    errors: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds, by process group

    @property
    def done(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def achieved(self) -> float:
        return self.done / self.seconds

    def all_ms(self) -> list[float]:
        return [ms for v in self.latencies.values() for ms in v]

    @property
    def p99(self) -> float:
        return percentile(self.all_ms(), 99) if self.done else float("inf")

    @property
    def held(self) -> bool:
        return (
            self.done > 0
            and not self.errors
            and self.p99 <= GOAL_P99_MS
            # Kept up: the last answer came within the latency goal of the window's end.
            and self.took <= self.seconds + GOAL_P99_MS / 1000 + 1 / self.offered
        )


async def offer(
    base_url: str,
    headers: dict[str, str],
    requests: dict[str, Request],
    rate: float,
    seconds: float,
) -> Step:
    """Starts `rate` requests a second for `seconds`, each due at its slot; waits for all."""
    step = Step(rate, seconds)
    kinds = [k for k, w in MIX.items() for _ in range(w)]
    rng = random.Random(int(rate * 1000))
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=64)
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=limits, trust_env=False
    ) as client:

        async def one(kind: str, due: float) -> None:
            async with gate:
                try:
                    r = await requests[kind](client, rng)
                except httpx.HTTPError as exc:
                    step.errors[f"{kind}: {type(exc).__name__}"] += 1
                    return
            elapsed_ms = 1000 * (time.perf_counter() - due)
            if r.status_code >= 300:
                step.errors[f"{kind}: {r.status_code}"] += 1
            else:
                step.latencies.setdefault(kind, []).append(elapsed_ms)

        tasks = []
        start = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(rng.choice(kinds), due)))
        await asyncio.gather(*tasks)
        step.took = time.perf_counter() - start
        step.seconds = total / rate
    return step


# -- CPU ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def cpu_readers(
    server: _common.ApiServer, s3_pid: int, dsn: str
) -> Iterator[dict[str, Callable[[], float]]]:
    """CPU seconds so far of the API processes, the S3 server and this database's backends
    (and of this client)."""

    def of(processes: Callable[[], list[psutil.Process]]) -> Callable[[], float]:
        def read() -> float:
            total = 0.0
            for p in processes():
                with contextlib.suppress(psutil.NoSuchProcess):
                    t = p.cpu_times()
                    total += t.user + t.system
            return total

        return read

    def api() -> list[psutil.Process]:
        return [server.ps, *server.ps.children(recursive=True)]

    s3 = psutil.Process(s3_pid)
    database = psycopg.connect(dsn, autocommit=True)
    name = database.info.dbname
    # Backends seen once stay counted when they exit (a pool trimming its overflow): their
    # CPU up to the last reading is kept, so a reading never goes back.
    last: dict[int, float] = {}

    def backends() -> list[psutil.Process]:
        rows = database.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
        found = []
        for (pid,) in rows:
            with contextlib.suppress(psutil.NoSuchProcess):
                found.append(psutil.Process(pid))
        return found

    def postgres() -> float:
        for p in backends():
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                last[p.pid] = t.user + t.system
        return sum(last.values())

    try:
        yield {
            "api": of(api),
            "s3": of(lambda: [s3, *s3.children(recursive=True)]),
            "postgres": postgres,
            "client": of(lambda: [psutil.Process()]),
        }
    finally:
        database.close()


def measure_cpu(readers: dict[str, Callable[[], float]]) -> dict[str, float]:
    return {name: read() for name, read in readers.items()}


# -- stepping ---------------------------------------------------------------------------------


def ramp(
    plan: Plan,
    server: _common.ApiServer,
    headers: dict[str, str],
    requests: dict[str, Request],
    readers: dict[str, Callable[[], float]],
    label: str,
) -> tuple[Step | None, list[Step]]:
    """Steps the offered rate up; the best step that held, and every step."""
    # A short warm-up: connections, caches, the first plans.
    asyncio.run(offer(server.base_url, headers, requests, plan.start_rate, 2))
    # What the processes burn doing nothing (timers, pollers), taken off each step's CPU.
    before, started = measure_cpu(readers), time.perf_counter()
    time.sleep(2)
    idle_seconds = time.perf_counter() - started
    idle = {k: max(0.0, v - before[k]) / idle_seconds for k, v in measure_cpu(readers).items()}
    steps: list[Step] = []
    best: Step | None = None
    rate = plan.start_rate
    for _ in range(plan.max_steps):
        before = measure_cpu(readers)
        step = asyncio.run(offer(server.base_url, headers, requests, rate, plan.step_seconds))
        after = measure_cpu(readers)
        step.cpu = {k: max(0.0, after[k] - before[k] - idle[k] * step.seconds) for k in after}
        steps.append(step)
        errors = ", ".join(f"{k} x{n}" for k, n in step.errors.most_common(3)) or "none"
        log(
            f"{label}: offered {rate:6.1f}/s achieved {step.achieved:6.1f}/s "
            f"p50 {percentile(step.all_ms(), 50) if step.done else 0:6.1f} "
            f"p99 {step.p99:7.1f} ms  errors: {errors}"
        )
        if step.held:
            best = step
            rate *= STEP
        elif best is None and rate > plan.start_rate / 8:
            rate /= 2  # the first rate already failed: look below it
        else:
            break
    return best, steps


def report(label: str, best: Step | None, last: Step) -> None:
    if best is None:
        log(f"{label}: no offered rate held p99 <= {GOAL_P99_MS:g} ms; the lowest tried:")
        best = last
    else:
        log(f"{label}: {best.achieved:.1f} req/s held (p99 {best.p99:.1f} ms); per kind (ms):")
    for kind in MIX:
        ms = best.latencies.get(kind, [])
        if ms:
            log(
                f"    {kind:<11} n={len(ms):5d}  p50 {percentile(ms, 50):7.1f}  "
                f"p99 {percentile(ms, 99):7.1f}"
            )
    per = {k: 1000 * v / best.done for k, v in best.cpu.items()}
    log(
        "    CPU per request (ms): "
        + ", ".join(f"{k} {v:.2f}" for k, v in per.items())
        + f"; server side (api + s3 + postgres) {per['api'] + per['s3'] + per['postgres']:.2f}"
    )


def extrapolate(best: Step | None) -> None:
    """How far the mix goes on more cores, if CPU is what bounds it: cores / CPU per request,
    with the client on cores of its own."""
    if best is None or best.done == 0:
        return
    per = {k: v / best.done for k, v in best.cpu.items()}
    server = per["api"] + per["s3"] + per["postgres"]
    if server <= 0:
        return
    log(
        f"on more cores (CPU-bound, client elsewhere, {1000 * server:.2f} ms of server CPU "
        f"per request: API {100 * per['api'] / server:.0f} %, S3 {100 * per['s3'] / server:.0f} "
        f"%, PostgreSQL {100 * per['postgres'] / server:.0f} %):"
    )
    for cores in (2, 4, 8, 16, 32):
        # Leave 30 % headroom: p99 <= 200 ms needs the cores well short of saturation.
        rate = 0.7 * cores / server
        processes = max(1, round(cores * per["api"] / server))
        log(f"    {cores:2d} cores: ~{rate:6.0f} req/s with ~{processes} API processes")


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    log(f"{NAME}: {plan.owners} owners, mix {MIX}, {plan.step_seconds:g} s per step")
    scans = [_common.scan_pdf(MIB) for _ in range(plan.scans)]
    with (
        _common.work_dir(NAME) as base,
        _common.seaweedfs(base) as s3,
        _common.fresh_database("bench_load") as db_url,
    ):
        bucket = _common.create_bucket(s3, "load")
        dsn = _common.libpq_dsn(db_url)
        headers = _common.add_officer(db_url, base)
        env = _common.vault_env(database_url=db_url, s3=s3, bucket=bucket)
        results: dict[int, Step | None] = {}
        last: Step | None = None
        seeded: Seeded | None = None
        for workers in (1, 2):
            command = [*_common.vault_serve(), "--workers", str(workers)]
            with _common.api_server(base, env, command=command) as server:
                if seeded is None:
                    with _common.http_client(server.base_url) as client:
                        client.headers.update(headers)
                        started = time.monotonic()
                        seeded = seed(client, plan, scans)
                    log(f"seeded {plan.owners} owners in {time.monotonic() - started:.1f} s")
                label = f"{workers} process{'es' if workers > 1 else ''}"
                with cpu_readers(server, s3.process.pid, dsn) as readers:
                    best, steps = ramp(
                        plan, server, headers, requests_of(seeded, scans), readers, label
                    )
                results[workers] = best
                last = steps[-1]
                report(label, best, last)
        extrapolate(results[2] or results[1] or last)
    one = results[1].achieved if results[1] else 0.0
    two = results[2].achieved if results[2] else 0.0
    log("figures from a shared, loaded 2-core machine: compare within one run only")
    _common.print_result(NAME, two, "req/s", one, two / one if one else None)


if __name__ == "__main__":
    main()
