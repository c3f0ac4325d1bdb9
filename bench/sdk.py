"""Download throughput through the Python SDK vs raw httpx GETs of the same URLs.

value    = 1 MiB documents/s downloaded with `VaultClient.documents.download()` (streamed to
           a sink, SHA-256 checked against the vault's ETag: the SDK's defaults), median
           over rounds;
baseline = documents/s fetched with plain `httpx.Client.get()` of the same content URLs with
           the same bearer token, in the same run, median over rounds;
ratio    = value / baseline (the goal is >= 0.95).

The API runs as `vault serve` in its own process (PostgreSQL metadata, SeaweedFS S3 objects),
so the client's work does not share its GIL. Both sides use THREADS client threads sharing
one client (one connection pool) each: the SDK's VaultClient is thread-safe and signs in with
OAuth2 client credentials; the raw side reuses a token from the same endpoint. Rounds
take turns block by block (BLOCK documents, alternating which side goes first) so that load
from elsewhere on the shared machine falls on both alike; every round downloads every
document once per side, after an unmeasured warm-up round.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "client_sdk" / "src"))

import httpx
from vault_client import RetryPolicy, VaultClient

from bench import _common
from bench._common import AGENCY, MIB, log, percentile
from vault.auth import Role

NAME = "sdk"
OFFICER = "bench-sdk-officer"
THREADS = 4
BLOCK = 16  # documents per side before the other side takes its turn
DOC_SIZE = 1 * MIB


@dataclass(frozen=True)
class Plan:
    documents: int  # stored once, downloaded by each side in every round
    rounds: int
    warmup_rounds: int = 1


QUICK = Plan(documents=64, rounds=12)
FULL = Plan(documents=64, rounds=30)


class Discard:
    """A sink that only counts: neither side should pay for holding the bytes."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


@dataclass
class Side:
    name: str
    fetch: Callable[[str], None]
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0  # this process's CPU seconds (all threads) in measured rounds
    documents: int = 0

    def run(self, ids: list[str]) -> float:
        """Seconds to download `ids` (each once) on THREADS threads."""

        def timed(doc_id: str) -> None:
            start = time.perf_counter()
            self.fetch(doc_id)
            self.latencies.append(time.perf_counter() - start)

        cpu = time.process_time()
        elapsed = _common.run_parallel(ids, [timed] * THREADS)
        self.cpu += time.process_time() - cpu
        self.documents += len(ids)
        return elapsed


def measure_round(ids: list[str], sides: tuple[Side, Side], number: int) -> None:
    """One round: every document once per side, the sides taking turns block by block (in
    alternating order) so that a burst of load from elsewhere on this shared machine falls
    on both alike. Appends each side's documents/s for the round."""
    elapsed = {side.name: 0.0 for side in sides}
    for k in range(0, len(ids), BLOCK):
        block = ids[k : k + BLOCK]
        order = sides if (number + k // BLOCK) % 2 == 0 else sides[::-1]
        for side in order:
            elapsed[side.name] += side.run(block)
    for side in sides:
        side.rates.append(len(ids) / elapsed[side.name])


def sdk_side(client: VaultClient) -> Side:
    def fetch(doc_id: str) -> None:
        sink = Discard()
        result = client.documents.download(doc_id, sink)
        if not result.verified or sink.size != DOC_SIZE:
            raise RuntimeError(f"SDK download of {doc_id}: {result}")

    return Side("SDK", fetch)


def raw_side(http: httpx.Client) -> Side:
    def fetch(doc_id: str) -> None:
        r = http.get(f"/api/v1/documents/{doc_id}/content")
        if r.status_code != 200 or len(r.content) != DOC_SIZE:
            raise RuntimeError(f"raw GET of {doc_id} answered {r.status_code}")

    return Side("raw GET", fetch)


def add_agency_system(db_url: str, base: Path) -> tuple[str, str, str]:
    """AGENCY, an officer of it who may store and read what it issues, and an agency system
    (OAuth2 client) acting for them: (client id, secret, officer username)."""
    with _common.local_vault(db_url, base) as vault, vault.uows() as uow:
        vault.auth.add_agency(uow, AGENCY, "UBND phường Bến Nghé")
        vault.auth.add_officer(
            uow,
            username=OFFICER,
            full_name="Cán bộ đo hiệu năng",
            agency_code=AGENCY,
            roles=[Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER],
        )
        client_id, secret = vault.auth.add_client(
            uow, name="Benchmark one-stop system", agency_code=AGENCY
        )
        uow.commit()
    return client_id, secret, OFFICER


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    log(
        f"{NAME}: {plan.documents} documents of {DOC_SIZE // MIB} MiB, {plan.rounds} rounds per "
        f"side, {THREADS} client threads"
    )
    with (
        _common.work_dir(NAME) as base,
        _common.seaweedfs(base) as s3,
        _common.fresh_database("bench_sdk") as db_url,
    ):
        bucket = _common.create_bucket(s3, "vault")
        client_id, secret, officer = add_agency_system(db_url, base)
        env = _common.vault_env(database_url=db_url, s3=s3, bucket=bucket)
        with _common.api_server(base, env) as server:
            sdk, raw = run(plan, server.base_url, client_id, secret, officer)
    report(sdk, raw)


def run(plan: Plan, base_url: str, client_id: str, secret: str, officer: str) -> tuple[Side, Side]:
    # No retries on either side: a retry would hide a failure inside a slower rate.
    with (
        VaultClient(
            base_url,
            client_id=client_id,
            client_secret=secret,
            officer=officer,
            retry=RetryPolicy(max_retries=0),
        ) as client,
        _common.http_client(base_url) as http,
    ):
        token = client.auth.client_credentials(
            client_id=client_id, client_secret=secret, officer=officer
        )
        http.headers["Authorization"] = f"Bearer {token.access_token.get_secret_value()}"
        owner = client.owners.create(
            kind="citizen", identifier=_common.CITIZEN_ID, display_name="Nguyễn Thị Hương"
        )
        log(f"storing {plan.documents} documents through the SDK")
        ids = [
            str(
                client.documents.upload(
                    owner,
                    _common.padded_pdf(DOC_SIZE),
                    paper_type=_common.PAPER_TYPE,
                    title="Giấy khai sinh (bản điện tử)",
                    origin="issued_result",
                ).id
            )
            for _ in range(plan.documents)
        ]
        sdk, raw = sdk_side(client), raw_side(http)
        for number in range(plan.warmup_rounds):
            measure_round(ids, (sdk, raw), number)
        for side in (sdk, raw):
            side.rates.clear()
            side.latencies.clear()
            side.cpu, side.documents = 0.0, 0
        for number in range(plan.rounds):
            measure_round(ids, (sdk, raw), number)
            log(
                f"round {number + 1}/{plan.rounds}: SDK {sdk.rates[-1]:6.1f} docs/s, "
                f"raw {raw.rates[-1]:6.1f} docs/s, ratio {sdk.rates[-1] / raw.rates[-1]:.3f}"
            )
    return sdk, raw


def report(sdk: Side, raw: Side) -> None:
    for side in (sdk, raw):
        log(
            f"{side.name:8}: median {statistics.median(side.rates):6.1f} docs/s "
            f"(min {min(side.rates):.1f}, max {max(side.rates):.1f}); latency ms "
            f"p50 {1000 * percentile(side.latencies, 50):.1f} "
            f"p90 {1000 * percentile(side.latencies, 90):.1f}; "
            f"client CPU {1000 * side.cpu / side.documents:.2f} ms/doc"
        )
    paired = [s / r for s, r in zip(sdk.rates, raw.rates, strict=True)]
    log(f"median of the per-round ratios: {statistics.median(paired):.3f}")
    value = statistics.median(sdk.rates)
    baseline = statistics.median(raw.rates)
    _common.print_result(NAME, value, "docs/s", baseline, value / baseline)


if __name__ == "__main__":
    main()
