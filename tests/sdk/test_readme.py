"""The READMEs' examples run as written, twice in a row, against the vault as `./scripts/run`
sets it up: `vault migrate`, `vault dev-seed`, `vault signing-serve` (development PKI and a
SoftHSM2 token) and `vault serve --dev-signing` (with its OCR worker), each a real process,
in a folder laid out like the repository (`var/`, `.venv`).

Run in order, from that folder: the main README's first session (its `curl` blocks: a
dossier, reuse, a scan, a signed result, `vault trust-roots`), then the SDK README's setting
block and every Python example. The only change made to them: the server listens on a free
port instead of 8000 (other test runs share the machine), so `localhost:8000` and
`127.0.0.1:8000` are rewritten to it. The files the READMEs say are the reader's own
(`scan.pdf`, `result-draft.pdf`) are put in the folder.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.factories import pdf_bytes
from tests.ocr.vault_support import text_page
from tests.sdk.conftest import SDK_SRC
from tests.support.live import free_port

REPO = SDK_SRC.parents[1]
MAIN_README = REPO / "README.md"
SDK_README = SDK_SRC.parent / "README.md"
VAULT = str(Path(sys.prefix, "bin", "vault"))
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
MARRIAGE = ("Anh Trần Văn Nam và chị Nguyễn Thị Hương", "Số: 12/2015, quyển số 01")


def scan_pdf() -> bytes:
    """What a scanner makes of a marriage certificate: one image page in a PDF."""
    page = Image.open(io.BytesIO(text_page(*MARRIAGE, heading="GIẤY CHỨNG NHẬN KẾT HÔN")))
    out = io.BytesIO()
    page.convert("L").save(out, "PDF", resolution=300)
    return out.getvalue()


def blocks(readme: Path, language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(readme.read_text()) if lang == language]


@dataclass(frozen=True)
class DevRun:
    folder: Path
    port: int
    env: dict[str, str]  # what a developer's shell has: no VAULT_* or CITIZEN_VAULT_* set


def _wait_until_up(base: str, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 180
    while True:
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(
                    "a process exited:\n"
                    + "\n".join(p.read_text(errors="replace")[-3000:] for p in logs.iterdir())
                )
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, (logs / "api.log").read_text(errors="replace")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def dev_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevRun]:
    folder = tmp_path_factory.mktemp("repository")
    (folder / ".venv").symlink_to(sys.prefix)
    (folder / "scan.pdf").write_bytes(scan_pdf())
    (folder / "result-draft.pdf").write_bytes(pdf_bytes(1))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VAULT_", "CITIZEN_VAULT_", "PYTHON"))
    }
    # A shell with the virtualenv active, and the SDK from this repository importable as
    # `pip install ./client_sdk` would make it.
    env["PATH"] = f"{Path(sys.prefix, 'bin')}:{env.get('PATH', '/usr/bin:/bin')}"
    env["PYTHONPATH"] = str(SDK_SRC)
    # The ports: ./scripts/run's defaults (8010, 8011, 8000) may be taken by other runs.
    port, signing_port, pki_port = free_port(), free_port(), free_port()
    signer_env = {
        **env,
        "VAULT_SIGNING_PORT": str(signing_port),
        "VAULT_SIGNING_DEV_PKI_PORT": str(pki_port),
    }
    mkdir = subprocess.run(["mkdir", "-p", "var"], cwd=folder, check=True)
    assert mkdir.returncode == 0
    migrated = subprocess.run([VAULT, "migrate"], cwd=folder, env=env, capture_output=True)
    assert migrated.returncode == 0, migrated.stderr
    seeded = subprocess.run(
        [VAULT, "dev-seed"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr
    # The run says where the demo system's secret is kept, and keeps it for the owner only.
    assert "demo-system client's id and secret are in var/dev-client.env" in seeded.stdout
    assert (folder / "var/dev-client.env").stat().st_mode & 0o777 == 0o600
    again = subprocess.run([VAULT, "dev-seed"], cwd=folder, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "var/dev-client.env" in again.stdout, again.stderr
    assert "warning" not in again.stderr  # the kept secret is still the vault's

    logs = folder / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with (logs / "signer.log").open("wb") as signer_log:
            processes.append(
                subprocess.Popen(
                    [VAULT, "signing-serve"],
                    cwd=folder,
                    env=signer_env,
                    stdout=signer_log,
                    stderr=subprocess.STDOUT,
                )
            )
        serve = [
            *(VAULT, "serve", "--port", str(port)),
            *("--dev-signing", "var/signing/dev-credentials.json"),
            *("--dev-signing-url", f"http://127.0.0.1:{signing_port}"),
        ]
        with (logs / "api.log").open("wb") as api_log:
            processes.append(
                subprocess.Popen(
                    serve, cwd=folder, env=env, stdout=api_log, stderr=subprocess.STDOUT
                )
            )
        _wait_until_up(f"http://127.0.0.1:{port}", processes, logs)
        yield DevRun(folder, port, env)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _on_port(code: str, port: int) -> str:
    return code.replace("localhost:8000", f"127.0.0.1:{port}").replace(
        "127.0.0.1:8000", f"127.0.0.1:{port}"
    )


def _bash(script: str, run: DevRun, what: str) -> str:
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=run.folder,
        env=run.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{what} failed:\n{script}\n{done.stdout}{done.stderr}"
    return done.stdout


def _run_every_example(run: DevRun) -> dict[str, str]:
    shell = [b for b in blocks(MAIN_README, "sh") if "curl " in b]
    assert len(shell) == 2, "the first session and the signed result"
    out: dict[str, str] = {}
    for number, code in enumerate(shell, 1):
        out[f"session {number}"] = _bash(_on_port(code, run.port), run, f"session block {number}")

    (settings,) = [b for b in blocks(SDK_README, "sh") if "export CITIZEN_VAULT_" in b]
    python = blocks(SDK_README, "python")
    assert len(python) >= 8
    for number, code in enumerate(python, 1):
        script = run.folder / f"example_{number}.py"
        script.write_text(code)
        out[f"example {number}"] = _bash(
            _on_port(settings, run.port) + f'\nexec python3 "{script.name}"\n',
            run,
            f"SDK README example {number}:\n{code}",
        )
    return out


def test_the_readme_examples_run_as_written_twice(dev_run: DevRun) -> None:
    first = _run_every_example(dev_run)
    second = _run_every_example(dev_run)

    for out in (first, second):
        # The first session: the reuse plan, with refusals apart from notes; the signed
        # result verified by the vault with no sign-in.
        session, signed = out["session 1"], out["session 2"]
        assert '"refusals":' in session and '"notes":' in session, session
        assert '"reused":1' in session and '"from_warehouse":true' in session, session
        assert signed.startswith("TOTAL_PASSED - "), signed
        assert b"BEGIN CERTIFICATE" in (dev_run.folder / "trust-roots.pem").read_bytes()

        pulled, checked, offline, fetched, scanned = (out[f"example {n}"] for n in range(1, 6))
        # The session recorded today's dossier: the SDK finds it, and says so.
        assert re.match(r"000\.00\.15\.H57-\d{6}-0001 already recorded\n", pulled), pulled
        assert re.search(r"attached .+: \d+ bytes, verified: True", pulled), pulled
        # Only refusals are given as a reason to ask the citizen, never a note.
        assert "no digital signature" not in pulled and "signature valid" not in pulled
        assert checked.startswith("TOTAL_PASSED - "), checked
        assert "  Trần Thị Bình: TOTAL_PASSED, PAdES-BASELINE-LT, signed " in checked, checked
        assert b"ValidationReport" in (dev_run.folder / "result-report.xml").read_bytes()
        # In Vietnamese, and the result the file is: byte for byte the one the vault issued.
        assert "\nTất cả chữ ký số đều hợp lệ" in checked, checked
        assert "Tệp trùng khớp từng byte với bản được lưu trong kho." in checked, checked
        assert offline.startswith("passed - "), offline
        assert "Trích lục khai sinh None -> TOTAL_PASSED passed" in fetched, fetched
        assert "already recorded: True" in scanned, scanned
        assert "stored " in scanned and "100% of " in scanned, scanned
        assert "OCR: done" in scanned, scanned
        assert "found Giấy chứng nhận kết hôn (bản số hóa)" in scanned, scanned
        assert (dev_run.folder / "scan-searchable.pdf").read_bytes().startswith(b"%PDF-")
        assert list(dev_run.folder.glob("dossier-000.00.15.H57-*/chip_id_card.png"))
        # The citizen's own copy, verified offline with the vault's seal.
        assert "export: passed" in out["example 6"], out["example 6"]
        assert "404 " in out["example 9"], out["example 9"]  # the Errors example
        # The feed to the national portal, read and replayed by the administrator.
        assert "replayed:" in out["example 11"], out["example 11"]
        accounts = out["example 12"]  # signing out, sign-in events, administration
        assert "throttle: " in accounts, accounts
        assert "username='kiemtra' active=False\nusername='kiemtra' active=True\n" in accounts
        assert "signed in again as Cán bộ Tiếp Nhận\n" in accounts, accounts
        assert accounts.endswith("401 invalid_client - unknown client or wrong secret\n")
        # Batch import: the scan has no separator sheet, so the officer names the owner.
        assert "scan.pdf: done, 1 pages, 1 parts, 0 damaged" in out["example 13"]
    # Filed once: the same file again is the same batch, with nothing left to review.
    assert "filed as " in first["example 13"], first["example 13"]
    assert "filed as " not in second["example 13"], second["example 13"]
