"""The SDK README's examples run as written, in order, against the live API set up as
`./scripts/run` sets up the development server (api.devseed), with the files they name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from vault_client import VaultClient

from api.devseed import dev_seed
from tests.factories import padded_pdf, png_bytes
from tests.sdk.conftest import SDK_SRC
from tests.sdk.pki import Pki
from vault.runtime import Vault

README = SDK_SRC.parent / "README.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_readme_examples_run_as_written(vault: Vault, live: str, tmp_path: Path) -> None:
    with vault.uows() as uow:
        made = dev_seed(vault, uow)
        uow.commit()
    secret = made["client"]["client_secret"]
    pki = Pki.make("Cán bộ Trả Kết Quả")
    signed = pki.sign()
    # What the examples expect on file: an ID card the agency issued earlier, and a signed
    # result; and on disk: the result as a citizen would send it, the roots, a scan.
    with VaultClient(
        live, client_id="demo-system", client_secret=secret, officer="trakq"
    ) as issuer:
        citizen = issuer.owners.lookup("079203001234")
        issuer.documents.upload(
            citizen,
            png_bytes(),
            paper_type="chip_id_card",
            title="Căn cước",
            origin="issued_result",
            issue_date=date(2021, 5, 1),
        )
        issuer.documents.upload(
            citizen,
            signed,
            paper_type="procedure_result",
            title="Trích lục khai sinh",
            origin="issued_result",
            issue_date=date(2025, 1, 10),
        )
    (tmp_path / "result.pdf").write_bytes(signed)
    (tmp_path / "trust-roots.pem").write_bytes(pki.root_pem)
    (tmp_path / "scan.pdf").write_bytes(padded_pdf(300_000))

    env = {
        "PATH": os.environ.get("PATH", ""),
        "CITIZEN_VAULT_BASE_URL": live,
        "CITIZEN_VAULT_CLIENT_ID": "demo-system",
        "CITIZEN_VAULT_CLIENT_SECRET": secret,
        "CITIZEN_VAULT_OFFICER": "tiepnhan",
        "PYTHONPATH": str(SDK_SRC),  # harmless once the SDK is installed
    }
    blocks = PYTHON_BLOCK.findall(README.read_text())
    assert len(blocks) >= 8
    outputs = []
    for number, code in enumerate(blocks, 1):
        script = tmp_path / f"example_{number}.py"
        script.write_text(code)
        run = subprocess.run(
            [sys.executable, script.name],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, f"example {number} failed:\n{code}\n{run.stdout}{run.stderr}"
        outputs.append(run.stdout)

    pulled, offline, fetched, scanned = outputs[:4]
    assert "attached Căn cước" in pulled or "attached" in pulled, pulled
    assert "ask the citizen for:" in pulled  # nothing on file for the parents' marriage
    assert offline.startswith("passed - "), offline
    assert "Trích lục khai sinh 2025-01-10 -> passed" in fetched
    assert "stored " in scanned and "100% of 300000 bytes" in scanned
    assert list(tmp_path.glob("dossier-000.00.15.H57-*/chip_id_card.png"))
