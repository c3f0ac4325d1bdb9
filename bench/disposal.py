"""The disposal pass over 10,000,000 documents in PostgreSQL: records examined per second.

value    = document versions examined per second by the vault's own pass
           (`RetentionService.run_pass`, what the `retention.list` job runs): keyset pages of
           the documents not yet disposed of, each checked against its paper type's period and
           the active legal holds, the due ones written to the disposal list, a commit a page;
baseline = rows per second of the same columns read by one server-side cursor with psycopg
           (the same anti-join to the tombstones), with nothing done to them: what reading
           alone costs;
ratio    = value / baseline. The goal: a full pass over 10,000,000 documents in <= 10
           minutes, i.e. value >= 16,667 records/s (printed as the projected full pass).

The tables are bulk-loaded with COPY by the list_owner benchmark's loader (time-ordered ids,
issue dates up to ten years back, 5 % reissues): FULL 10,000,000 documents (100,000 owners of
100), --quick 200,000. A few owners and documents are under a legal hold.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench import _common, _pg_load, list_owner
from bench._common import log

NAME = "disposal"
GOAL_SECONDS = 600
FULL_DOCUMENTS = 10_000_000
QUICK = list_owner.Plan(owners=2_000, docs_per_owner=100, requests=0, warmup=0)
FULL = list_owner.Plan(owners=100_000, docs_per_owner=100, requests=0, warmup=0)
HELD_OWNERS = 50
HELD_DOCUMENTS = 500
TABLES = ("owners", "blobs", "documents", "disposal_items", "legal_holds")

BASELINE_SQL = (
    "SELECT d.id, d.owner_id, d.lineage_id, d.paper_type, d.issue_date, d.created_at "
    "FROM documents d WHERE NOT EXISTS (SELECT 1 FROM tombstones t "
    "WHERE t.document_id = d.id) ORDER BY d.id"
)


def place_holds(dsn: str, owner_ids: list[str], rng: random.Random) -> None:
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for owner_id in rng.sample(owner_ids, HELD_OWNERS):
            cur.execute(
                "INSERT INTO legal_holds (id, owner_id, reason, placed_by, placed_at) "
                "VALUES (%s, %s, 'bench', 'bench', now())",
                (uuid.uuid4(), owner_id),
            )
        cur.execute(
            "INSERT INTO legal_holds (id, document_id, reason, placed_by, placed_at) "
            "SELECT gen_random_uuid(), id, 'bench', 'bench', now() FROM documents "
            "TABLESAMPLE SYSTEM (1) LIMIT %s",
            (HELD_DOCUMENTS,),
        )
        conn.commit()


def baseline(dsn: str) -> tuple[int, float]:
    """Rows and seconds of a bare server-side-cursor read of the pass's columns."""
    with psycopg.connect(dsn) as conn, conn.cursor(name="bench_scan") as cur:
        cur.itersize = 5000
        started = time.perf_counter()
        rows = 0
        cur.execute(BASELINE_SQL)
        for _ in cur:
            rows += 1
        return rows, time.perf_counter() - started


def vault_pass(db_url: str, base: Path) -> tuple[Any, float]:
    from vault.services.retention import PASS_BATCH

    with _common.local_vault(db_url, base) as vault:
        batch_id = uuid.uuid4()
        with vault.uows() as uow:
            uow.retention.add_batch(batch_id, _today(), "bench")
            uow.commit()
        started = time.perf_counter()
        report = vault.retention.run_pass(vault.uows, batch_id, page=PASS_BATCH)
        return report, time.perf_counter() - started


def _today() -> Any:
    from datetime import date

    return date.today()


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    rng = random.Random(20_261_208)
    log(f"{NAME}: {plan.documents:,} documents of {plan.owners:,} owners")
    with _common.work_dir(NAME) as base, _common.fresh_database("bench_disposal") as db_url:
        dsn = _common.libpq_dsn(db_url)
        started = time.monotonic()
        owner_ids = list_owner.bulk_load(dsn, plan, rng)
        place_holds(dsn, owner_ids, rng)
        loaded = time.monotonic()
        _pg_load.vacuum_analyze(dsn, TABLES)
        log(
            f"loaded in {loaded - started:.1f} s, VACUUM ANALYZE "
            f"{time.monotonic() - loaded:.1f} s; sizes: {_pg_load.table_sizes(dsn, TABLES)}"
        )
        # Baseline and pass alternate, twice each; the better of each is kept (a shared,
        # loaded machine: the slower run is the noise).
        bare: list[float] = []
        runs: list[tuple[Any, float]] = []
        for round_number in range(2):
            rows, seconds = baseline(dsn)
            bare.append(rows / seconds)
            log(f"baseline {round_number + 1}: {rows:,} rows in {seconds:.1f} s")
            report, seconds = vault_pass(db_url, base)
            runs.append((report, seconds))
            log(
                f"vault pass {round_number + 1}: {report.examined:,} examined, "
                f"{report.listed:,} due and listed, {report.held:,} due but held, "
                f"in {seconds:.1f} s; where the time went (s): {report.seconds_by_step}"
            )
            if report.examined != rows:
                raise RuntimeError(f"the pass examined {report.examined}, the table has {rows}")
    report, seconds = min(runs, key=lambda r: r[1])
    value = report.examined / seconds
    base_rate = max(bare)
    projected = FULL_DOCUMENTS / value
    log(
        f"projected full pass over {FULL_DOCUMENTS:,} documents: {projected:.0f} s "
        f"(goal <= {GOAL_SECONDS} s: {'met' if projected <= GOAL_SECONDS else 'NOT met'})"
    )
    _common.print_result(NAME, value, "records/s", base_rate, value / base_rate)


if __name__ == "__main__":
    main()
