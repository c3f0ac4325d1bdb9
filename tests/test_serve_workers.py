"""`vault serve --workers 2`: two real API processes on PostgreSQL + S3, one port, one state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from tests.conftest import empty_database, new_bucket
from tests.people import People
from tests.support.live import free_port
from tests.support.s3server import S3Server
from vault.runtime import Vault
from vault.settings import Environment, Settings


@pytest.fixture
def shared_settings(pg_url: str, s3_server: S3Server) -> Iterator[Settings]:
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    yield Settings(
        env=Environment.TEST,
        database_url=pg_url,
        storage_backend="s3",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=new_bucket(s3_server),
        token_signing_keys={"shared-1": SecretStr(pem)},
        active_token_key_id="shared-1",
        rate_limit_per_minute=30,  # bursts of 3, then one every 2 s
    )
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


def test_two_processes_serve_one_port_and_share_the_rate_limit(
    shared_settings: Settings, tmp_path: Path
) -> None:
    vault = Vault.from_settings(shared_settings)
    people = People.make(vault)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port", str(port)],
        env=_environment(shared_settings),
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
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "vault serve --workers 2 did not start"
            time.sleep(0.3)
        # Two API processes under uvicorn's supervisor (besides any helper process).
        deadline = time.monotonic() + 60
        while len(workers := _api_processes(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(workers) == 2, workers

        # One client, many connections (each lands on either process): the limit is one.
        codes: list[int] = []
        started = time.monotonic()
        for _ in range(12):
            with httpx.Client(base_url=base, headers=people.auth("clerk")) as http:
                codes.append(http.get("/api/v1/me").status_code)
        refills = int((time.monotonic() - started) / 2) + 1
        assert set(codes) <= {200, 429}, codes
        assert 3 <= codes.count(200) <= 3 + refills, (codes, refills)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        vault.close()
    lines = (tmp_path / "serve.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(r.get("request_id") for r in records), lines[-20:]


def _api_processes(pid: int) -> list[int]:
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):  # not the resource tracker
                found.append(child.pid)
        except psutil.NoSuchProcess:
            continue
    return found
