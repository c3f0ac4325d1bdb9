"""The remote signing service (`python -m api.csc`: CSC API, development PKI on loopback, keys
in SoftHSM2) as a process of its own, for tests that run the vault as separate processes.

SoftHSM takes one token configuration per process, and tests/signing's `runtime` may already
hold one in the test's own process: a service for other processes must live in its own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.live import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


class SigningProcess:
    def __init__(self, url: str, manifest: dict[str, Any]) -> None:
        self.url = url
        self.manifest = manifest
        self.tsa_url: str = manifest["tsa_url"]
        self.root = Path(manifest["root_certificate"])
        self.client_token: str = manifest["client"]["token"]
        seal = manifest["credentials"]["h57-seal"]
        self.seal_pin: str = seal["pin"]
        self.seal_otp_base32: str = seal["otp_secret_base32"]

    def pin(self, credential_id: str) -> str:
        return str(self.manifest["credentials"][credential_id]["pin"])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the signing service exited:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the signing service did not start:\n{log.read_text(errors='replace')}")


@contextmanager
def signing_service_process(base: Path) -> Iterator[SigningProcess]:
    """Starts the service with its files under `base`; yields it once it answers."""
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "SOFTHSM2_"))}
    env.update(
        VAULT_SIGNING_DEV_DIR=str(base / "dev"),
        VAULT_SIGNING_DEV_PKI_PORT="0",
        VAULT_SIGNING_SIGNATURE_LOG=str(base / "signatures.jsonl"),
        VAULT_SIGNING_STATE_FILE=str(base / "credential-state.json"),
        VAULT_SIGNING_FAILURE_DELAY_SECONDS="0",
    )
    log = base / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.csc", "--port", str(port), "--log-level", "warning"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # The manifest is written before uvicorn binds: the port answering means both.
        _wait_for_port(port, process, log, limit=120)
        manifest = json.loads((base / "dev" / "dev-credentials.json").read_text("utf-8"))
        yield SigningProcess(f"http://127.0.0.1:{port}", manifest)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
