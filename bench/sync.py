"""The portal sync: events delivered per second to the stand-in portal, with the outbox under
concurrent dossier traffic, and the end-to-end lag at 100 events/s.

value    = events/s delivered and acknowledged: a backlog of dossier events is written to the
           outbox by producer processes (each dossier: received, a paper reused from the
           warehouse, closed; each change its own transaction through the services, with its
           event); then delivery starts (`PortalSync.deliver_once` in a loop, one thread,
           batches of 200 over HTTP to the stand-in portal on loopback, which checks every
           payload against the field list and the order per dossier) while the producers keep
           adding dossiers; timed until the outbox is drained. Goal: >= 500 events/s.
baseline = events/s the stand-in portal takes from the HTTP adapter alone (the same batch
           size, events built in memory, no outbox): the ceiling the outbox is measured
           against; ratio = value / baseline.
Also printed: the end-to-end lag (event written, committed, to acknowledged by the portal) at
a paced 100 events/s, delivered by the `portal_sync` job through the job runner; p50/p99.
Goal: p99 <= 2 s. And where the time of a delivery pass goes (claim, send, settle).

PostgreSQL (a fresh database), the filesystem blob store (the outbox is database-only).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common
from tests.factories import png_bytes
from tests.standins.portal import PortalStandIn, sample_payload
from tests.standins.server import Answer as StandInAnswer
from tests.standins.server import Fault, Received
from vault.auth import Actor, ActorKind, Role
from vault.domain import DocumentOrigin, OwnerKind
from vault.integrations.base import RetryPolicy, Timeouts
from vault.integrations.http import HttpCaller
from vault.integrations.portal import DossierEvent, HttpNationalPortal
from vault.jobs import JobRegistry, JobRunner
from vault.runtime import Vault
from vault.services import NewDocument
from vault.services.dossiers import NewDossier
from vault.services.portal_sync import PortalSync, PortalSyncHandler, SyncPolicy
from vault.settings import Environment, Settings

AGENCY = _common.AGENCY
PROCEDURE = "1.001193"
EVENTS_PER_DOSSIER = 3
OWNERS = 40
OFFICER = Actor(
    uuid.UUID(int=7),
    ActorKind.OFFICER,
    "Cán bộ một cửa",
    roles=frozenset({Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER}),
    agency_code=AGENCY,
)


class TimedPortal(PortalStandIn):
    """The stand-in portal, noting when it first took each event."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.taken_at: dict[str, float] = {}

    def handle(self, request: Received, fault: Fault | None) -> StandInAnswer:
        answer = super().handle(request, fault)
        now = time.time()
        with self.lock:
            for key in self.accepted.keys() - self.taken_at.keys():
                self.taken_at[key] = now
        return answer


def settings_for(url: str, base: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=url,
        storage_backend="filesystem",
        storage_path=base / "objects",
    )


def citizen_id(n: int) -> str:
    return f"0792030{n:05d}"


def seed(vault: Vault) -> list[tuple[str, str]]:
    """OWNERS citizens, each with a paper the agency issued (reused in every dossier)."""
    out = []
    with vault.uows() as uow:
        vault.auth.add_agency(uow, AGENCY, "UBND phường Bến Nghé")
        uow.commit()
    meta = NewDocument("birth_certificate", "Giấy khai sinh", DocumentOrigin.ISSUED_RESULT)
    for n in range(OWNERS):
        with vault.uows() as uow:
            owner, _ = vault.owners.register(
                uow, OFFICER, OwnerKind.CITIZEN, citizen_id(n), f"Nguyễn Văn {n}"
            )
            doc = vault.documents.upload(uow, OFFICER, owner.id, meta, io.BytesIO(png_bytes()))
            uow.commit()
        out.append((str(owner.id), str(doc.id)))
    return out


def produce(
    url: str,
    base: str,
    owners: list[tuple[str, str]],
    first: int,
    dossiers: int,
    per_second: float | None,
    done: Any,
) -> None:
    """A producer process: `dossiers` dossiers, numbered from `first` (9,000 a day from
    2025-01-01), each received, given a reused paper and closed; paced to `per_second`
    events a second when given. Puts the number of dossiers made on `done`."""
    vault = Vault.from_settings(settings_for(url, Path(base)))
    started = time.monotonic()
    made = 0
    try:
        for i in range(first, first + dossiers):
            day = date(2025, 1, 1) + timedelta(days=i // 9000)
            code = f"{AGENCY}-{day:%y%m%d}-{i % 9000 + 1:04d}"
            received = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            owner_id, doc_id = owners[i % len(owners)]
            with vault.uows() as uow:
                dossier, _ = vault.dossiers.create(
                    uow,
                    OFFICER,
                    NewDossier(code, PROCEDURE, uuid.UUID(owner_id), received_at=received),
                )
                uow.commit()
            with vault.uows() as uow:
                vault.dossiers.attach(uow, OFFICER, dossier.id, uuid.UUID(doc_id))
                uow.commit()
            with vault.uows() as uow:
                vault.dossiers.close(uow, OFFICER, dossier.id)
                uow.commit()
            made += 1
            if per_second:
                ahead = made * EVENTS_PER_DOSSIER / per_second - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        vault.close()
        done.put(made)


def run_producers(
    url: str,
    base: Path,
    owners: list[tuple[str, str]],
    first: int,
    dossiers: int,
    processes: int,
    per_second: float | None = None,
) -> tuple[list[multiprocessing.process.BaseProcess], Any]:
    ctx = multiprocessing.get_context("spawn")
    done = ctx.Queue()
    share = dossiers // processes
    procs = [
        ctx.Process(
            target=produce,
            args=(
                url,
                str(base),
                owners,
                first + p * share,
                share,
                per_second / processes if per_second else None,
                done,
            ),
        )
        for p in range(processes)
    ]
    for proc in procs:
        proc.start()
    return procs, done


def join(procs: list[multiprocessing.process.BaseProcess], done: Any) -> int:
    made = sum(done.get(timeout=600) for _ in procs)
    for proc in procs:
        proc.join(30)
    return made


def adapter(portal: PortalStandIn) -> HttpNationalPortal:
    caller = HttpCaller(
        "national_portal",
        portal.url,
        timeouts=Timeouts(connect=2, read=30, write=30),
        policy=RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.5, deadline=60),
    )
    return HttpNationalPortal(caller)


def outbox_counts(vault: Vault) -> dict[str, int]:
    from vault.services import portal_sync

    with vault.uows() as uow:
        state = portal_sync.status(uow)
    return {s.value: n for s, n in state.counts.items()}


def baseline(events: int) -> float:
    """Events/s the portal takes from the adapter alone, batches of 200."""
    portal = TimedPortal()
    portal.start()
    try:
        client = adapter(portal)
        batches = []
        for d in range(0, events, EVENTS_PER_DOSSIER):
            code = f"{AGENCY}-250101-{d // EVENTS_PER_DOSSIER % 9000 + 1:04d}"
            code = code if d < 9000 * 3 else code.replace("250101", "250102")
            for n in range(1, EVENTS_PER_DOSSIER + 1):
                payload = sample_payload(code, citizen_id(d % OWNERS))
                batches.append(DossierEvent(uuid.uuid4(), code, n, "received", payload))
        started = time.monotonic()
        for i in range(0, len(batches), 200):
            client.send_dossier_events(batches[i : i + 200])
        seconds = time.monotonic() - started
        client.close()
        assert len(portal.accepted) == len(batches), "the baseline lost events"
        return len(batches) / seconds
    finally:
        portal.stop()


class TimedSync(PortalSync):
    """`PortalSync` that notes where a pass's time goes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.times: dict[str, float] = defaultdict(float)
        self.passes = 0

    def deliver_once(self) -> Any:
        started = time.monotonic()
        report = super().deliver_once()
        self.times["pass"] += time.monotonic() - started
        self.passes += 1
        return report


def bulk_backlog(url: str, vault: Vault, owners: list[tuple[str, str]], dossiers: int) -> int:
    """`dossiers` more dossiers with their three events pending, copied (COPY) from the
    events the services wrote for a template dossier, each with its own code and ids: writing
    thousands of events through the services takes minutes on this machine."""
    import psycopg

    from vault.db.outbox_repository import OutboxRepository

    procs, done = run_producers(url, Path("."), owners, 300_000, 1, 1)
    join(procs, done)
    with vault.uows() as uow:
        template = sorted(
            (e for e in uow.repository(OutboxRepository).find(limit=100_000)),
            key=lambda e: (e.created_at, e.sequence),
        )[-EVENTS_PER_DOSSIER:]
    source = template[0].dossier_code
    now = datetime.now(UTC)
    with psycopg.connect(_common.libpq_dsn(url)) as conn:
        with conn.cursor() as cur:
            with cur.copy(
                "COPY dossiers (id, code, procedure_code, receiving_agency_code, owner_id,"
                " received_at, created_at, status, closed_at) FROM STDIN"
            ) as copy:
                made = []
                for i in range(400_000, 400_000 + dossiers):
                    day = date(2025, 1, 1) + timedelta(days=i // 9000)
                    code = f"{AGENCY}-{day:%y%m%d}-{i % 9000 + 1:04d}"
                    owner_id = owners[i % len(owners)][0]
                    dossier_id = uuid.uuid4()
                    received = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                    copy.write_row(
                        (
                            dossier_id,
                            code,
                            PROCEDURE,
                            AGENCY,
                            owner_id,
                            received,
                            now,
                            "closed",
                            now,
                        )
                    )
                    made.append((dossier_id, code, owner_id))
            with cur.copy(
                "COPY portal_outbox (id, dossier_id, dossier_code, agency_code, owner_id,"
                " sequence, kind, payload, status, attempts, next_attempt_at, created_at)"
                " FROM STDIN"
            ) as copy:
                for dossier_id, code, owner_id in made:
                    for event in template:
                        payload = json.dumps(event.payload, ensure_ascii=False).replace(
                            source, code
                        )
                        copy.write_row(
                            (
                                uuid.uuid4(),
                                dossier_id,
                                code,
                                AGENCY,
                                owner_id,
                                event.sequence,
                                event.kind,
                                payload,
                                "pending",
                                0,
                                now,
                                now,
                            )
                        )
        conn.commit()
    return (dossiers + 1) * EVENTS_PER_DOSSIER


def throughput(url: str, base: Path, vault: Vault, owners: list[tuple[str, str]], quick: bool):
    backlog = 1500 if quick else 6000  # dossiers; x3 events
    during = 60 if quick else 200
    started = time.monotonic()
    events = bulk_backlog(url, vault, owners, backlog)
    _common.log(f"backlog: {events} events pending ({time.monotonic() - started:.1f} s)")
    portal = TimedPortal()
    portal.start()
    client = adapter(portal)
    sync = TimedSync(vault.uows, client, SyncPolicy(batch_size=200))
    _common.log(f"delivering, while 2 producers add {during} dossiers through the services")
    procs, done = run_producers(url, base, owners, 100_000, during, 2)
    stop = threading.Event()

    def deliver() -> None:
        while not stop.is_set():
            if sync.deliver_once().claimed == 0:
                time.sleep(0.02)

    started = time.monotonic()
    threads = [threading.Thread(target=deliver)]
    for t in threads:
        t.start()
    while len(portal.accepted) < events and time.monotonic() - started < 600:
        time.sleep(0.02)
    seconds = time.monotonic() - started
    backlog_done = len(portal.accepted)
    made = join(procs, done)
    total = events + made * EVENTS_PER_DOSSIER
    while len(portal.accepted) < total and time.monotonic() - started < 900:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    client.close()
    portal.stop()
    delivered = len(portal.accepted)
    assert delivered == total, f"delivered {delivered} of {total}"
    assert portal.out_of_order == [] and portal.refused == [], "order or payload broken"
    counts = outbox_counts(vault)
    assert counts["delivered"] == total, counts
    rate = backlog_done / seconds
    _common.log(
        f"delivered the first {backlog_done} events in {seconds:.1f} s: {rate:.0f} events/s "
        f"while {made} dossiers ({made * EVENTS_PER_DOSSIER} events) were written beside; "
        f"{sync.passes} passes, {sync.times['pass'] / max(sync.passes, 1) * 1000:.0f} ms a "
        f"pass, {len(portal.deliveries())} HTTP calls; all {total} delivered once, in order"
    )
    return rate


def lag(url: str, base: Path, vault: Vault, owners: list[tuple[str, str]], quick: bool):
    seconds = 10 if quick else 30
    rate = 100.0
    dossiers = int(seconds * rate / EVENTS_PER_DOSSIER)
    portal = TimedPortal()
    portal.start()
    client = adapter(portal)
    handler = PortalSyncHandler(vault.uows, client, SyncPolicy(linger_seconds=2.0))
    runner = JobRunner(vault.uows, JobRegistry([handler]), poll_seconds=0.1)
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, kwargs={"stop_event": stop})
    worker.start()
    _common.log(f"paced traffic: {rate:.0f} events/s for {seconds} s, delivered by the job")
    procs, done = run_producers(url, base, owners, 200_000, dossiers, 2, per_second=rate)
    made = join(procs, done)
    total = made * EVENTS_PER_DOSSIER
    deadline = time.monotonic() + 60
    while len(portal.accepted) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(30)
    client.close()
    portal.stop()
    assert len(portal.accepted) == total, f"delivered {len(portal.accepted)} of {total}"
    from vault.db.outbox_repository import OutboxRepository

    with vault.uows() as uow:
        events = uow.repository(OutboxRepository).find(limit=1_000_000)
    created = {f"dossier-event-{e.id}": e.created_at.timestamp() for e in events}
    lags = [portal.taken_at[k] - created[k] for k in portal.taken_at if k in created]
    p50, p99 = _common.percentile(lags, 50), _common.percentile(lags, 99)
    _common.log(
        f"lag over {len(lags)} events: p50 {p50:.3f} s, p99 {p99:.3f} s, max {max(lags):.3f} s"
    )
    return p50, p99


def main() -> None:
    args = _common.parse_args(__doc__ or "")
    with _common.work_dir("sync") as base, _common.fresh_database("bench_sync") as url:
        vault = Vault.from_settings(settings_for(url, base))
        try:
            owners = seed(vault)
            _common.log(f"{len(owners)} citizens, each with a paper to reuse")
            base_rate = baseline(1200 if args.quick else 6000)
            _common.log(f"baseline: the adapter alone, {base_rate:.0f} events/s")
            rate = throughput(url, base, vault, owners, args.quick)
            p50, p99 = lag(url, base, vault, owners, args.quick)
        finally:
            vault.close()
    print(json.dumps({"lag_p50_s": round(p50, 3), "lag_p99_s": round(p99, 3)}))
    _common.log("figures taken on a shared machine: 2 cores, other sessions running")
    _common.print_result("sync", rate, "events/s", base_rate, rate / base_rate)


if __name__ == "__main__":
    main()
