"""`vault serve --workers 2`: two real API processes on PostgreSQL + S3, one port, one state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from tests.conftest import empty_database, new_bucket
from tests.factories import CITIZEN_ID, DEFAULT_FIELDS, png_bytes
from tests.ocr.vault_support import text_page
from tests.people import AGENCY, People
from tests.support.live import free_port
from tests.support.s3server import S3Server
from tests.support.signing_process import signing_service_process
from vault.audit import verify_chain
from vault.jobs import JobStatus
from vault.runtime import Vault
from vault.settings import Environment, Settings


def _shared(pg_url: str, s3_server: S3Server, rate_limit_per_minute: int) -> Settings:
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return Settings(
        env=Environment.TEST,
        database_url=pg_url,
        storage_backend="s3",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=new_bucket(s3_server),
        token_signing_keys={"shared-1": SecretStr(pem)},
        active_token_key_id="shared-1",
        rate_limit_per_minute=rate_limit_per_minute,
    )


@pytest.fixture
def shared_settings(pg_url: str, s3_server: S3Server) -> Iterator[Settings]:
    yield _shared(pg_url, s3_server, 30)  # bursts of 3, then one every 2 s
    empty_database(pg_url)


@pytest.fixture
def unlimited_settings(pg_url: str, s3_server: S3Server) -> Iterator[Settings]:
    yield _shared(pg_url, s3_server, 10**6)
    empty_database(pg_url)


def _environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env.update(
        VAULT_ENV="test",
        VAULT_DATABASE_URL=settings.database_url,
        VAULT_STORAGE_BACKEND="s3",
        VAULT_S3_ENDPOINT=settings.s3_endpoint or "",
        VAULT_S3_ACCESS_KEY=settings.s3_access_key or "",
        VAULT_S3_SECRET_KEY=settings.s3_secret_key.get_secret_value(),
        VAULT_S3_BUCKET=settings.s3_bucket,
        VAULT_TOKEN_SIGNING_KEYS=json.dumps(
            {k: v.get_secret_value() for k, v in settings.token_signing_keys.items()}
        ),
        VAULT_ACTIVE_TOKEN_KEY_ID=settings.active_token_key_id or "",
        VAULT_RATE_LIMIT_PER_MINUTE=str(settings.rate_limit_per_minute),
        VAULT_LOG_FORMAT="json",
    )
    return env


@contextmanager
def api_processes(
    settings: Settings, log_path: Path, workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`vault serve --workers N` on a free port; yields its base URL once it answers."""
    port = free_port()
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--workers",
                str(workers),
                "--port",
                str(port),
            ],
            env=env or _environment(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 300  # interpreters start slowly on a loaded machine
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "vault serve did not start"
                time.sleep(0.3)
            deadline = time.monotonic() + 60
            while len(_api_processes(server.pid)) < workers and time.monotonic() < deadline:
                time.sleep(0.3)
            assert len(_api_processes(server.pid)) == workers, log_path.read_text()[-2000:]
            yield base
        finally:
            _stop(server)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def test_two_processes_serve_one_port_and_share_the_rate_limit(
    shared_settings: Settings, tmp_path: Path
) -> None:
    vault = Vault.from_settings(shared_settings)
    people = People.make(vault)
    env = _environment(shared_settings)
    env["VAULT_METRICS_TOKEN"] = "metrics-token-for-the-test"
    scraped: list[float] = []
    try:
        with api_processes(shared_settings, tmp_path / "serve.log", env=env) as base:
            # One client, many connections (each lands on either process): the limit is one.
            codes: list[int] = []
            started = time.monotonic()
            for _ in range(12):
                with httpx.Client(base_url=base, headers=people.auth("clerk")) as http:
                    codes.append(http.get("/api/v1/me").status_code)
            refills = int((time.monotonic() - started) / 2) + 1
            # Whichever process answers the scrape reports what both have served.
            for _ in range(6):
                auth = {"Authorization": "Bearer metrics-token-for-the-test"}
                with httpx.Client(base_url=base, headers=auth) as http:
                    answer = http.get("/metrics")
                assert answer.status_code == 200, answer.text
                scraped.append(_requests_counted(answer.text, "/api/v1/me"))
    finally:
        vault.close()
    assert scraped == [12.0] * 6, scraped
    assert set(codes) <= {200, 429}, codes
    assert 3 <= codes.count(200) <= 3 + refills, (codes, refills)
    lines = (tmp_path / "serve.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(r.get("request_id") for r in records), lines[-20:]


def test_two_api_processes_and_two_workers_lose_nothing_and_do_nothing_twice(
    unlimited_settings: Settings, tmp_path: Path
) -> None:
    """Concurrent uploads, each retried with its Idempotency-Key, through two API processes,
    read by two job workers: one document per key, one OCR job per document run once, one
    audit entry per upload and per OCR, and the audit chain whole."""
    vault = Vault.from_settings(unlimited_settings)
    people = People.make(vault)
    env = _environment(unlimited_settings)
    env["VAULT_OCR_POLL_SECONDS"] = "0.2"
    env["VAULT_METRICS_TOKEN"] = "worker-metrics-token"
    metrics_ports = [free_port(), free_port()]
    workers = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "api.cli", "worker", "--kinds", "ocr"),
                *("--metrics-port", str(metrics_ports[i])),
            ],
            env=env,
            stdout=(tmp_path / f"worker-{i}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]
    uploads = 12
    try:
        with api_processes(unlimited_settings, tmp_path / "serve.log") as base:
            with httpx.Client(base_url=base, headers=people.auth("clerk"), timeout=60) as http:
                owner = http.post(
                    "/api/v1/owners",
                    json={
                        "kind": "citizen",
                        "identifier": CITIZEN_ID,
                        "display_name": "Lê Văn Tám",
                    },
                )
                assert owner.status_code == 201, owner.text
            owner_id = owner.json()["id"]

            def upload_twice(i: int) -> tuple[str, str]:
                page = text_page(f"GIẤY XÁC NHẬN SỐ {i:03d}", "Nội dung kiểm thử nhiều tiến trình")
                answers = []
                # Separate connections: the retry may land on the other process.
                for _ in range(2):
                    with httpx.Client(
                        base_url=base, headers=people.auth("clerk"), timeout=120
                    ) as http:
                        answer = http.post(
                            f"/api/v1/owners/{owner_id}/documents",
                            data={**DEFAULT_FIELDS, "title": f"Giấy xác nhận {i}"},
                            files={"file": (f"scan-{i}.png", page, "image/png")},
                            headers={"Idempotency-Key": f"multi-process-{i:03d}"},
                        )
                    assert answer.status_code in (200, 201), answer.text
                    answers.append(answer.json()["id"])
                return answers[0], answers[1]

            with ThreadPoolExecutor(max_workers=6) as pool:
                pairs = list(pool.map(upload_twice, range(uploads)))

        ids = {uuid.UUID(first) for first, _ in pairs}
        assert all(first == again for first, again in pairs), pairs  # a retry replays
        assert len(ids) == uploads

        deadline = time.monotonic() + 600
        while True:
            with vault.uows() as uow:
                jobs = {d: uow.jobs.for_document(d) for d in ids}
            if all(j and j[0].status is JobStatus.DONE for j in jobs.values()):
                break
            failed = [j for js in jobs.values() for j in js if j.status is JobStatus.FAILED]
            assert not failed, failed
            assert all(w.poll() is None for w in workers), "a worker died"
            assert time.monotonic() < deadline, "the workers did not finish the OCR jobs"
            time.sleep(1)
        # Each worker serves the pages it read on its own metrics port, behind the token.
        pages_read = []
        for port in metrics_ports:
            url = f"http://127.0.0.1:{port}/metrics"
            assert httpx.get(url).status_code == 401
            answer = httpx.get(url, headers={"Authorization": "Bearer worker-metrics-token"})
            assert answer.status_code == 200, answer.text
            pages_read.append(_sample(answer.text, "vault_ocr_pages_total"))
        assert sum(pages_read) == uploads, pages_read  # one page per upload
    finally:
        for worker in workers:
            _stop(worker)

    try:
        # One job per document, run once: no job was claimed by both workers.
        assert all(len(j) == 1 and j[0].attempts == 1 for j in jobs.values()), jobs
        with vault.uows() as uow:
            entries = list(uow.audit.iter_all())
        actions = [e.action for e in entries if e.document_id in ids]
        assert actions.count("document.upload") == uploads
        assert actions.count("document.ocr") == uploads
        report = verify_chain(vault.uows)
        assert report.ok, report
        assert report.entries == len(entries)
        # Both workers took jobs (each logs what it took when it stops).
        took = [(tmp_path / f"worker-{i}.log").read_text(errors="replace") for i in range(2)]
        assert all("job" in t for t in took), took
    finally:
        vault.close()


def test_certification_numbers_stay_gapless_across_two_api_processes(
    unlimited_settings: Settings, tmp_path: Path
) -> None:
    """Certified copies made at once through two API processes, signed by the signing
    service in a third, each request sent twice with its Idempotency-Key on separate
    connections: every copy gets one number, the book has no gap and no repeat, and a
    retry gets the first answer back."""
    vault = Vault.from_settings(unlimited_settings)
    people = People.make(vault)
    copies = 8
    seal = "h57-seal-server"  # PIN only, as a busy office's seal: not one signature per OTP step
    with signing_service_process(tmp_path / "signing") as service:
        env_settings = _environment(unlimited_settings)
        env_settings.update(
            VAULT_SIGNER_SERVICE_URL=service.url,
            VAULT_SIGNER_CLIENT_TOKEN=service.client_token,
            VAULT_SIGNER_TSA_URL=service.tsa_url,
            VAULT_SIGNER_TRUST_ROOTS=json.dumps([str(service.root)]),
            VAULT_SIGNER_OFFICERS=json.dumps({"certifier": "h57-officer-an"}),
            VAULT_SIGNER_SEALS=json.dumps(
                {AGENCY: {"credential_id": seal, "pin": service.pin(seal)}}
            ),
            VAULT_SIGNER_PUBLIC_BASE_URL="https://vault.example.gov.vn",
            VAULT_SIGNER_TIMEOUT_SECONDS="120",
        )
        try:
            with api_processes(
                unlimited_settings, tmp_path / "serve.log", env=env_settings
            ) as base:
                with httpx.Client(base_url=base, headers=people.auth("clerk"), timeout=60) as http:
                    owner = http.post(
                        "/api/v1/owners",
                        json={
                            "kind": "citizen",
                            "identifier": CITIZEN_ID,
                            "display_name": "Lê Văn Tám",
                        },
                    )
                    assert owner.status_code == 201, owner.text
                owner_id = owner.json()["id"]
                pin = service.pin("h57-officer-an")

                def certify_twice(i: int) -> list[tuple[int, str, str | None]]:
                    answers = []
                    for _ in range(2):  # the retry may land on the other process
                        with httpx.Client(
                            base_url=base, headers=people.auth("certifier"), timeout=300
                        ) as http:
                            r = http.post(
                                f"/api/v1/owners/{owner_id}/certified-copies",
                                data={
                                    "paper_type": "marital_status_certificate",
                                    "title": f"Giấy xác nhận {i}",
                                    "book": "01/2026/SCT/BS",
                                    "pin": pin,
                                },
                                files=[("pages", (f"trang-{i}.png", png_bytes(), "image/png"))],
                                headers={"Idempotency-Key": f"certify-{i:03d}"},
                            )
                        assert r.status_code in (200, 201), r.text
                        body = r.json()
                        answers.append(
                            (
                                body["certification"]["number"],
                                body["document"]["id"],
                                r.headers.get("Idempotent-Replayed"),
                            )
                        )
                    return answers

                with ThreadPoolExecutor(max_workers=4) as pool:
                    results = list(pool.map(certify_twice, range(copies)))
        finally:
            vault.close()

    numbers = sorted(first[0] for first, _ in results)
    assert numbers == list(range(1, copies + 1)), numbers  # no gap, no repeat
    for first, again in results:
        assert again[:2] == first[:2] and again[2] == "true", (first, again)
    # One audit entry per copy (a replayed retry issues nothing), and the chain is whole.
    check = Vault.from_settings(unlimited_settings)
    try:
        with check.uows() as uow:
            actions = [e.action for e in uow.audit.iter_all()]
        report = verify_chain(check.uows)
    finally:
        check.close()
    assert actions.count("certified_copy.issue") == copies, actions
    assert report.ok and report.entries == len(actions), report


def _requests_counted(exposition: str, route: str) -> float:
    """The requests of `route` (every status) in a Prometheus text exposition."""
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        if family.name != "vault_http_request_duration_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_count") and sample.labels.get("route") == route:
                total += sample.value
    return total


def _sample(exposition: str, name: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name
    )


def _api_processes(pid: int) -> list[int]:
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):  # not the resource tracker
                found.append(child.pid)
        except psutil.NoSuchProcess:
            continue
    return found
