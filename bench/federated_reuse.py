"""The reuse plan of a dossier when it also asks a peer vault (another province) on loopback.

value    = p99 latency (ms) of GET /api/v1/dossiers/{id}/reuse at province A's vault, which
           asks province B's vault (a second `vault serve` process with its own PostgreSQL
           database and S3 bucket, trusted through private_key_jwt assertions and JWKS) for
           the same citizen's papers while it works out the local plan;
baseline = p99 latency (ms) of the local plan alone (the same route with `peers=false`), in
           the same run, requests interleaved one for one with the measured ones;
ratio    = value / baseline. The goal is ratio <= 2.

Data: --quick 5 citizens (else 20), each with a signed birth certificate and chip ID card in
B's vault and an open dossier for procedure 2.000488 (criminal record extract, which needs
both) in A's vault. Sequential requests over one keep-alive connection by a receiving
officer of A, cycling over the dossiers, after a warm-up (the first look-up also fetches the
access token and B's signature verdicts). Also printed: p50s, and the peer's round trip as
A timed it (token cached), to show where the extra time goes.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import _common
from bench._common import log, percentile
from tests.factories import signed_pdf_bytes, signer_certificate
from tests.support.federation import Province, vault_process
from vault.auth import Role
from vault.runtime import Vault
from vault.services.dossiers import VIETNAM

A_AGENCY = "000.00.15.H57"
B_AGENCY = "000.00.31.H75"
PROCEDURE = "2.000488"


def _officer(province: Province, username: str) -> dict[str, str]:
    vault = Vault.from_settings(province.settings())
    try:
        with vault.uows() as uow:
            vault.auth.add_agency(uow, province.agency, f"Cơ quan {province.label}")
            account = vault.auth.add_officer(
                uow,
                username=username,
                full_name=f"Cán bộ {username}",
                agency_code=province.agency,
                roles=[Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER],
            )
            uow.commit()
        return {"Authorization": f"Bearer {vault.auth.token_for(account).token}"}
    finally:
        vault.close()


def _identifier(i: int) -> str:
    return f"0792030{i:05d}"  # HCMC, female born 2003


def _register(http: httpx.Client, identifier: str) -> str:
    r = http.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": identifier, "display_name": "Nguyễn Thị Hương"},
    )
    if r.status_code not in (200, 201):
        raise RuntimeError(f"registering answered {r.status_code}: {r.text[:300]}")
    owner_id: str = r.json()["id"]
    return owner_id


def _seed(a: Province, b: Province, citizens: int) -> tuple[dict[str, str], list[str]]:
    b_officer = _officer(b, "b-issuer")
    a_officer = _officer(a, "a-receiver")
    now = datetime.now(UTC).astimezone(VIETNAM)
    dossiers = []
    with (
        _common.http_client(b.url) as in_b,
        _common.http_client(a.url, timeout=120) as in_a,
    ):
        in_b.headers.update(b_officer)
        in_a.headers.update(a_officer)
        for i in range(citizens):
            identifier = _identifier(i)
            b_owner = _register(in_b, identifier)
            for paper_type in ("birth_certificate", "chip_id_card"):
                r = in_b.post(
                    f"/api/v1/owners/{b_owner}/documents",
                    data={
                        "paper_type": paper_type,
                        "title": paper_type.replace("_", " "),
                        "origin": "issued_result",
                        "issuer_agency_code": B_AGENCY,
                        "issue_date": "2021-04-02",
                    },
                    files={"file": ("paper.pdf", signed_pdf_bytes(), "application/pdf")},
                )
                if r.status_code != 201:
                    raise RuntimeError(f"storing in B answered {r.status_code}: {r.text[:300]}")
            a_owner = _register(in_a, identifier)
            r = in_a.post(
                "/api/v1/dossiers",
                json={
                    "dossier_code": f"{A_AGENCY}-{now:%y%m%d}-{i + 1:04d}",
                    "procedure_code": PROCEDURE,
                    "owner_id": a_owner,
                    "received_at": (now - timedelta(minutes=1)).isoformat(),
                },
            )
            if r.status_code != 201:
                raise RuntimeError(f"the dossier answered {r.status_code}: {r.text[:300]}")
            dossiers.append(r.json()["id"])
    log(f"seeded {citizens} citizens: 2 signed papers each in B, an open dossier each in A")
    return a_officer, dossiers


def _measure(
    a: Province, officer: dict[str, str], dossiers: list[str], rounds: int, *, strict: bool = True
) -> tuple[list[float], list[float], list[float]]:
    local: list[float] = []
    federated: list[float] = []
    peer: list[float] = []
    with _common.http_client(a.url, timeout=120) as http:
        http.headers.update(officer)
        for n in range(rounds):
            dossier = dossiers[n % len(dossiers)]
            # Alternate which goes first, so neither always runs on a warmer cache.
            order = (False, True) if n % 2 else (True, False)
            for ask in order:
                params = None if ask else {"peers": "false"}
                started = time.perf_counter()
                r = http.get(f"/api/v1/dossiers/{dossier}/reuse", params=params)
                elapsed = (time.perf_counter() - started) * 1000
                if r.status_code != 200:
                    raise RuntimeError(f"the plan answered {r.status_code}: {r.text[:300]}")
                if ask:
                    [answer] = r.json()["remote"]
                    if not strict:
                        continue
                    if answer["status"] != "answered":
                        raise RuntimeError(f"the peer did not answer: {answer['message']}")
                    if len(answer["candidates"]) != 2:
                        raise RuntimeError(f"expected 2 remote candidates: {answer}")
                    federated.append(elapsed)
                    peer.append(answer["seconds"] * 1000)
                else:
                    local.append(elapsed)
    return local, federated, peer


def main() -> None:
    args = _common.parse_args(__doc__ or "")
    citizens = 5 if args.quick else 20
    rounds = 150 if args.quick else 600
    with (
        _common.work_dir("federated-reuse") as base,
        _common.seaweedfs(base) as s3,
        _common.fresh_database("bench_fed_a") as a_url,
        _common.fresh_database("bench_fed_b") as b_url,
    ):
        common = {
            "s3_endpoint": s3.endpoint,
            "s3_access_key": s3.access_key,
            "s3_secret_key": s3.secret_key,
        }
        suffix = uuid.uuid4().hex[:8]
        a = Province(
            name="tinh-a",
            label="tỉnh A",
            agency=A_AGENCY,
            prefix="000.00.15",
            database_url=a_url,
            bucket=_common.create_bucket(s3, f"fed-a-{suffix}"),
            **common,
        )
        b = Province(
            name="tinh-b",
            label="tỉnh B",
            agency=B_AGENCY,
            prefix="000.00.31",
            database_url=b_url,
            bucket=_common.create_bucket(s3, f"fed-b-{suffix}"),
            **common,
        )
        root = base / "signer.der"
        root.write_bytes(signer_certificate())
        verify = {"VAULT_VERIFY_TRUST_ROOTS": f'["{root}"]'}
        a_env = a.environment([b.as_peer()], {**verify, "VAULT_PEER_BUDGET_SECONDS": "5"})
        b_env = b.environment([a.as_peer()], verify)
        for name in ("a", "b"):
            (base / name).mkdir()
        log("starting the two vaults")
        with (
            vault_process(b, b_env, base / "b.log", base / "b"),
            vault_process(a, a_env, base / "a.log", base / "a"),
        ):
            officer, dossiers = _seed(a, b, citizens)
            log("warming up (token, verifiers, signature verdicts, connections)")
            for url in (a.url, b.url):
                # The verifiers start their worker processes on first use.
                warm = httpx.post(
                    url + "/api/v1/verifications",
                    files={"file": ("x.pdf", signed_pdf_bytes(), "application/pdf")},
                    timeout=300,
                )
                if warm.status_code != 200:
                    raise RuntimeError(f"warming the verifier answered {warm.status_code}")
            _measure(a, officer, dossiers, 3 * len(dossiers), strict=False)
            log(f"measuring {rounds} plans of each kind, interleaved")
            local, federated, peer = _measure(a, officer, dossiers, rounds)
    p99_local = percentile(local, 99)
    p99_fed = percentile(federated, 99)
    log(
        f"local plan:      p50 {percentile(local, 50):7.1f} ms  p99 {p99_local:7.1f} ms "
        f"({len(local)} plans)"
    )
    log(
        f"with one peer:   p50 {percentile(federated, 50):7.1f} ms  p99 {p99_fed:7.1f} ms "
        f"({len(federated)} plans)"
    )
    log(
        f"peer round trip as A timed it (look-up in a thread, beside the local plan): "
        f"p50 {percentile(peer, 50):7.1f} ms  p99 {percentile(peer, 99):7.1f} ms"
    )
    log(
        "the extra time of a plan with a peer is the peer's look-up (B's access rule, its "
        "catalogue, the owner's papers, recorded signature verdicts, its audit entry) less "
        "the local plan it overlaps with, plus A's provenance look-up and its own audit entry"
    )
    _common.print_result(
        "federated_reuse", p99_fed, "ms", p99_local, p99_fed / p99_local if p99_local else None
    )


if __name__ == "__main__":
    main()
