"""The SDK README's examples run as written, in order, against the live API set up as
`./scripts/run` sets up the development server (api.devseed, an OCR worker in the process),
with the files they name. The vault's verifier trusts the examples' root, as a production
vault trusts the national root CA."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image
from vault_client import VaultClient

from api import create_app
from api.devseed import dev_seed
from ocr.worker import start_background_worker
from signing.verify import TrustSettings, Verifier
from tests.factories import png_bytes
from tests.ocr.vault_support import text_page
from tests.sdk.conftest import SDK_SRC
from tests.sdk.pki import Pki
from tests.support.live import serve
from vault.runtime import Vault

README = SDK_SRC.parent / "README.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def scan_pdf() -> bytes:
    """What a scanner makes of a marriage certificate: one image page in a PDF."""
    page = Image.open(io.BytesIO(text_page(*MARRIAGE, heading="GIẤY CHỨNG NHẬN KẾT HÔN")))
    out = io.BytesIO()
    page.convert("L").save(out, "PDF", resolution=300)
    return out.getvalue()


MARRIAGE = ("Anh Trần Văn Nam và chị Nguyễn Thị Hương", "Số: 12/2015, quyển số 01")


@pytest.fixture
def pki() -> Pki:
    return Pki.make("Cán bộ Trả Kết Quả")


@pytest.fixture
def served(vault: Vault, pki: Pki) -> Iterator[str]:
    """The API with a verifier trusting `pki`'s root, and an OCR worker beside it."""
    app = create_app(vault=vault)
    root = x509.load_pem_x509_certificate(pki.root_pem).public_bytes(Encoding.DER)
    with Verifier(TrustSettings(roots=(root,))) as verifier:
        app.state.verifier = verifier
        worker = start_background_worker(vault)
        try:
            with serve(app) as url:
                yield url
        finally:
            worker.stop()


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_readme_examples_run_as_written(
    vault: Vault, served: str, pki: Pki, tmp_path: Path
) -> None:
    live = served
    with vault.uows() as uow:
        made = dev_seed(vault, uow)
        uow.commit()
    secret = made["client"]["client_secret"]
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
    scan = scan_pdf()
    (tmp_path / "scan.pdf").write_bytes(scan)

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

    pulled, checked, offline, fetched, scanned = outputs[:5]
    assert "attached Căn cước" in pulled or "attached" in pulled, pulled
    assert "ask the citizen for:" in pulled, pulled  # nothing on file for the parents' marriage
    assert checked.startswith("TOTAL_PASSED - "), checked
    assert "  Cán bộ Trả Kết Quả: TOTAL_PASSED, PKCS7-B, signed " in checked
    assert b"ValidationReport" in (tmp_path / "result-report.xml").read_bytes()
    assert offline.startswith("passed - "), offline
    assert "Trích lục khai sinh 2025-01-10 -> TOTAL_PASSED passed" in fetched
    assert "stored " in scanned and f"100% of {len(scan)} bytes" in scanned
    assert "OCR: done" in scanned, scanned
    assert "found Giấy chứng nhận kết hôn (bản số hóa)" in scanned, scanned
    assert (tmp_path / "scan-searchable.pdf").read_bytes().startswith(b"%PDF-")
    assert list(tmp_path.glob("dossier-000.00.15.H57-*/chip_id_card.png"))
