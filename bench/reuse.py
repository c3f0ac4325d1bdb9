"""The reuse plan of one dossier with ten million documents in PostgreSQL.

value    = p99 latency (ms) of GET /api/v1/dossiers/{id}/reuse through the API: sequential
           requests over one keep-alive connection by a receiving officer of the agency that
           received the measured dossiers (one access token), cycling over the dossiers;
baseline = p99 latency (ms) of the SQL that `ReuseService.plan` issues for that dossier, run
           directly with psycopg in one transaction. The statements are recorded per dossier
           (text and parameters, as SQLAlchemy sends them) by running the service in-process
           once through a unit of work: the dossier, its procedure and requirements, the
           agency's open dossiers for the owner with their procedures and attachments, the
           active consents, the dossier's attachments, the owner's papers of the needed types,
           and the results that carry a replacing code. Not in it: the account lookup of
           authentication and the audit entry the request commits (both are in value);
ratio    = value / baseline. The goal for value is <= 20 ms.

Data, bulk-loaded with COPY FREEZE in one transaction (--quick: ten times less): 1,000,000
citizens with 10,000,000 documents (a Poisson number each, mean 10), each with its blob row.
Paper types follow a weighted catalogue; a citizen's ID card, birth and marriage certificates
and driving licence are one lineage each, so a new one is a reissue (a new version that
supersedes the last); other papers are new lineages, now and then reissued. Health, marital
status and criminal record papers expire after their legal validity, ID cards and most
driving licences after 15 and 10 years, so many papers are expired. Issuers are a few
agencies. 3 % of the papers (20 % of those a procedure accepts a result code for) are the
result of a past dossier at their issuing agency, mostly closed, attached as its result with
a national result code (the catalogue's replacing code where it has one), with the citizen's
ID card of the time as a component; 5 % of citizens gave some agency a consent. Ids are
time-ordered UUIDs in the layout of `vault.domain.new_id()`, rows inserted in time order with
citizens interleaved. The indexes no foreign key depends on are dropped before the load and
made again after it from their own definitions (then checked against the catalogue as the
migrations left it); foreign key triggers are off while loading (the generator keeps every
reference valid), the constraints stay. Then VACUUM ANALYZE.

Measured: 300 open dossiers (--quick: 200) received by the officer's agency over the last two
weeks for citizens drawn at random, each for a procedure of the seeded catalogue; some
citizens have two, some dossiers already have a paper attached, some citizens gave the agency
a consent. Requests go to the dossiers in a new random order each pass; API and SQL run in
alternating blocks after a warm-up. Also printed, to explain the tail on a shared machine:
times by procedure and by statement, the CPU time per plan of the API process and of the
PostgreSQL backends (less inflated by neighbours than latencies), the slowest statement's plan.
"""

from __future__ import annotations

import contextlib
import random
import re
import sys
import threading
import time
import uuid
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil
import psycopg
from sqlalchemy import event

from bench import _common, _pg_load
from bench._common import log, percentile
from bench._corpus import (
    AGENCIES,
    DAY_MS,
    EPOCH,
    NULL,
    ORIGINS,
    Clock,
    Lineages,
    blob_line,
    check_ids,
    document_line,
    owner_rows,
    short_name,
    uid,
)
from vault import identifiers
from vault.services.dossiers import VIETNAM

NAME = "reuse"
YEARS = 5  # documents are created over the last YEARS years
# The officer's agency first: it issues papers and receives dossiers like the others.
ORIGIN_WEIGHTS = (40, 10, 30, 20)
PURPOSES = ("Hồ sơ vay vốn ngân hàng", "Tuyển dụng viên chức", "Đăng ký nhập học")
REISSUE_SHARE = 0.05  # a paper of a non-singleton type that reissues the owner's last one
RESULT_SHARE = 0.03  # papers that are the result of a past dossier ...
REPLACING_RESULT_SHARE = 0.2  # ... for types a result code may stand in for in a procedure
OPEN_BACKGROUND_SHARE = 0.03  # past dossiers never closed
CONSENT_SHARE = 0.05  # owners who gave some agency a consent
SECOND_DOSSIER_SHARE = 0.1  # measured owners with a second open dossier at the agency
ATTACHED_SHARE = 0.4  # measured dossiers with a paper already attached
MEASURED_CONSENT_SHARE = 0.2  # measured owners with an active consent for the agency
BATCH = 100_000  # documents (and their blobs) per pair of COPY statements


@dataclass(frozen=True)
class Paper:
    """How papers of one type occur in the warehouses."""

    code: str
    weight: float  # relative frequency among documents
    singleton: bool  # one lineage per owner: a new paper is a new version of it
    valid_days: int | None = None  # validity from the issue date; None: indefinite
    valid_share: float = 1.0  # the share of papers of the type with that validity


PAPERS = (
    Paper("chip_id_card", 1.6, singleton=True, valid_days=15 * 365),
    Paper("birth_certificate", 1.0, singleton=True),
    Paper("driving_licence", 0.9, singleton=True, valid_days=10 * 365, valid_share=0.6),
    Paper("health_certificate", 1.3, singleton=False, valid_days=365),
    Paper("marriage_certificate", 0.5, singleton=True),
    Paper("marital_status_certificate", 0.8, singleton=False, valid_days=180),
    Paper("land_use_right_certificate", 0.9, singleton=False),
    Paper("diploma", 1.0, singleton=False),
    Paper("criminal_record_extract", 0.7, singleton=False, valid_days=180),
    Paper("household_business_registration", 0.2, singleton=False),
    Paper("business_registration_certificate", 0.1, singleton=False),
    Paper("procedure_result", 0.4, singleton=False),
)
ID_CARD = [p.code for p in PAPERS].index("chip_id_card")
# The personal papers owners let an agency read in a consent.
CONSENTED = tuple(p.code for p in PAPERS[:9])
# The procedure whose result a paper of the type is, for past dossiers (others: any).
RESULT_OF = {
    "birth_certificate": "1.001193",
    "marriage_certificate": "1.000894",
    "criminal_record_extract": "2.000488",
    "driving_licence": "1.002809",
    "household_business_registration": "2.000720",
}

DOCUMENT_COLUMNS = (*_pg_load.DOCUMENT_COLUMNS, "has_signature")
DOSSIER_COLUMNS = (
    "id",
    "code",
    "procedure_code",
    "receiving_agency_code",
    "owner_id",
    "received_at",
    "created_at",
    "status",
    "closed_at",
)
ATTACHMENT_COLUMNS = (
    "dossier_id",
    "document_id",
    "attached_at",
    "role",
    "digitised",
    "reused",
    "from_warehouse",
    "replacing_result_code",
    "result_code",
)
CONSENT_COLUMNS = (
    "id",
    "owner_id",
    "agency_code",
    "paper_types",
    "purpose",
    "created_at",
    "expires_at",
    "revoked_at",
)
# Loaded here; the other tables stay as the migrations and the officer set-up leave them.
SIGNATURE_CHECK_COLUMNS = ("document_id", "sha256", "status", "detail", "signer", "checked_at")
LOADED_TABLES = (
    "owners",
    "blobs",
    "documents",
    "dossiers",
    "dossier_documents",
    "consents",
    "signature_checks",
)


@dataclass(frozen=True)
class Plan:
    owners: int
    documents: int
    measured: int  # open dossiers measured (owners: fewer, some have two)
    requests: int  # per side
    warmup: int  # per side
    block: int = 100  # requests per side before switching to the other


QUICK = Plan(owners=100_000, documents=1_000_000, measured=200, requests=1_000, warmup=100)
FULL = Plan(owners=1_000_000, documents=10_000_000, measured=300, requests=2_000, warmup=200)


# -- ids and dossier codes ----------------------------------------------------------------

OWNER_SALT, DOCUMENT_SALT, BLOB_SALT, DOSSIER_SALT, CONSENT_SALT, MEASURED_SALT = (
    0x1F3A5C7E9B2D4F6A,
    0x2B4D6F8A1C3E5A7C,
    0x35A7C9E1B3D5F709,
    0x0C1E2A3B4C5D6E7F,
    0x3FEDCBA987654321,
    0x5A5A3C3C0F0F9696,
)


class DossierCodes:
    """Mã hồ sơ `<agency>-YYMMDD-XXXX` with the day in Vietnam time (UTC+7), numbered per
    agency and day from 0001."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last: defaultdict[tuple[str, int], int] = defaultdict(int)

    def next(self, agency: str, received_ms: int) -> str:
        day = (received_ms + 7 * 3_600_000) // DAY_MS + EPOCH
        seq = self._last[agency, day] + 1
        if seq > 9999:
            raise RuntimeError(f"more than 9999 dossiers on day {day} at {agency}")
        self._last[agency, day] = seq
        iso = self._clock.day(day)
        return f"{agency}-{iso[2:4]}{iso[5:7]}{iso[8:10]}-{seq:04d}"


# -- the corpus ----------------------------------------------------------------------------


@dataclass
class Corpus:
    """The structure of the rows to load, decided before any is written: a reissue must
    find the version it supersedes already marked, a past dossier its component."""

    owner_stamps: list[int]  # ms, increasing
    stamps: array[int]  # ms, increasing: document i is created at stamps[i]
    owner_of: array[int]
    paper: array[int]  # index into PAPERS
    lineages: Lineages
    result_agency: array[int]  # index into AGENCIES where the paper is a dossier's result
    results: list[tuple[int, int]] = field(default_factory=list)  # (result, ID card or -1)


def plan_corpus(plan: Plan, rng: random.Random, now_ms: int) -> Corpus:
    n = plan.documents
    rnd = rng.random
    first_ms = now_ms - (YEARS + 1) * 365 * DAY_MS
    owner_stamps = sorted(first_ms + int(rnd() * 300 * DAY_MS) for _ in range(plan.owners))
    step = YEARS * 365 * DAY_MS // n
    start = now_ms - step * n
    return Corpus(
        owner_stamps=owner_stamps,
        stamps=array("q", [start + i * step + int(rnd() * step) for i in range(n)]),
        owner_of=array("i", [int(rnd() * plan.owners) for _ in range(n)]),
        paper=array("b", rng.choices(range(len(PAPERS)), [p.weight for p in PAPERS], k=n)),
        lineages=Lineages.of(n),
        result_agency=array("b", [-1]) * n,
    )


def plan_lineages(corpus: Corpus, rng: random.Random, replacing: dict[str, str]) -> None:
    """Versions and results, in time order: a reissue supersedes the owner's latest paper of
    its type; a result's past dossier gets the owner's ID card of the time as component."""
    rnd = rng.random
    kinds = len(PAPERS)
    singleton = [p.singleton for p in PAPERS]
    result_share = [REPLACING_RESULT_SHARE if p.code in replacing else RESULT_SHARE for p in PAPERS]
    latest = array("i", [-1]) * (len(corpus.owner_stamps) * kinds)
    owner_of, paper, reissue = corpus.owner_of, corpus.paper, corpus.lineages.reissue
    results = corpus.results
    agencies = len(AGENCIES)
    for i in range(len(owner_of)):
        t = paper[i]
        base = owner_of[i] * kinds
        key = base + t
        previous = latest[key]
        if previous >= 0 and (singleton[t] or rnd() < REISSUE_SHARE):
            reissue(i, previous)
        if rnd() < result_share[t]:
            corpus.result_agency[i] = int(rnd() * agencies)
            results.append((i, latest[base + ID_CARD]))
        latest[key] = i


# -- rows ----------------------------------------------------------------------------------


def paper_rows(
    corpus: Corpus,
    lo: int,
    hi: int,
    owner_ids: Sequence[str],
    titles: Sequence[str],
    rng: random.Random,
    clock: Clock,
) -> tuple[str, str, str]:
    """COPY text for the blobs, the documents lo..hi-1 and the verdicts on the signed ones
    (a steady state: the vault has checked their signatures within the last day)."""
    rnd = rng.random
    stamps, owner_of, paper = corpus.stamps, corpus.owner_of, corpus.paper
    lineages, result_agency = corpus.lineages, corpus.result_agency
    lineage, version, supersedes = lineages.lineage, lineages.version, lineages.supersedes
    origins = rng.choices(ORIGINS, ORIGIN_WEIGHTS, k=hi - lo)
    secrets = rng.randbytes(92 * (hi - lo)).hex()  # 32 bytes of SHA-256, 60 of wrapped key
    day, stamp, agencies = clock.day, clock.stamp, len(AGENCIES)
    blobs = []
    documents = []
    verdicts = []
    checked = stamp(int(time.time() * 1000))
    for k, i in enumerate(range(lo, hi)):
        ms = stamps[i]
        created = stamp(ms)
        blob_id = uid(ms, i, BLOB_SALT)
        s = 184 * k
        blobs.append(
            blob_line(
                blob_id,
                40_000 + int(rnd() * 8_000_000),
                "application/pdf" if rnd() < 0.7 else "image/jpeg",
                secrets[s : s + 64],
                secrets[s + 64 : s + 184],
                created,
            )
        )
        t = paper[i]
        kind = PAPERS[t]
        doc_id = uid(ms, i, DOCUMENT_SALT)
        issuer = result_agency[i]
        origin = "issued_result" if issuer >= 0 else origins[k]
        if issuer < 0 and (origin == "issued_result" or rnd() < 0.7):
            issuer = int(rnd() * agencies)
        v = version[i]
        if origin == "issued_result" or v > 1:
            issued = ms // DAY_MS + EPOCH - int(rnd() * 20)  # recorded when issued
        else:
            issued = ms // DAY_MS + EPOCH - int(rnd() * rnd() * 3650)  # an old paper
        valid = None
        if kind.valid_days is not None and rnd() < kind.valid_share:
            valid = day(issued + kind.valid_days)
        first = lineage[i]
        previous = supersedes[i]
        signed = origin == "issued_result" and rnd() < 0.6
        documents.append(
            document_line(
                doc_id,
                owner_ids[owner_of[i]],
                kind.code,
                titles[t],
                f"{int(rnd() * 9999) + 1}/QĐ-UBND" if rnd() < 0.5 else None,
                AGENCIES[issuer] if issuer >= 0 else None,
                day(issued),
                valid,
                origin,
                bool(lineages.superseded[i]),
                doc_id if first == i else uid(stamps[first], first, DOCUMENT_SALT),
                v,
                uid(stamps[previous], previous, DOCUMENT_SALT) if previous >= 0 else None,
                blob_id,
                created,
                "t" if signed else "f",
            )
        )
        if signed:
            verdicts.append(f"{doc_id}\t{secrets[s : s + 64]}\tvalid\t{NULL}\t{NULL}\t{checked}\n")
    return "".join(blobs), "".join(documents), "".join(verdicts)


def past_dossier_rows(
    corpus: Corpus,
    owner_ids: Sequence[str],
    replacing: dict[str, str],
    procedures: Sequence[str],
    codes: DossierCodes,
    rng: random.Random,
    clock: Clock,
) -> tuple[str, str]:
    """COPY text for the past dossiers and their attachments, in time order."""
    rnd = rng.random
    stamps = corpus.stamps
    dated = sorted(
        (stamps[r] - DAY_MS - int(rnd() * 20 * DAY_MS), r, card) for r, card in corpus.results
    )
    dossiers = []
    attachments = []
    for serial, (received, r, card) in enumerate(dated):
        agency = AGENCIES[corpus.result_agency[r]]
        paper = PAPERS[corpus.paper[r]].code
        dossier_id = uid(received, serial, DOSSIER_SALT)
        is_open = rnd() < OPEN_BACKGROUND_SHARE
        closed = NULL if is_open else clock.stamp(stamps[r] + 3_600_000)
        dossiers.append(
            f"{dossier_id}\t{codes.next(agency, received)}\t"
            f"{RESULT_OF.get(paper) or rng.choice(procedures)}\t{agency}\t"
            f"{owner_ids[corpus.owner_of[r]]}\t{clock.stamp(received)}\t"
            f"{clock.stamp(received + 60_000)}\t{'open' if is_open else 'closed'}\t{closed}\n"
        )
        if card >= 0:
            attachments.append(
                f"{dossier_id}\t{uid(stamps[card], card, DOCUMENT_SALT)}\t"
                f"{clock.stamp(received + 300_000)}\tcomponent\tf\t1\tt\t{NULL}\t{NULL}\n"
            )
        code = replacing.get(paper) or f"KQ.G15.{100 + corpus.paper[r]:06d}"
        attachments.append(
            f"{dossier_id}\t{uid(stamps[r], r, DOCUMENT_SALT)}\t{clock.stamp(stamps[r])}\t"
            f"result\tf\t0\tf\t{NULL}\t{code}\n"
        )
    return "".join(dossiers), "".join(attachments)


def consent_rows(
    plan: Plan, owner_ids: Sequence[str], now_ms: int, rng: random.Random, clock: Clock
) -> str:
    rnd = rng.random
    chosen = sorted(
        (now_ms - int(rnd() * 730 * DAY_MS), owner)
        for owner in rng.sample(range(plan.owners), int(plan.owners * CONSENT_SHARE))
    )
    lines = []
    for serial, (created, owner) in enumerate(chosen):
        types = ",".join(rng.sample(CONSENTED, rng.randint(1, 3)))
        revoked = clock.stamp(created + int(rnd() * 30 * DAY_MS)) if rnd() < 0.1 else NULL
        lines.append(
            f"{uid(created, serial, CONSENT_SALT)}\t{owner_ids[owner]}\t{rng.choice(AGENCIES)}\t"
            f"{types}\t{rng.choice(PURPOSES)}\t{clock.stamp(created)}\t"
            f"{clock.stamp(created + 90 * DAY_MS)}\t{revoked}\n"
        )
    return "".join(lines)


# -- loading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    owner_ids: list[str]
    codes: DossierCodes
    seconds: float


def bulk_load(dsn: str, plan: Plan, rng: random.Random) -> Loaded:
    """Loads the tables with COPY FREEZE in one transaction, then rebuilds the indexes."""
    check_ids()
    started = time.monotonic()
    clock = Clock()
    now_ms = time.time_ns() // 1_000_000
    with psycopg.connect(dsn) as conn:
        _pg_load.check_schema(
            conn,
            {
                "owners": _pg_load.OWNER_COLUMNS,
                "blobs": _pg_load.BLOB_COLUMNS,
                "documents": DOCUMENT_COLUMNS,
                "dossiers": DOSSIER_COLUMNS,
                "dossier_documents": ATTACHMENT_COLUMNS,
                "consents": CONSENT_COLUMNS,
                "signature_checks": SIGNATURE_CHECK_COLUMNS,
            },
        )
        names = _pg_load.paper_type_titles(conn)
        missing = sorted({p.code for p in PAPERS} - set(names))
        if missing:
            raise RuntimeError(f"paper types not in the catalogue: {missing}")
        titles = [names[p.code] for p in PAPERS]
        procedures = [r[0] for r in conn.execute("SELECT code FROM procedures ORDER BY code")]
        replacing = {}
        for paper_type, codes in conn.execute(
            "SELECT paper_type, replacing_result_codes FROM procedure_requirements"
            " WHERE replacing_result_codes <> '' ORDER BY 1"
        ):
            replacing[paper_type] = codes.split(",")[0]
        deferred = _pg_load.drop_deferred(conn, LOADED_TABLES)

        corpus = plan_corpus(plan, rng, now_ms)
        plan_lineages(corpus, rng, replacing)
        owner_ids = [uid(ms, i, OWNER_SALT) for i, ms in enumerate(corpus.owner_stamps)]
        log(f"  planned in {time.monotonic() - started:.1f} s; {len(corpus.results):,} results")

        conn.autocommit = True
        try:
            # Superuser only: no foreign key trigger per row (the constraints stay).
            conn.execute("SET session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            log("  not a superuser: foreign keys are checked row by row while loading")
        conn.autocommit = False
        with conn.cursor() as cur:
            _pg_load.empty_for_freeze(cur, LOADED_TABLES)
            copier = _pg_load.Copier(cur, freeze=True)
            try:
                names_of_owners = [short_name(rng) for _ in owner_ids]
                copier.put(
                    "owners",
                    _pg_load.OWNER_COLUMNS,
                    owner_rows(owner_ids, corpus.owner_stamps, names_of_owners, rng, clock),
                )
                for lo in range(0, plan.documents, BATCH):
                    hi = min(lo + BATCH, plan.documents)
                    blobs, documents, verdicts = paper_rows(
                        corpus, lo, hi, owner_ids, titles, rng, clock
                    )
                    copier.put_many(
                        [
                            ("blobs", _pg_load.BLOB_COLUMNS, blobs),
                            ("documents", DOCUMENT_COLUMNS, documents),
                            ("signature_checks", SIGNATURE_CHECK_COLUMNS, verdicts),
                        ]
                    )
                    if hi % 1_000_000 == 0:
                        log(f"  {hi:>10,} documents made at {time.monotonic() - started:.1f} s")
                codes = DossierCodes(clock)
                dossiers, attachments = past_dossier_rows(
                    corpus, owner_ids, replacing, procedures, codes, rng, clock
                )
                copier.put_many(
                    [
                        ("dossiers", DOSSIER_COLUMNS, dossiers),
                        ("dossier_documents", ATTACHMENT_COLUMNS, attachments),
                        (
                            "consents",
                            CONSENT_COLUMNS,
                            consent_rows(plan, owner_ids, now_ms, rng, clock),
                        ),
                    ]
                )
            finally:
                copier.finish()
        conn.commit()
    log(f"  copied in {time.monotonic() - started:.1f} s; rebuilding indexes")
    _pg_load.rebuild_deferred(dsn, deferred)
    return Loaded(owner_ids, codes, time.monotonic() - started)


# -- the measured dossiers -------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    id: uuid.UUID
    procedure: str
    needed: int  # the number of paper types its procedure needs


def add_measured(dsn: str, plan: Plan, loaded: Loaded, rng: random.Random) -> list[Measured]:
    """Open dossiers received by the officer's agency over the last two weeks for owners
    drawn at random; a few owners have two, some dossiers a paper already attached, some
    owners an active consent for the agency."""
    rnd = rng.random
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    today = (now_ms + 7 * 3_600_000) // DAY_MS  # days since 1970 in Vietnam time
    with psycopg.connect(dsn) as conn:
        needs: dict[str, list[str]] = defaultdict(list)
        for code, paper_type in conn.execute(
            "SELECT procedure_code, paper_type FROM procedure_requirements ORDER BY 1, 2"
        ):
            needs[code].append(paper_type)
        procedures = sorted(needs)
        owners = iter(rng.sample(loaded.owner_ids, plan.measured))
        rows = []
        measured = []
        owner, procedure = uuid.UUID(int=0), ""
        for serial in range(plan.measured):
            if serial and rnd() < SECOND_DOSSIER_SHARE:  # the same owner, another procedure
                procedure = rng.choice([p for p in procedures if p != procedure])
            else:
                owner, procedure = uuid.UUID(next(owners)), rng.choice(procedures)
            # Office hours (07:30-16:30 in Vietnam) on one of the last fourteen days.
            day_start = (today - 1 - int(rnd() * 14)) * DAY_MS - 7 * 3_600_000
            received_ms = day_start + 27_000_000 + int(rnd() * 9 * 3_600_000)
            received = datetime.fromtimestamp(received_ms / 1000, UTC)
            code = loaded.codes.next(_common.AGENCY, received_ms)
            if identifiers.dossier_code(code)[2] != received.astimezone(VIETNAM).date():
                raise AssertionError(f"{code} does not give the day {received} was received")
            dossier_id = uuid.UUID(uid(received_ms, serial, MEASURED_SALT))
            rows.append((dossier_id, code, procedure, _common.AGENCY, owner, received))
            measured.append(Measured(dossier_id, procedure, len(needs[procedure])))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO dossiers (id, code, procedure_code, receiving_agency_code, owner_id,"
                " received_at, created_at, status) VALUES (%s, %s, %s, %s, %s, %s, %s, 'open')",
                [(*row, row[5] + timedelta(seconds=40)) for row in rows],
            )
            owners_of = sorted({row[4] for row in rows})
            papers: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = defaultdict(list)
            for owner_id, document_id, paper_type in cur.execute(
                "SELECT owner_id, id, paper_type FROM documents"
                " WHERE owner_id = ANY(%s) AND status = 'current'",
                (owners_of,),
            ):
                papers[owner_id, paper_type].append(document_id)
            attachments = []
            for dossier_id, _, procedure, _, owner, received in rows:
                on_file = [d for t in needs[procedure] for d in papers[owner, t]]
                if on_file and rnd() < ATTACHED_SHARE:
                    attachments.append(
                        (dossier_id, rng.choice(on_file), received + timedelta(minutes=10))
                    )
            cur.executemany(
                "INSERT INTO dossier_documents (dossier_id, document_id, attached_at, role,"
                " digitised, reused, from_warehouse) VALUES (%s, %s, %s, 'component', false, 1,"
                " true)",
                attachments,
            )
            consenting = rng.sample(owners_of, int(len(owners_of) * MEASURED_CONSENT_SHARE))
            cur.executemany(
                "INSERT INTO consents (id, owner_id, agency_code, paper_types, purpose,"
                " created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        uuid.uuid4(),
                        owner,
                        _common.AGENCY,
                        ",".join(rng.sample(CONSENTED, 2)),
                        rng.choice(PURPOSES),
                        now - timedelta(days=10),
                        now + timedelta(days=80),
                    )
                    for owner in consenting
                ],
            )
        conn.commit()
    log(
        f"{len(measured)} open dossiers for {len(owners_of)} owners, {len(attachments)} with a"
        f" paper attached; {len(consenting)} owners with a consent for {_common.AGENCY}"
    )
    return measured


# -- the statements of a plan ----------------------------------------------------------------

Statement = tuple[str, dict[str, Any]]


def label(sql: str) -> str:
    """A short name for a statement: its tables and first condition."""
    tables = re.search(r"\bFROM (\w+)(?: JOIN (\w+))?", sql)
    where = re.search(r"\bWHERE (\w+\.\w+)", sql)
    name = "+".join(t for t in tables.groups() if t) if tables else sql[:24]
    return f"{name} by {where.group(1)}" if where else name


def record_statements(
    db_url: str, base: Path, header: dict[str, str], measured: Sequence[Measured]
) -> dict[uuid.UUID, list[Statement]]:
    """Runs `ReuseService.plan` in-process once per dossier, as the officer, and keeps the
    statements it sends (not the account lookup before it, nor the audit entry after it,
    which the audit writer thread commits). Checks each plan on the way."""
    token = header["Authorization"].removeprefix("Bearer ")
    recorded: dict[uuid.UUID, list[Statement]] = {}
    target: list[list[Statement]] = []  # the current dossier's list while recording
    main_thread = threading.get_ident()
    candidates = usable = by_result = 0
    with _common.local_vault(db_url, base) as vault:

        @event.listens_for(vault.engine, "before_cursor_execute")
        def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
            if target and threading.get_ident() == main_thread:
                if not isinstance(parameters, dict):
                    raise RuntimeError(f"expected named parameters: {statement}")
                target[0].append((statement, dict(parameters)))

        for dossier in measured:
            statements: list[Statement] = []
            with vault.uows() as uow:
                actor = vault.auth.actor(uow, token)
                target.append(statements)
                try:
                    reuse = vault.reuse.plan(uow, actor, dossier.id)
                finally:
                    target.clear()
                uow.commit()
            if len(reuse.needed) != dossier.needed:
                raise RuntimeError(f"dossier {dossier.id}: {len(reuse.needed)} papers needed")
            recorded[dossier.id] = statements
            for needed in reuse.needed:
                candidates += len(needed.candidates)
                usable += needed.on_file
                by_result += any(c.replacing_result_code for c in needed.candidates)
    papers = sum(d.needed for d in measured)
    per_plan = sum(len(s) for s in recorded.values()) / len(recorded)
    log(
        f"recorded {per_plan:.1f} statements per plan; {candidates / papers:.2f} candidates per"
        f" needed paper, {usable / papers:.0%} on file, {by_result} offered through a result"
    )
    return recorded


# -- measuring ---------------------------------------------------------------------------


def dossier_cycle(measured: Sequence[Measured], rng: random.Random) -> Iterator[Measured]:
    """The measured dossiers, endlessly, each pass in a new random order."""
    order = list(measured)
    while True:
        rng.shuffle(order)
        yield from order


def api_request(
    client: httpx.Client, dossier: Measured, stages: _common.StageTimes | None = None
) -> float:
    start = time.perf_counter()
    r = client.get(f"/api/v1/dossiers/{dossier.id}/reuse")
    elapsed = time.perf_counter() - start
    if r.status_code != 200:
        raise RuntimeError(f"the reuse plan answered {r.status_code}: {r.text[:500]}")
    if stages is not None:
        stages.add(r)
    return elapsed


def check_plan(client: httpx.Client, dossier: Measured) -> None:
    body = client.get(f"/api/v1/dossiers/{dossier.id}/reuse").json()
    if body.get("procedure_code") != dossier.procedure or len(body["needed"]) != dossier.needed:
        raise RuntimeError(f"unexpected reuse plan for {dossier.id}: {str(body)[:500]}")


@dataclass
class Samples:
    stages: _common.StageTimes = field(default_factory=_common.StageTimes)
    api: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    api_by_procedure: defaultdict[str, list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    sql_by_procedure: defaultdict[str, list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_statement: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    slowest: dict[str, tuple[float, Statement]] = field(default_factory=dict)
    # CPU seconds over the measured blocks, which the neighbours' load does not inflate
    # as much as it does latencies: by side, then by process.
    cpu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


class SqlSide:
    """The recorded statements of a plan, run in one transaction as the service runs them."""

    def __init__(self, dsn: str, recorded: dict[uuid.UUID, list[Statement]]) -> None:
        self.conn = psycopg.connect(dsn)
        self._cur = self.conn.cursor()
        self._recorded = recorded

    def run(self, dossier: Measured, samples: Samples | None) -> float:
        cur = self._cur
        start = time.perf_counter()
        for sql, params in self._recorded[dossier.id]:
            began = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            if samples is not None:
                took = time.perf_counter() - began
                name = label(sql)
                samples.by_statement[name].append(took)
                if took > samples.slowest.get(name, (0.0, ("", {})))[0]:
                    samples.slowest[name] = (took, (sql, params))
        self.conn.commit()
        return time.perf_counter() - start

    def close(self) -> None:
        self.conn.close()


class CpuMeter:
    """CPU time (user + system) of the API server and of the database's backends."""

    def __init__(self, dsn: str, server: psutil.Process, sql: SqlSide) -> None:
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._server = server
        self._sql_backend = sql.conn.info.backend_pid

    def _backends(self) -> dict[int, float]:
        pids = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
        seconds = {}
        for (pid,) in pids:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = psutil.Process(pid).cpu_times()
                seconds[pid] = times.user + times.system
        return seconds

    def snapshot(self) -> tuple[float, float, dict[int, float]]:
        times = self._server.cpu_times()
        return times.user + times.system, time.thread_time(), self._backends()

    def add(
        self, side: str, before: tuple[float, float, dict[int, float]], cpu: defaultdict[str, float]
    ) -> None:
        server, client, backends = self.snapshot()
        used = {p: t - before[2].get(p, 0.0) for p, t in backends.items()}
        if side == "api":
            cpu["api server"] += server - before[0]
            cpu["api postgres"] += sum(t for p, t in used.items() if p != self._sql_backend)
        else:
            cpu["sql client"] += client - before[1]
            cpu["sql postgres"] += used.get(self._sql_backend, 0.0)

    def close(self) -> None:
        self._conn.close()


def measure(
    plan: Plan,
    client: httpx.Client,
    sql: SqlSide,
    meter: CpuMeter,
    measured: Sequence[Measured],
    rng: random.Random,
) -> Samples:
    samples = Samples()
    cycle = dossier_cycle(measured, rng)
    for dossier in measured:
        check_plan(client, dossier)
    for _ in range(plan.warmup):
        api_request(client, next(cycle))
        sql.run(next(cycle), None)
    for number in range(plan.requests // plan.block):
        sides = ("api", "sql") if number % 2 == 0 else ("sql", "api")
        for side in sides:
            before = meter.snapshot()
            for _ in range(plan.block):
                dossier = next(cycle)
                if side == "api":
                    took = api_request(client, dossier, samples.stages)
                    samples.api.append(took)
                    samples.api_by_procedure[dossier.procedure].append(took)
                else:
                    took = sql.run(dossier, samples)
                    samples.sql.append(took)
                    samples.sql_by_procedure[dossier.procedure].append(took)
            meter.add(side, before, samples.cpu)
    return samples


def summary(name: str, seconds: Sequence[float]) -> str:
    ms = [1000 * s for s in seconds]
    return (
        f"{name:44}: p50 {percentile(ms, 50):6.2f}  p90 {percentile(ms, 90):6.2f}  "
        f"p99 {percentile(ms, 99):6.2f}  max {max(ms):7.2f} ms  ({len(ms)})"
    )


def explain(sql: SqlSide, statement: Statement) -> None:
    text, params = statement
    rows = sql.conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + text, params).fetchall()
    sql.conn.rollback()
    log(f"plan of the slowest statement ({label(text)}), warm:")
    for (line,) in rows:
        print(f"    {line}", flush=True)


def report(samples: Samples, sql: SqlSide) -> None:
    for line in samples.stages.report("API", [1000 * s for s in samples.api]):
        log(line)
    log(summary("API GET /dossiers/{id}/reuse", samples.api))
    log(summary("SQL of the plan", samples.sql))
    cpu = {
        name: 1000 * seconds / len(samples.api if name.startswith("api") else samples.sql)
        for name, seconds in samples.cpu.items()
    }
    log(
        f"CPU per plan: API {cpu['api server']:.2f} ms in the server process + "
        f"{cpu['api postgres']:.2f} ms in PostgreSQL; SQL {cpu['sql client']:.2f} ms in psycopg"
        f" + {cpu['sql postgres']:.2f} ms in PostgreSQL"
    )
    for procedure in sorted(samples.api_by_procedure):
        log(summary(f"  API, procedure {procedure}", samples.api_by_procedure[procedure]))
        log(summary(f"  SQL, procedure {procedure}", samples.sql_by_procedure[procedure]))
    ranked = sorted(samples.by_statement, key=lambda n: -percentile(samples.by_statement[n], 99))
    for name in ranked:
        log(summary(f"  statement {name}", samples.by_statement[name]))
    explain(sql, samples.slowest[ranked[0]][1])


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    rng = random.Random(20_260_105)
    started = time.monotonic()
    log(
        f"{NAME}: {plan.documents:,} documents of {plan.owners:,} owners; {plan.requests}"
        f" requests per side over {plan.measured} dossiers"
    )
    with _common.work_dir(NAME) as base, _common.fresh_database("bench_reuse") as db_url:
        dsn = _common.libpq_dsn(db_url)
        loaded = bulk_load(dsn, plan, rng)
        vacuumed = time.monotonic()
        # Loaded frozen: VACUUM finds nothing to do but resets the insert counters, so no
        # autovacuum of ten million rows starts during the measurement.
        _pg_load.vacuum_analyze(dsn, LOADED_TABLES, analyze_all=True)
        sizes = _pg_load.table_sizes(dsn, LOADED_TABLES, rows=True)
        log(
            f"loaded in {loaded.seconds:.1f} s (generate + COPY + indexes), VACUUM ANALYZE"
            f" {time.monotonic() - vacuumed:.1f} s; {sizes}"
        )
        header = _common.add_officer(db_url, base)
        measured = add_measured(dsn, plan, loaded, rng)
        recorded = record_statements(db_url, base, header, measured)
        ready = time.monotonic()
        log(f"ready to measure after {ready - started:.1f} s")

        # The plan never reads an object: the server stores to a folder, and no S3 server
        # idles beside it taking CPU from this latency measurement on 2 cores.
        env = _common.vault_env(database_url=db_url, s3=None, storage_path=base / "objects")
        sql = SqlSide(dsn, recorded)
        try:
            with (
                _common.api_server(base, env) as server,
                _common.http_client(server.base_url) as client,
            ):
                client.headers.update(header)
                meter = CpuMeter(dsn, server.ps, sql)
                try:
                    samples = measure(plan, client, sql, meter, measured, rng)
                finally:
                    meter.close()
            report(samples, sql)
        finally:
            sql.close()
    log(
        f"load {loaded.seconds:.1f} s, measuring {time.monotonic() - ready:.1f} s,"
        f" total {time.monotonic() - started:.1f} s"
    )
    value = 1000 * percentile(samples.api, 99)
    baseline = 1000 * percentile(samples.sql, 99)
    _common.print_result(NAME, value, "ms", baseline, value / baseline)


if __name__ == "__main__":
    main()
