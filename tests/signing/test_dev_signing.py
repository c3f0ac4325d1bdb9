"""The embedded default's signing, as `./scripts/run` starts it: `vault signing-serve` (its
own process, development PKI + a fresh SoftHSM2 token) and `vault serve --dev-signing`,
which waits for it and signs through it with the demo officers' credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from signing.issuing.devenv import DevSigningUnavailable, wait_for_dev_service
from tests.factories import pdf_bytes, png_bytes
from tests.support.live import free_port

VAULT = str(Path(sys.prefix, "bin", "vault"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    return {
        **env,
        "VAULT_DATABASE_URL": f"sqlite:///{tmp_path}/var/vault.db",
        "VAULT_STORAGE_PATH": str(tmp_path / "var/objects"),
        "VAULT_OCR_WORKER_EMBEDDED": "false",
    }


@pytest.fixture(scope="module")
def dev_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("devrun")
    env = _env(tmp_path)
    signing_port, pki_port, api_port = free_port(), free_port(), free_port()
    signer_env = {
        **env,
        "VAULT_SIGNING_PORT": str(signing_port),
        "VAULT_SIGNING_DEV_PKI_PORT": str(pki_port),
        "VAULT_SIGNING_DEV_DIR": str(tmp_path / "var/signing"),
        "VAULT_SIGNING_SIGNATURE_LOG": str(tmp_path / "var/signatures.jsonl"),
        "VAULT_SIGNING_STATE_FILE": str(tmp_path / "var/credential-state.json"),
    }
    for args in (["migrate"], ["dev-seed"]):
        done = subprocess.run([VAULT, *args], cwd=tmp_path, env=env, capture_output=True)
        assert done.returncode == 0, done.stderr
    processes = []
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        processes.append(
            subprocess.Popen(
                [VAULT, "signing-serve"],
                cwd=tmp_path,
                env=signer_env,
                stdout=(logs / "signer.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        serve = [
            VAULT,
            "serve",
            "--port",
            str(api_port),
            "--dev-signing",
            str(tmp_path / "var/signing/dev-credentials.json"),
            "--dev-signing-url",
            f"http://127.0.0.1:{signing_port}",
        ]
        processes.append(
            subprocess.Popen(
                serve,
                cwd=tmp_path,
                env=env,
                stdout=(logs / "api.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        base = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 150
        while True:
            for p in processes:
                if p.poll() is not None:
                    raise AssertionError(
                        "a process exited:\n"
                        + (logs / "signer.log").read_text(errors="replace")[-3000:]
                        + (logs / "api.log").read_text(errors="replace")[-3000:]
                    )
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (logs / "api.log").read_text(errors="replace")
            time.sleep(0.3)
        yield base
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _login(client: httpx.Client, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": "demo-password"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_demo_officers_sign_and_certify_through_the_development_service(
    dev_vault: str,
) -> None:
    with httpx.Client(base_url=dev_vault, timeout=120) as client:
        issuer = _login(client, "trakq")
        owner = client.post(
            "/api/v1/owners/lookup", headers=issuer, json={"identifier": "079203001234"}
        ).json()
        draft = client.post(
            f"/api/v1/owners/{owner['id']}/documents",
            headers=issuer,
            data={"paper_type": "procedure_result", "title": "Kết quả", "origin": "issued_result"},
            files={"file": ("ket-qua.pdf", pdf_bytes(1), "application/pdf")},
        )
        assert draft.status_code == 201, draft.text
        signed = client.post(
            f"/api/v1/documents/{draft.json()['id']}/sign", headers=issuer, json={"pin": "222222"}
        )
        assert signed.status_code == 201, signed.text
        assert signed.json()["has_signature"] is True

        certifier = _login(client, "chungthuc")
        # Three in a row: the office seal signs unattended with its PIN (no one-time password
        # whose 30-second steps would hold the office back).
        numbers = []
        for _ in range(3):
            copy = client.post(
                f"/api/v1/owners/{owner['id']}/certified-copies",
                headers=certifier,
                data={
                    "paper_type": "birth_certificate",
                    "pin": "111111",
                    "title": "Giấy khai sinh",
                    "book": "01/2026-SCT/BS",
                },
                files=[("pages", ("trang-1.png", png_bytes(800, 1100), "image/png"))],
            )
            assert copy.status_code == 201, copy.text
            numbers.append(copy.json()["certification"]["number_text"])
        assert numbers == ["1/ĐT", "2/ĐT", "3/ĐT"]
        # The default verifier trusts the development root that the service just issued.
        report = client.get(
            f"/api/v1/documents/{copy.json()['document']['id']}/verification", headers=certifier
        )
        assert report.status_code == 200, report.text
        assert report.json()["bottom_line"] == "TOTAL_PASSED"


def test_waiting_for_a_service_that_never_comes_says_so(tmp_path: Path) -> None:
    manifest = tmp_path / "dev-credentials.json"
    with pytest.raises(DevSigningUnavailable, match="did not start"):
        wait_for_dev_service(manifest, f"http://127.0.0.1:{free_port()}", timeout=0.5)
    with pytest.raises(ValueError, match="http"):
        wait_for_dev_service(manifest, "file:///etc/passwd", timeout=0.5)


def test_the_demo_citizen_has_papers_to_reuse_and_one_to_refuse(dev_vault: str) -> None:
    with httpx.Client(base_url=dev_vault, timeout=60) as client:
        receiver = _login(client, "tiepnhan")
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
        owner = client.post(
            "/api/v1/owners/lookup", headers=receiver, json={"identifier": "079203001234"}
        ).json()
        dossier = client.post(
            "/api/v1/dossiers",
            headers=receiver,
            json={
                "dossier_code": f"000.00.15.H57-{today:%y%m%d}-0042",
                "procedure_code": "1.001193",
                "owner_id": owner["id"],
            },
        )
        assert dossier.status_code in (200, 201), dossier.text
        plan = client.get(f"/api/v1/dossiers/{dossier.json()['id']}/reuse", headers=receiver)
        assert plan.status_code == 200, plan.text
        by_type = {p["paper_type"]: p for p in plan.json()["needed"]}
        assert by_type["marriage_certificate"]["candidates"] == []  # to scan at the counter
        cards = by_type["chip_id_card"]["candidates"]
        assert sorted(c["usable"] for c in cards) == [False, True]
        [refused] = [c for c in cards if not c["usable"]]
        assert any("expired" in reason for reason in refused["reasons"])


def test_the_demo_seal_needs_no_one_time_password(tmp_path: Path) -> None:
    from api.devseed import DEV_SEALS, DEV_SIGNING_OFFICERS
    from signing.csc_server.assembly import DEV_CREDENTIALS
    from signing.issuing.devenv import dev_signer_settings

    credentials = {
        c.id: {"pin": c.pin, "otp_secret_base32": "JBSWY3DPEHPK3PXP" if c.otp_secret else None}
        for c in DEV_CREDENTIALS
    }
    manifest = tmp_path / "dev-credentials.json"
    manifest.write_text(
        json.dumps(
            {
                "client": {"token": "t"},
                "tsa_url": "http://127.0.0.1:1/tsa",
                "root_certificate": str(tmp_path / "root.pem"),
                "credentials": credentials,
            }
        )
    )
    settings = dev_signer_settings(
        manifest,
        service_url="http://127.0.0.1:1",
        officers=DEV_SIGNING_OFFICERS,
        seals=DEV_SEALS,
        public_base_url="http://127.0.0.1:8000",
    )
    [seal] = settings.seals.values()
    assert seal.otp_secret is None and seal.pin.get_secret_value() == "333333"
