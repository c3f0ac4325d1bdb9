"""Batch import throughput: pages per minute through `vault import`'s job on every core, vs
the bare `tesseract` CLI over the same pages with as many processes.

value    = pages per minute through the import: a scanned PDF batch (A4 at 300 dpi, one JPEG
           per page, a separator sheet before every paper of one to three pages, a blank page
           now and then) submitted to the vault (stored encrypted, PostgreSQL + a folder
           store), then read by the `import` job through the job runner: each page rendered,
           checked for damage, blankness and a separator's QR code, the rest OCR'd by
           `ocr.pipeline` (preprocessing, orientation check, Tesseract), stored page by page,
           and the batch cut into parts queued for review, with their type and key fields;
baseline = the same pages per minute through `tesseract PAGE - -l vie --oem 1 --dpi 300`
           (OMP_THREAD_LIMIT=1, text output), as many processes at a time as the import has
           workers, each page given as the decoded image it is in the batch;
ratio    = value / baseline (the goal is >= 0.9).

The baseline is measured before and after the import and averaged, so load from other work
on this shared machine falls on both sides alike. 500 pages (--quick: 30).

    ./scripts/bench import [--quick]    # last line: RESULT import value=... ratio=...
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

# The repo root first: this file's own folder is on the path too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Nothing heavy at module level: the import's worker processes start from a fork server
# that imports this module (as `vault worker`'s would import the light `vault` script).
if TYPE_CHECKING:
    from PIL import Image

    from tests.ocr.batch_support import ScanPage

WORKERS = os.cpu_count() or 1


def build_batch(pages: int, owner_id: uuid.UUID) -> list[ScanPage]:
    """Papers of 1-3 pages, each after a separator sheet; a blank page after every fifth."""
    from ocr.batches.model import SheetFields
    from ocr.batches.sheets import new_ref
    from tests.ocr import corpus
    from tests.ocr.batch_support import ScanPage, blank_page, sheet_page

    documents = corpus.DOCUMENTS
    images = [corpus.typeset(d) for d in documents]
    out: list[ScanPage] = []
    paper = 0
    while len(out) < pages:
        sheet = sheet_page(SheetFields(new_ref(), owner_id, None))
        assert sheet.image is not None
        out.append(ScanPage(sheet.image.resize((2480, 3508)), 300))
        for i in range(1 + paper % 3):
            out.append(ScanPage(images[(paper + i) % len(images)], 300))
        if paper % 5 == 4:
            blank = blank_page()
            assert blank.image is not None
            out.append(ScanPage(blank.image.resize((2480, 3508)), 300))
        paper += 1
    return out[:pages]


def tesseract_page(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["tesseract", str(path), "-", "-l", "vie", "--oem", "1", "--dpi", "300"],
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def baseline(paths: list[Path]) -> float:
    """Pages per minute of the bare CLI over `paths`, WORKERS processes at a time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(tesseract_page, paths))
    return len(paths) / (time.perf_counter() - started) * 60


def main() -> None:
    from PIL import Image

    from bench._common import AGENCY, fresh_database, local_vault, log, parse_args, print_result
    from ocr.batches.model import BatchStatus
    from ocr.batches.service import BatchService
    from ocr.batches.worker import ImportConfig, ImportJobHandler
    from tests.ocr.batch_support import scanned_pdf
    from vault.auth import Role
    from vault.domain import OwnerKind
    from vault.jobs import JobRegistry, JobRunner

    args = parse_args(__doc__ or "")
    pages = 30 if args.quick else 500
    with (
        tempfile.TemporaryDirectory(prefix="bench-import-") as tmp,
        fresh_database("bench_import") as url,
    ):
        base = Path(tmp)
        with local_vault(url, base) as vault:
            with vault.uows() as uow:
                vault.auth.add_agency(uow, AGENCY, "UBND phường Bến Nghé")
                account = vault.auth.add_officer(
                    uow,
                    username="scanner",
                    full_name="Cán bộ số hóa",
                    agency_code=AGENCY,
                    roles=[Role.RECEIVING_OFFICER],
                )
                uow.commit()
            with vault.uows() as uow:
                officer = vault.auth.actor(uow, vault.auth.token_for(account).token)
                owner, _ = vault.owners.register(
                    uow, officer, OwnerKind.CITIZEN, "075324001234", "Nguyễn Thị Hương"
                )
                uow.commit()
            scan = build_batch(pages, owner.id)
            data = scanned_pdf(scan)
            log(f"batch: {pages} pages, {len(data) / 1e6:.1f} MB, {WORKERS} processes")
            # The baseline's input: each page's image as the batch holds it (decoded JPEG).
            paths = []
            for i, page in enumerate(scan):
                assert page.image is not None
                path = base / f"page-{i:04}.pgm"
                Image.open(io.BytesIO(_jpeg(page.image))).convert("L").save(path, "PPM")
                paths.append(path)
            tesseract_page(paths[1])  # warm-up: the page cache and the traineddata
            before = baseline(paths)
            log(f"tesseract CLI (before): {before:.1f} pages/min")

            service = BatchService(vault.keyring, vault.documents)
            handler = ImportJobHandler(vault, service, ImportConfig(workers=WORKERS))
            runner = JobRunner(vault.uows, JobRegistry([handler]), poll_seconds=0.2)
            started = time.perf_counter()
            with vault.uows() as uow:
                batch, _ = service.submit(uow, officer, "bench.pdf", data)
                uow.commit()
            submitted = time.perf_counter() - started
            assert runner.run(once=True) == 1
            elapsed = time.perf_counter() - started
            with vault.uows() as uow:
                done = service.batch(uow, officer, batch.id)
            assert done.status is BatchStatus.DONE and done.pages_done == pages, done
            value = pages / elapsed * 60
            log(f"import: {value:.1f} pages/min ({elapsed:.1f} s), {done.part_count} parts")

            after = baseline(paths)
            log(f"tesseract CLI (after): {after:.1f} pages/min")
            reference = (before + after) / 2

            stats = handler.last_run
            busy = WORKERS * stats["wall_seconds"]
            log("where the import's time went:")
            log(f"  submit (hash, page count, encrypt, store): {submitted:.1f} s")
            log(
                f"  pages read: {int(stats.get('pages_content', 0))} OCR'd, "
                f"{int(stats.get('pages_separator', 0))} separators, "
                f"{int(stats.get('pages_blank', 0))} blank, "
                f"{int(stats.get('pages_damaged', 0))} damaged"
            )
            log(
                f"  in the worker processes ({WORKERS} x {stats['wall_seconds']:.1f} s = "
                f"{busy:.1f} s): OCR (ocr.pipeline: preprocessing + tesseract) "
                f"{stats['ocr_seconds']:.1f} s, render + damage/blank/QR checks "
                f"{stats['page_seconds'] - stats['ocr_seconds']:.1f} s, idle or in transit "
                f"{busy - stats['page_seconds']:.1f} s"
            )
            log(
                f"  in the job's process: storing pages {stats['store_seconds']:.1f} s, "
                f"cutting into parts and classifying {stats['finish_seconds']:.1f} s"
            )
    print_result("import", value, "pages/min", reference, value / reference)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("L").save(out, "JPEG", quality=85)
    return out.getvalue()


if __name__ == "__main__":
    main()
