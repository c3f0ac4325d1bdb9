"""Listing an owner's documents with a million documents in PostgreSQL.

value    = p99 latency (ms) of GET /api/v1/owners/{id}/documents (first page, default limit
           50) through the API, sequential requests over one keep-alive connection, each
           signed in as the owner listing their own warehouse (an access token per owner);
baseline = p99 latency (ms) of the SQL that `DocumentRepository.list_for_owner` issues for
           that page (the join to blobs included), run directly with psycopg;
ratio    = value / baseline. The goal for value is <= 20 ms.

The tables are bulk-loaded with COPY: OWNERS owners with DOCS_PER_OWNER documents each
(1,000,000 documents; --quick: 100,000), each with its blob row, about 5 % of them
superseded by a later version. Ids are time-ordered UUIDs as `vault.domain.new_id()` makes,
spread over three years and inserted in time order with owners interleaved, so an owner's
newest papers lie on different heap pages as they would in production. The measured owners
are ordinary owners drawn at random. API and SQL run in alternating blocks after a warm-up.
"""

from __future__ import annotations

import inspect
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from sqlalchemy import event
from sqlalchemy.orm import Session

from bench import _common, _corpus, _pg_load
from bench._common import log, percentile
from vault.db import create_engine_for
from vault.db.repositories import DocumentRepository

NAME = "list_owner"
PAGE = 50  # the API's default limit; the repository is asked for one more row
BATCH = 20_000  # documents (and as many blobs) per pair of COPY statements
SUPERSEDED_SHARE = 0.05
YEARS = 3
AGENCIES = _corpus.AGENCIES[:4]
LOADED_TABLES = ("owners", "blobs", "documents")


@dataclass(frozen=True)
class Plan:
    owners: int
    docs_per_owner: int
    requests: int  # per side
    warmup: int  # per side
    measured_owners: int = 20
    block: int = 100  # requests per side before switching to the other

    @property
    def documents(self) -> int:
        return self.owners * self.docs_per_owner


QUICK = Plan(owners=1_000, docs_per_owner=100, requests=2_000, warmup=200)
FULL = Plan(owners=10_000, docs_per_owner=100, requests=2_000, warmup=200)


# -- the corpus --------------------------------------------------------------------------


@dataclass
class Corpus:
    """The structure of the documents to load, decided before any row is written."""

    stamps: list[int]  # ms, strictly increasing: document i is created at stamps[i]
    owner_of: list[int]  # owner index of each document
    paper_type: list[int]  # index into the paper type catalogue
    lineages: _corpus.Lineages


def plan_corpus(plan: Plan, types: int, rng: random.Random, end_ms: int) -> Corpus:
    n = plan.documents
    owner_of = [o for o in range(plan.owners) for _ in range(plan.docs_per_owner)]
    rng.shuffle(owner_of)  # owners interleaved in time, as real uploads arrive
    step = YEARS * 365 * _corpus.DAY_MS // n
    start = end_ms - step * n
    stamps = [start + i * step + rng.randrange(step) for i in range(n)]
    planned = Corpus(
        stamps=stamps,
        owner_of=owner_of,
        paper_type=[rng.randrange(types) for _ in range(n)],
        lineages=_corpus.Lineages.of(n),
    )
    newest = [-1] * plan.owners  # each owner's latest document so far: always current
    for i, owner in enumerate(owner_of):
        previous = newest[owner]
        if previous >= 0 and rng.random() < SUPERSEDED_SHARE:
            # A reissue (cấp lại) of the owner's latest paper: same type and lineage.
            planned.lineages.reissue(i, previous)
            planned.paper_type[i] = planned.paper_type[previous]
        newest[owner] = i
    return planned


def document_batch(
    planned: Corpus,
    lo: int,
    hi: int,
    doc_ids: list[str],
    owner_ids: Sequence[str],
    types: Sequence[tuple[str, str]],
    rng: random.Random,
    clock: _corpus.Clock,
) -> tuple[str, str]:
    """COPY text for blobs and documents lo..hi-1; appends their ids to `doc_ids`."""
    stamps = planned.stamps[lo:hi]
    doc_ids.extend(_corpus.time_ordered_ids(stamps))
    blob_ids = _corpus.time_ordered_ids(stamps)
    secrets_hex = os.urandom(92 * (hi - lo)).hex()  # 32 bytes of SHA-256, 60 of wrapped key
    lineages = planned.lineages
    blobs = []
    documents = []
    for k, i in enumerate(range(lo, hi)):
        ms = planned.stamps[i]
        created = clock.stamp(ms)
        blob_id = blob_ids[k]
        blobs.append(
            _corpus.blob_line(
                blob_id,
                rng.randrange(40_000, 8_000_000),
                "application/pdf" if rng.random() < 0.7 else "image/jpeg",
                secrets_hex[184 * k : 184 * k + 64],
                secrets_hex[184 * k + 64 : 184 * k + 184],
                created,
            )
        )
        code, title = types[planned.paper_type[i]]
        issued = ms // _corpus.DAY_MS + _corpus.EPOCH - rng.randrange(3650)  # a day ordinal
        valid = None if rng.random() < 0.7 else clock.day(issued + 3650)
        supersedes = lineages.supersedes[i]
        documents.append(
            _corpus.document_line(
                doc_ids[i],
                owner_ids[planned.owner_of[i]],
                code,
                title,
                f"{rng.randrange(1, 9999)}/QĐ-UBND" if rng.random() < 0.5 else None,
                rng.choice(AGENCIES) if rng.random() < 0.6 else None,
                clock.day(issued),
                valid,
                rng.choice(_corpus.ORIGINS),
                bool(lineages.superseded[i]),
                doc_ids[lineages.lineage[i]],
                lineages.version[i],
                doc_ids[supersedes] if supersedes >= 0 else None,
                blob_id,
                created,
            )
        )
    return "".join(blobs), "".join(documents)


# -- loading -----------------------------------------------------------------------------


def bulk_load(dsn: str, plan: Plan, rng: random.Random) -> list[str]:
    """Loads owners, blobs and documents with COPY in one transaction; returns owner ids."""
    _corpus.check_ids()
    clock = _corpus.Clock()
    with psycopg.connect(dsn) as conn:
        _pg_load.check_schema(
            conn,
            {
                "owners": _pg_load.OWNER_COLUMNS,
                "blobs": _pg_load.BLOB_COLUMNS,
                "documents": _pg_load.DOCUMENT_COLUMNS,
            },
        )
        types = sorted(_pg_load.paper_type_titles(conn).items())

        now_ms = time.time_ns() // 1_000_000
        first_ms = now_ms - (YEARS + 1) * 365 * _corpus.DAY_MS
        owner_stamps = sorted(
            rng.randrange(first_ms, first_ms + _corpus.DAY_MS * 300) for _ in range(plan.owners)
        )
        owner_ids = _corpus.time_ordered_ids(owner_stamps)
        names = [_corpus.short_name(rng) for _ in owner_ids]
        planned = plan_corpus(plan, len(types), rng, now_ms)

        with conn.cursor() as cur:
            _pg_load.copy(
                cur,
                "owners",
                _pg_load.OWNER_COLUMNS,
                _corpus.owner_rows(owner_ids, owner_stamps, names, rng, clock),
            )
            doc_ids: list[str] = []
            for lo in range(0, plan.documents, BATCH):
                hi = min(lo + BATCH, plan.documents)
                blobs, documents = document_batch(
                    planned, lo, hi, doc_ids, owner_ids, types, rng, clock
                )
                # Blobs first: each documents COPY checks its foreign keys at its end.
                _pg_load.copy(cur, "blobs", _pg_load.BLOB_COLUMNS, blobs)
                _pg_load.copy(cur, "documents", _pg_load.DOCUMENT_COLUMNS, documents)
                if (hi // BATCH) % 10 == 0 or hi == plan.documents:
                    log(f"  {hi:>9,} documents copied")
        conn.commit()
    return owner_ids


# -- the query -------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """The SQL the repository issues for one page, with its parameters."""

    sql: str
    params: dict[str, Any]
    owner_param: str

    def for_owner(self, owner_id: str) -> dict[str, Any]:
        return {**self.params, self.owner_param: uuid.UUID(owner_id)}


def capture_list_query(database_url: str, owner_id: str) -> tuple[Query, int]:
    """Runs `DocumentRepository.list_for_owner` for a first page and records the statement
    SQLAlchemy sends, so the baseline follows the repository as it changes. Returns it and
    the number of rows the repository returned."""
    engine = create_engine_for(database_url, pool_size=1, max_overflow=0)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        captured.append((statement, parameters))

    # The first page with no filters, as GET .../documents asks for it; parameters added
    # later with defaults keep their defaults.
    wanted: dict[str, Any] = {
        "paper_type": None,
        "origin": None,
        "valid_on": None,
        "include_superseded": False,
        "before_id": None,
        "limit": PAGE + 1,
    }
    try:
        with Session(engine) as session:
            repository = DocumentRepository(session)
            parameters = inspect.signature(repository.list_for_owner).parameters
            unknown = [
                name
                for name, p in parameters.items()
                if name != "owner_id" and p.default is p.empty and name not in wanted
            ]
            if unknown:
                raise RuntimeError(f"list_for_owner has new required parameters: {unknown}")
            rows = repository.list_for_owner(
                uuid.UUID(owner_id), **{k: v for k, v in wanted.items() if k in parameters}
            )
    finally:
        engine.dispose()
    selects = [(sql, params) for sql, params in captured if "FROM documents" in sql]
    if len(selects) != 1 or not isinstance(selects[0][1], dict):
        raise RuntimeError(f"expected one SELECT on documents, got {captured}")
    sql, params = selects[0]
    owner_keys = [k for k, v in params.items() if v == uuid.UUID(owner_id)]
    if len(owner_keys) != 1:
        raise RuntimeError(f"cannot tell the owner parameter in {params}")
    return Query(sql, dict(params), owner_keys[0]), len(rows)


# -- measuring -------------------------------------------------------------------------


def owner_cycle(owners: Sequence[str], rng: random.Random) -> Iterator[str]:
    """The measured owners, endlessly, each pass in a new random order."""
    order = list(owners)
    while True:
        rng.shuffle(order)
        yield from order


def api_request(
    client: httpx.Client,
    owner_id: str,
    auth: dict[str, str],
    stages: _common.StageTimes | None = None,
) -> float:
    start = time.perf_counter()
    r = client.get(f"/api/v1/owners/{owner_id}/documents", headers=auth)
    elapsed = time.perf_counter() - start
    if r.status_code != 200:
        raise RuntimeError(f"listing answered {r.status_code}: {r.text[:500]}")
    if stages is not None:
        stages.add(r)
    return elapsed


def sql_query(cur: psycopg.Cursor[Any], query: Query, owner_id: str) -> float:
    start = time.perf_counter()
    cur.execute(query.sql, query.for_owner(owner_id))
    cur.fetchall()
    return time.perf_counter() - start


def check_page(client: httpx.Client, owner_id: str, auth: dict[str, str]) -> None:
    body = client.get(f"/api/v1/owners/{owner_id}/documents", headers=auth).json()
    if len(body["items"]) != PAGE or body["next_cursor"] is None:
        raise RuntimeError(f"expected a full first page with a cursor, got {len(body['items'])}")


def summary(label: str, seconds: Sequence[float]) -> str:
    ms = [1000 * s for s in seconds]
    return (
        f"{label:4}: p50 {percentile(ms, 50):6.2f}  p90 {percentile(ms, 90):6.2f}  "
        f"p99 {percentile(ms, 99):6.2f}  max {max(ms):7.2f} ms  ({len(ms)} requests)"
    )


def explain(cur: psycopg.Cursor[Any], query: Query, owner_id: str) -> None:
    rows = cur.execute(
        "EXPLAIN (ANALYZE, BUFFERS) " + query.sql, query.for_owner(owner_id)
    ).fetchall()
    log("plan of the list query (one measured owner, warm):")
    for (line,) in rows:
        print(f"    {line}", flush=True)


def measure(
    plan: Plan,
    client: httpx.Client,
    dsn: str,
    query: Query,
    auth: dict[str, dict[str, str]],
    rng: random.Random,
    stages: _common.StageTimes,
) -> tuple[list[float], list[float]]:
    """`auth`: each measured owner's Authorization header; each lists their own papers."""
    api: list[float] = []
    sql: list[float] = []
    owners = list(auth)
    cycle = owner_cycle(owners, rng)
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        for owner_id in owners:
            check_page(client, owner_id, auth[owner_id])
        for _ in range(plan.warmup):
            owner_id = next(cycle)
            api_request(client, owner_id, auth[owner_id])
            sql_query(cur, query, next(cycle))
        for number in range(plan.requests // plan.block):
            sides = ("api", "sql") if number % 2 == 0 else ("sql", "api")
            for side in sides:
                for _ in range(plan.block):
                    owner_id = next(cycle)
                    if side == "api":
                        api.append(api_request(client, owner_id, auth[owner_id], stages))
                    else:
                        sql.append(sql_query(cur, query, owner_id))
        explain(cur, query, owners[0])
    return api, sql


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    rng = random.Random(20_260_101)
    log(
        f"{NAME}: {plan.documents:,} documents of {plan.owners:,} owners; "
        f"{plan.requests} requests per side over {plan.measured_owners} owners"
    )
    with _common.work_dir(NAME) as base, _common.fresh_database("bench_list") as db_url:
        dsn = _common.libpq_dsn(db_url)
        started = time.monotonic()
        owner_ids = bulk_load(dsn, plan, rng)
        loaded = time.monotonic()
        _pg_load.vacuum_analyze(dsn, LOADED_TABLES)
        analysed = time.monotonic()
        log(
            f"loaded in {loaded - started:.1f} s (generate + COPY), VACUUM ANALYZE "
            f"{analysed - loaded:.1f} s; sizes: {_pg_load.table_sizes(dsn, LOADED_TABLES)}"
        )
        measured = rng.sample(owner_ids, plan.measured_owners)
        auth = _common.add_owner_accounts(db_url, base, measured)
        query, rows = capture_list_query(db_url, measured[0])
        log(f"repository query returns {rows} rows for a first page:\n    {query.sql}")

        # Listing never reads an object: the server stores to a folder, and no S3 server
        # idles beside it taking CPU from this latency measurement on 2 cores.
        env = _common.vault_env(database_url=db_url, s3=None, storage_path=base / "objects")
        with (
            _common.api_server(base, env) as server,
            _common.http_client(server.base_url) as client,
        ):
            stages = _common.StageTimes()
            api, sql = measure(plan, client, dsn, query, auth, rng, stages)
    for line in stages.report("API", [1000 * s for s in api]):
        log(line)
    log(summary("API", api))
    log(summary("SQL", sql))
    value = 1000 * percentile(api, 99)
    baseline = 1000 * percentile(sql, 99)
    _common.print_result(NAME, value, "ms", baseline, value / baseline)


if __name__ == "__main__":
    main()
