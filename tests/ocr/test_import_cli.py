"""`vault import`: files and folders with a progress line, and a watched folder that takes
what a scanner drops, moving refused files aside with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr.batches.model import BatchStatus
from ocr.batches.service import BatchService, SheetRequest
from tests.conftest import Backend
from tests.ocr.batch_support import blank_page, scanned_pdf, scanned_tiff, sheet_page, text_page
from tests.ocr.test_batch_import import DECISION, HUONG, owner, sheets
from tests.people import People
from tests.test_atomicity import settings_env
from tests.test_cli import vault_cli
from vault.runtime import Vault


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_import_files_and_watch_a_folder(
    backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    receiver = people.actor("receiver")
    huong = owner(vault, receiver, HUONG, "Nguyễn Thị Hương")
    first, second = sheets(
        vault, receiver, SheetRequest(huong, "procedure_result"), SheetRequest(huong)
    )
    env = settings_env(backend.settings)
    batch = tmp_path / "scan-001.pdf"
    batch.write_bytes(scanned_pdf([sheet_page(first), text_page(*DECISION), blank_page()]))
    result = vault_cli(["import", "--officer", "receiver", str(batch)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 pages, queued" in result.stderr
    assert "pages read: 3/3 done" in result.stderr  # not a terminal: plain progress lines
    assert "done, 3 pages, 1 parts for review, 0 damaged pages" in result.stderr
    again = vault_cli(["import", "--officer", "receiver", str(batch)], env, tmp_path)
    assert "already imported (done)" in again.stderr

    drop = tmp_path / "scanner"
    drop.mkdir()
    (drop / "b-002.tif").write_bytes(scanned_tiff([sheet_page(second), text_page("Trang 1")]))
    (drop / "broken.pdf").write_bytes(b"%PDF-1.7 this scanner crashed")
    watched = vault_cli(
        ["import", "--officer", "receiver", "--watch", str(drop), "--once", "--interval", "0.3"],
        env,
        tmp_path,
    )
    assert watched.returncode == 0, watched.stderr
    assert (drop / "imported" / "b-002.tif").exists()
    assert (drop / "refused" / "broken.pdf").exists()
    assert "cannot be opened" in (drop / "refused" / "broken.pdf.reason.txt").read_text()
    service = BatchService(vault.keyring, vault.documents)
    with vault.uows() as uow:
        batches = service.batches(uow, receiver)
        assert sorted(b.file_name for b in batches) == ["b-002.tif", "scan-001.pdf"]
        assert all(b.status is BatchStatus.DONE for b in batches)
        assert len(service.parts(uow, receiver)) == 2
