"""Audit append throughput: 16 concurrent writers on PostgreSQL, the chain kept consistent.

value    = entries/s through the vault's group-commit writer (one transaction per batch);
baseline = entries/s with one transaction per entry (what appending in each request's own
           transaction would cost), same writers, same database, same run.
After each run the whole chain is verified: a fast but broken chain would count for nothing.
Goal: value ≥ 2,000 entries/s.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fresh_database, log, parse_args, print_result
from vault.audit import AuditDraft, AuditLog, verify_chain
from vault.db import UnitOfWorkFactory, create_engine_for, session_factory
from vault.runtime import build_identifier_cipher
from vault.settings import Settings
from vault.storage.filesystem import FilesystemBlobStore

WRITERS = 16


def run(uows: UnitOfWorkFactory, log_: AuditLog, per_writer: int) -> float:
    start = threading.Event()

    def writer(n: int) -> None:
        start.wait()
        for i in range(per_writer):
            log_.write(
                [
                    AuditDraft(
                        action="bench.append",
                        detail=f"{n}-{i}",
                        actor_name="Bench Writer",
                        agency_code="000.00.15.H57",
                    )
                ]
            )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    start.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return WRITERS * per_writer / elapsed


def main() -> None:
    args = parse_args(__doc__ or "")
    per_writer = 150 if args.quick else 1000
    with fresh_database("vault_bench_audit") as url:
        engine = create_engine_for(url, pool_size=20, max_overflow=20)
        uows = UnitOfWorkFactory(
            session_factory(engine),
            FilesystemBlobStore(Path("/tmp/unused")),
            build_identifier_cipher(Settings()),
        )
        grouped = uows.audit_log
        run(uows, grouped, 20)  # warm-up: connections, plans
        value = run(uows, grouped, per_writer)
        log(f"group commit: {value:,.0f} entries/s")

        single = AuditLog(uows._plain)
        single.MAX_BATCH = 1
        baseline = run(uows, single, max(20, per_writer // 5))
        single.close()
        log(f"one transaction per entry: {baseline:,.0f} entries/s")

        report = verify_chain(uows)
        log(f"chain verified: {report.entries} entries, ok={report.ok}")
        if not report.ok:
            raise SystemExit(f"the audit chain is broken: {report}")
        uows.close()
        engine.dispose()
    print_result("audit", value, "entries/s", baseline, value / baseline)


if __name__ == "__main__":
    main()
