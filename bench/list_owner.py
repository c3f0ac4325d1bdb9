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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from sqlalchemy import event
from sqlalchemy.orm import Session

from bench import _common
from bench._common import log, percentile
from vault.db import create_engine_for
from vault.db.repositories import DocumentRepository

NAME = "list_owner"
PAGE = 50  # the API's default limit; the repository is asked for one more row
BATCH = 20_000  # documents (and as many blobs) per pair of COPY statements
SUPERSEDED_SHARE = 0.05
YEARS = 3
KEY_ID = "dev-0"  # the development master key id
AGENCIES = ("000.00.15.H57", "000.00.31.H29", "000.00.05.G01", "000.00.26.H48")
ORIGINS = ("digitised", "certified_copy", "issued_result", "uploaded_by_owner")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
GIVEN = ("Thị Hương", "Văn Nam", "Minh Anh", "Quốc Bảo", "Thu Trang", "Đức Thắng", "Ngọc Lan")

OWNER_COLUMNS, BLOB_COLUMNS = _common.OWNER_COLUMNS, _common.BLOB_COLUMNS
DOCUMENT_COLUMNS = _common.DOCUMENT_COLUMNS
NULL = r"\N"  # COPY text format


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


# -- ids and rows ------------------------------------------------------------------------

_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def time_ordered_ids(stamps_ms: Sequence[int]) -> list[str]:
    """UUIDs in the layout of `vault.domain.new_id()` (48-bit ms time, version 7, RFC 4122
    variant, random rest) as text, one per timestamp; random bytes drawn in one call."""
    random_hex = os.urandom(10 * len(stamps_ms)).hex()
    ids = []
    for i, ms in enumerate(stamps_ms):
        r = random_hex[20 * i : 20 * i + 20]
        ids.append(f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{r[:3]}-{_VARIANT[r[3]]}{r[4:7]}-{r[7:19]}")
    return ids


def _check_ids() -> None:
    """The string building above must agree with the layout of vault.domain.new_id."""
    now = time.time_ns() // 1_000_000
    u = uuid.UUID(time_ordered_ids([now])[0])
    if u.version != 7 or u.variant != uuid.RFC_4122 or u.bytes[:6] != now.to_bytes(6, "big"):
        raise AssertionError(f"malformed time-ordered id {u}")


def _timestamp(ms: int) -> str:
    return str(datetime.fromtimestamp(ms / 1000, UTC))


@dataclass
class Corpus:
    """The structure of the documents to load, decided before any row is written: a reissue
    must find the version it supersedes already marked as superseded."""

    stamps: list[int]  # ms, strictly increasing: document i is created at stamps[i]
    owner_of: list[int]  # owner index of each document
    paper_type: list[int]  # index into the paper type catalogue
    lineage: list[int]  # index of the lineage's first version
    version: list[int]
    supersedes: list[int]  # index of the superseded version, or -1
    superseded: bytearray  # 1 where a later version replaced the document


def plan_corpus(plan: Plan, types: int, rng: random.Random, end_ms: int) -> Corpus:
    n = plan.documents
    owner_of = [o for o in range(plan.owners) for _ in range(plan.docs_per_owner)]
    rng.shuffle(owner_of)  # owners interleaved in time, as real uploads arrive
    step = YEARS * 365 * 86_400_000 // n
    start = end_ms - step * n
    stamps = [start + i * step + rng.randrange(step) for i in range(n)]
    corpus = Corpus(
        stamps=stamps,
        owner_of=owner_of,
        paper_type=[rng.randrange(types) for _ in range(n)],
        lineage=list(range(n)),
        version=[1] * n,
        supersedes=[-1] * n,
        superseded=bytearray(n),
    )
    newest = [-1] * plan.owners  # each owner's latest document so far: always current
    for i, owner in enumerate(owner_of):
        previous = newest[owner]
        if previous >= 0 and rng.random() < SUPERSEDED_SHARE:
            # A reissue (cấp lại) of the owner's latest paper: same type and lineage.
            corpus.supersedes[i] = previous
            corpus.superseded[previous] = 1
            corpus.lineage[i] = corpus.lineage[previous]
            corpus.version[i] = corpus.version[previous] + 1
            corpus.paper_type[i] = corpus.paper_type[previous]
        newest[owner] = i
    return corpus


def owner_rows(owner_ids: Sequence[str], stamps: Sequence[int], rng: random.Random) -> str:
    lines = []
    for i, (owner_id, ms) in enumerate(zip(owner_ids, stamps, strict=True)):
        # A valid personal identification number: province 001-096, a 1900s birth year,
        # and a serial unique to this owner.
        identifier = f"{1 + i % 96:03d}{rng.choice('01')}{rng.randrange(50, 100):02d}{i:06d}"
        name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"
        lines.append(_common.owner_copy_line(owner_id, "citizen", identifier, name, _timestamp(ms)))
    return "".join(lines)


def document_batch(
    corpus: Corpus,
    lo: int,
    hi: int,
    doc_ids: list[str],
    owner_ids: Sequence[str],
    types: Sequence[tuple[str, str]],
    rng: random.Random,
) -> tuple[str, str]:
    """COPY text for blobs and documents lo..hi-1; appends their ids to `doc_ids`."""
    stamps = corpus.stamps[lo:hi]
    doc_ids.extend(time_ordered_ids(stamps))
    blob_ids = time_ordered_ids(stamps)
    secrets_hex = os.urandom(92 * (hi - lo)).hex()  # 32 bytes of SHA-256, 60 of wrapped key
    blobs = []
    documents = []
    for k, i in enumerate(range(lo, hi)):
        ms = corpus.stamps[i]
        created = _timestamp(ms)
        blob_id = blob_ids[k]
        blob_hex = blob_id.replace("-", "")
        sha256 = secrets_hex[184 * k : 184 * k + 64]
        wrapped = secrets_hex[184 * k + 64 : 184 * k + 184]
        pdf = rng.random() < 0.7
        blobs.append(
            f"{blob_id}\tblobs/{blob_hex[-2:]}/{blob_hex}\t{rng.randrange(40_000, 8_000_000)}\t"
            f"{'application/pdf' if pdf else 'image/jpeg'}\t{sha256}\t{KEY_ID}\t"
            f"\\\\x{wrapped}\t{created}\n"
        )
        code, title = types[corpus.paper_type[i]]
        issued = ms // 86_400_000 + 719_163 - rng.randrange(3650)  # a day ordinal
        valid = NULL if rng.random() < 0.7 else date.fromordinal(issued + 3650).isoformat()
        supersedes = corpus.supersedes[i]
        documents.append(
            f"{doc_ids[i]}\t{owner_ids[corpus.owner_of[i]]}\t{code}\t{title}\t"
            f"{f'{rng.randrange(1, 9999)}/QĐ-UBND' if rng.random() < 0.5 else NULL}\t"
            f"{rng.choice(AGENCIES) if rng.random() < 0.6 else NULL}\t"
            f"{date.fromordinal(issued).isoformat()}\t{valid}\t{rng.choice(ORIGINS)}\t"
            f"{'superseded' if corpus.superseded[i] else 'current'}\t"
            f"{doc_ids[corpus.lineage[i]]}\t{corpus.version[i]}\t"
            f"{doc_ids[supersedes] if supersedes >= 0 else NULL}\t{blob_id}\t{created}\n"
        )
    return "".join(blobs), "".join(documents)


# -- loading -----------------------------------------------------------------------------


def _copy(cur: psycopg.Cursor[Any], table: str, columns: Sequence[str], data: str) -> None:
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cur.copy(statement) as copy:
        copy.write(data)


def check_schema(conn: psycopg.Connection[Any]) -> None:
    """Fails clearly if a migration added a required column this loader does not fill."""
    for table, columns in (
        ("owners", OWNER_COLUMNS),
        ("blobs", BLOB_COLUMNS),
        ("documents", DOCUMENT_COLUMNS),
    ):
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND is_nullable = 'NO' AND column_default IS NULL",
            (table,),
        ).fetchall()
        missing = sorted({r[0] for r in rows} - set(columns))
        if missing:
            raise RuntimeError(f"{table} has required columns the loader does not fill: {missing}")


def bulk_load(dsn: str, plan: Plan, rng: random.Random) -> list[str]:
    """Loads owners, blobs and documents with COPY in one transaction; returns owner ids."""
    _check_ids()
    with psycopg.connect(dsn) as conn:
        check_schema(conn)
        types = conn.execute("SELECT code, name_vi FROM paper_types ORDER BY code").fetchall()
        for code, title in types:
            if any(c in code + title for c in "\t\n\r\\"):
                raise RuntimeError(f"paper type {code!r} needs COPY escaping")

        now_ms = time.time_ns() // 1_000_000
        first_ms = now_ms - (YEARS + 1) * 365 * 86_400_000
        owner_stamps = sorted(
            rng.randrange(first_ms, first_ms + 86_400_000 * 300) for _ in range(plan.owners)
        )
        owner_ids = time_ordered_ids(owner_stamps)
        corpus = plan_corpus(plan, len(types), rng, now_ms)

        with conn.cursor() as cur:
            _copy(cur, "owners", OWNER_COLUMNS, owner_rows(owner_ids, owner_stamps, rng))
            doc_ids: list[str] = []
            for lo in range(0, plan.documents, BATCH):
                hi = min(lo + BATCH, plan.documents)
                blobs, documents = document_batch(corpus, lo, hi, doc_ids, owner_ids, types, rng)
                # Blobs first: each documents COPY checks its foreign keys at its end.
                _copy(cur, "blobs", BLOB_COLUMNS, blobs)
                _copy(cur, "documents", DOCUMENT_COLUMNS, documents)
                if (hi // BATCH) % 10 == 0 or hi == plan.documents:
                    log(f"  {hi:>9,} documents copied")
        conn.commit()
    return owner_ids


def vacuum_analyze(dsn: str) -> None:
    # VACUUM as well as ANALYZE: it sets hint bits and the visibility map as a steady
    # production table would have them, and keeps that work out of the measurement.
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("owners", "blobs", "documents"):
            conn.execute(f"VACUUM (ANALYZE) {table}")


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


def api_request(client: httpx.Client, owner_id: str, auth: dict[str, str]) -> float:
    start = time.perf_counter()
    r = client.get(f"/api/v1/owners/{owner_id}/documents", headers=auth)
    elapsed = time.perf_counter() - start
    if r.status_code != 200:
        raise RuntimeError(f"listing answered {r.status_code}: {r.text[:500]}")
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
                        api.append(api_request(client, owner_id, auth[owner_id]))
                    else:
                        sql.append(sql_query(cur, query, owner_id))
        explain(cur, query, owners[0])
    return api, sql


def table_sizes(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class"
            " WHERE relname IN ('owners', 'blobs', 'documents') ORDER BY relname"
        ).fetchall()
    return ", ".join(f"{name} {size}" for name, size in rows)


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
        vacuum_analyze(dsn)
        analysed = time.monotonic()
        log(
            f"loaded in {loaded - started:.1f} s (generate + COPY), VACUUM ANALYZE "
            f"{analysed - loaded:.1f} s; sizes: {table_sizes(dsn)}"
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
            api, sql = measure(plan, client, dsn, query, auth, rng)
    log(summary("API", api))
    log(summary("SQL", sql))
    value = 1000 * percentile(api, 99)
    baseline = 1000 * percentile(sql, 99)
    _common.print_result(NAME, value, "ms", baseline, value / baseline)


if __name__ == "__main__":
    main()
