"""OCR jobs on both backends: created with their document, claimed safely, retried, parked,
taken over after a killed worker's lease, and hostile files failing only their own job."""

from __future__ import annotations

import argparse
import hashlib
import io
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pypdfium2
import pytest
from fastapi.testclient import TestClient

from api.cli_jobs import worker_main
from api.progress import progress_display
from ocr.classify import Classification
from ocr.cli import ocr_main
from ocr.db import TextRepository
from ocr.errors import EngineFailure
from ocr.recognised import OcrStatus, ocr_states
from ocr.search import SearchFilters, SearchService
from ocr.worker import Heartbeat, Recognised, WorkerConfig, ocr_runner, run_worker
from tests.conftest import Backend
from tests.ocr.vault_support import api_client, new_owner, store, store_raw, text_page
from tests.people import People
from tests.test_atomicity import settings_env
from vault.domain import DocumentOrigin, MediaType
from vault.jobs import (
    OCR_KIND,
    BackgroundRunner,
    Job,
    JobStatus,
    JobSubject,
    embedded_worker_wanted,
)
from vault.runtime import Vault
from vault.services import NewDocument
from vault.services.derived_files import DerivedFileService
from vault.settings import Environment, Settings
from vault.texts import DerivedKind, ExtractedPage, PageSource, SuggestionKind

CITIZEN = "079203001234"
DECISION = ("Số: 15/QĐ-UBND", "Cấp giấy phép cho bà Nguyễn Thị Hương", "trú tại tỉnh Đồng Nai")


def jobs_of(vault: Vault, document_id: uuid.UUID) -> list[Job]:
    with vault.uows() as uow:
        return uow.jobs.for_document(document_id)


def one_job(vault: Vault, document_id: uuid.UUID) -> Job:
    jobs = jobs_of(vault, document_id)
    assert len(jobs) == 1
    return jobs[0]


def fake_result(text: str = "Giấy tờ") -> Recognised:
    page = ExtractedPage(1, text, 0.9, PageSource.OCR)
    return Recognised((page,), 0.9, None, Classification((), 0.0, ()))


def config(vault: Vault, **changes: object) -> WorkerConfig:
    return replace(WorkerConfig.from_settings(vault.settings), **changes)  # type: ignore[arg-type]


# -- jobs are created with their document ------------------------------------------------


def test_upload_creates_its_job_in_the_same_transaction(vault: Vault, people: People) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    meta = NewDocument("procedure_result", "Quyết định", DocumentOrigin.ISSUED_RESULT)
    with vault.uows() as uow:
        rolled_back = vault.documents.upload(uow, clerk, owner, meta, io.BytesIO(text_page("x")))
        uow.rollback()
    assert jobs_of(vault, rolled_back.id) == []
    with vault.uows() as uow:
        assert uow.jobs.counts() == {s: 0 for s in JobStatus}

    document = store(vault, clerk, owner, text_page("x"))
    job = one_job(vault, document.id)
    assert (job.kind, job.status, job.attempts) == (OCR_KIND, JobStatus.PENDING, 0)

    # A reissue is a new document: it gets its own job.
    with vault.uows() as uow:
        reissue = vault.documents.new_version(
            uow, clerk, document.id, meta, io.BytesIO(text_page("y"))
        )
        uow.commit()
    assert one_job(vault, reissue.id).status is JobStatus.PENDING
    with vault.uows() as uow:
        assert ocr_states(uow, [document.id])[document.id].status is OcrStatus.PENDING


# -- the whole way, with Tesseract -------------------------------------------------------


def test_worker_reads_stores_and_indexes_a_scan(
    backend: Backend, vault: Vault, people: People
) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    scan = text_page(*DECISION, heading="QUYẾT ĐỊNH")
    document = store(vault, clerk, owner, scan, title="Giấy phép", reference_number=None)
    stored_object = b"".join(backend.store.get(document.blob.object_key))

    assert run_worker(vault, once=True) == 1

    job = one_job(vault, document.id)
    assert job.status is JobStatus.DONE and job.attempts == 1 and job.last_error is None
    with vault.uows() as uow:
        texts = uow.repository(TextRepository)
        pages = texts.pages(document.id)
        extracted = texts.extraction(document.id)
        suggestions = texts.suggestions(document.id)
        copy = uow.derived_files.get(document.id, DerivedKind.SEARCHABLE_PDF)
        assert copy is not None
        pdf = b"".join(DerivedFileService(vault.keyring).read(uow, copy))
        original = b"".join(vault.documents.read_content(uow, document).chunks)
        unchanged = uow.documents.get(document.id)
    assert len(pages) == 1 and "Nguyễn Thị Hương" in pages[0].text
    assert "15/QĐ-UBND" in pages[0].text
    assert extracted is not None and 0.5 < extracted.confidence <= 1
    assert 0.5 < pages[0].confidence <= 1

    # The searchable copy is a separate encrypted blob: a PDF with the words in it.
    assert pdf.startswith(b"%PDF-") and copy.blob.id != document.blob.id
    assert b"Nguy" not in b"".join(backend.store.get(copy.blob.object_key))  # encrypted
    layer = pypdfium2.PdfDocument(pdf)
    try:
        textpage = layer[0].get_textpage()
        assert "Hương" in textpage.get_text_range()
    finally:
        layer.close()

    # The original is byte for byte what was uploaded, and its stored object untouched.
    assert original == scan
    assert b"".join(backend.store.get(document.blob.object_key)) == stored_object
    assert hashlib.sha256(original).hexdigest() == document.blob.sha256

    # Suggestions are kept apart; the officer's metadata is not touched.
    assert unchanged == document
    kinds = {(s.kind, s.name): s.value for s in suggestions}
    assert kinds[(SuggestionKind.PAPER_TYPE, "procedure_result")] == "procedure_result"
    assert kinds[(SuggestionKind.FIELD, "reference_number")] == "15/QĐ-UBND"
    assert document.reference_number is None

    # Searchable, diacritics or not, and the number as typed.
    service = SearchService(vault.access)
    for query in ("nguyen thi huong", "Đồng Nai", "dong nai", "15/QĐ-UBND", "15/qd-ubnd"):
        with vault.uows() as uow:
            page = service.search(uow, clerk, query, SearchFilters())
            uow.commit()
        assert [h.document.id for h in page.items] == [document.id], query

    # Over HTTP, under the document's access rules.
    with api_client(vault, people.auth("clerk")) as client:
        check_http(client, people, document.id, pdf)
    with vault.uows() as uow:
        actions = [e.action for e in uow.audit.for_owner(owner, before_seq=None, limit=100)]
    assert "document.ocr" in actions and "document.searchable_copy" in actions


def check_http(client: TestClient, people: People, document_id: uuid.UUID, pdf: bytes) -> None:
    r = client.get(f"/api/v1/documents/{document_id}/ocr")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"]["status"] == "done" and body["searchable_copy"] is True
    assert body["pages"][0]["number"] == 1
    fields = {(x["kind"], x["name"]): x["value"] for x in body["suggestions"]}
    assert fields[("field", "reference_number")] == "15/QĐ-UBND"
    r = client.get(f"/api/v1/documents/{document_id}/text")
    assert r.status_code == 200 and "Hương" in r.json()["pages"][0]["text"]
    r = client.get(f"/api/v1/documents/{document_id}/searchable-copy")
    assert r.status_code == 200 and r.content == pdf
    assert r.headers["content-type"] == "application/pdf"
    stranger = people.auth("other_receiver")
    for path in ("ocr", "text", "searchable-copy"):
        r = client.get(f"/api/v1/documents/{document_id}/{path}", headers=stranger)
        assert r.status_code == 403, path


# -- hostile input -----------------------------------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header claiming width x height pixels over a few bytes of data: a bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def blank_pdf(pages: int) -> bytes:
    pdf = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def test_hostile_files_fail_their_own_job_and_the_worker_goes_on(
    vault: Vault, people: People
) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    page = text_page("Đồng Nai")
    hostile = {
        "bomb": (png_claiming(40_000, 40_000), MediaType.PNG, "InputTooLarge"),
        "truncated": (page[: len(page) // 2], MediaType.PNG, "UnreadableInput"),
        "empty": (b"", MediaType.PNG, "UnreadableInput"),
        "5000 pages": (blank_pdf(5_000), MediaType.PDF, "InputTooLarge"),
        "zip": (b"PK\x03\x04" + b"\x00" * 300, MediaType.PDF, "UnsupportedInput"),
    }
    documents = {
        name: store_raw(vault, owner, data, media, title=f"Tệp {name}")
        for name, (data, media, _) in hostile.items()
    }
    good = store(vault, clerk, owner, page)  # queued last

    started = time.monotonic()
    assert run_worker(vault, once=True) == len(hostile) + 1
    assert time.monotonic() - started < 60

    for name, (_, _, error) in hostile.items():
        job = one_job(vault, documents[name].id)
        assert job.status is JobStatus.FAILED, name
        assert job.attempts == 1, f"{name}: input errors are not retried"
        assert job.last_error is not None and job.last_error.startswith(error), job.last_error
    assert one_job(vault, good.id).status is JobStatus.DONE
    with vault.uows() as uow:
        states = ocr_states(uow, [documents["5000 pages"].id])
        # A failed document is still found by its title.
        hits = SearchService(vault.access).search(uow, clerk, "tep zip", SearchFilters())
        uow.commit()
    state = states[documents["5000 pages"].id]
    assert state.status is OcrStatus.FAILED and state.error and "5000 pages" in state.error
    assert [h.document.id for h in hits.items] == [documents["zip"].id]


# -- retries, backoff, parking -----------------------------------------------------------


def test_failures_are_retried_with_backoff_then_parked(vault: Vault, people: People) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    document = store(vault, clerk, owner, text_page("x"))
    calls: list[float] = []

    def broken(data: bytes, media_type: MediaType, heartbeat: Heartbeat) -> Recognised:
        calls.append(time.monotonic())
        raise EngineFailure("tesseract exited with -11")

    settings = config(vault, max_attempts=3, retry_base_seconds=0.4, retry_max_seconds=10)
    worker = ocr_runner(vault, settings, recogniser=broken)
    delays = []
    for attempt in (1, 2):
        assert worker.process_next() is not None
        job = one_job(vault, document.id)
        assert (job.status, job.attempts) == (JobStatus.PENDING, attempt)
        assert job.last_error == "EngineFailure: tesseract exited with -11"
        delay = (job.run_after - job.updated_at).total_seconds()
        delays.append(delay)
        # base * 2^(attempt - 1), the upper half jittered
        assert 0.2 * 2 ** (attempt - 1) <= delay <= 0.4 * 2 ** (attempt - 1) + 0.05
        assert worker.process_next() is None, "not due before its backoff"
        time.sleep(delay + 0.05)
    assert worker.process_next() is not None
    job = one_job(vault, document.id)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.finished_at is not None and "tesseract exited" in (job.last_error or "")
    assert len(calls) == 3
    assert worker.process_next() is None, "a parked job stays parked"


def test_a_retry_that_succeeds_clears_the_error(vault: Vault, people: People) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    document = store(vault, clerk, owner, text_page("x"))
    outcomes: list[Exception | Recognised] = [EngineFailure("busy"), fake_result("Đồng Nai")]

    def flaky(data: bytes, media_type: MediaType, heartbeat: Heartbeat) -> Recognised:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    worker = ocr_runner(vault, config(vault, retry_base_seconds=0), recogniser=flaky)
    assert worker.run(once=True) == 2
    job = one_job(vault, document.id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DONE, 2, None)


# -- leases ------------------------------------------------------------------------------

DOOMED_WORKER = """
import sys, time
from dataclasses import replace
from datetime import timedelta
from ocr.worker import WorkerConfig, ocr_runner
from vault.runtime import Vault
from vault.settings import Settings

vault = Vault.from_settings(Settings())

def reading(data, media_type, heartbeat):
    print("reading", flush=True)
    while heartbeat():  # alive: the lease is renewed
        time.sleep(0.05)
    raise SystemExit("lease lost")

config = replace(WorkerConfig.from_settings(vault.settings), lease=timedelta(seconds=1.5))
ocr_runner(vault, config, recogniser=reading, name="doomed").process_next()
"""


def test_a_killed_workers_job_is_taken_over_after_its_lease(
    backend: Backend, vault: Vault, people: People, repo_root: Path
) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    document = store(vault, clerk, owner, text_page("x"))
    doomed = subprocess.Popen(
        [sys.executable, "-c", DOOMED_WORKER],
        cwd=repo_root,
        env=settings_env(backend.settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert doomed.stdout is not None
        assert doomed.stdout.readline() == b"reading\n", (
            doomed.stderr.read() if doomed.stderr else ""
        )
        time.sleep(2)  # longer than the lease: renewed while the worker lives
        job = one_job(vault, document.id)
        assert (job.status, job.lease_owner, job.attempts) == (JobStatus.RUNNING, "doomed", 1)
        rescuer = ocr_runner(vault, recogniser=lambda *_: fake_result("Đồng Nai"), name="rescuer")
        assert rescuer.process_next() is None, "a live worker's job is not taken"
        doomed.kill()
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
    deadline = time.monotonic() + 10
    taken = None
    while taken is None and time.monotonic() < deadline:
        taken = rescuer.process_next()
        time.sleep(0.1)
    assert taken is not None and taken.id == job.id and taken.attempts == 2
    job = one_job(vault, document.id)
    assert (job.status, job.lease_owner) == (JobStatus.DONE, None)


def test_a_stopping_worker_gives_its_job_back(vault: Vault, people: People) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    document = store(vault, clerk, owner, text_page("x"))
    reading = threading.Event()

    def slow(data: bytes, media_type: MediaType, heartbeat: Heartbeat) -> Recognised:
        reading.set()
        while heartbeat():
            time.sleep(0.02)
        from ocr.isolation import Interrupted

        raise Interrupted

    worker = BackgroundRunner(ocr_runner(vault, recogniser=slow)).start()
    assert reading.wait(10)
    worker.stop(10)
    assert not worker.alive
    job = one_job(vault, document.id)
    assert (job.status, job.attempts, job.lease_owner) == (JobStatus.PENDING, 0, None)


def test_a_subprocess_reader_is_killed_when_the_worker_gives_up(
    vault: Vault, people: People
) -> None:
    """The real reader: a heartbeat that says stop kills the child process at once."""
    from ocr.isolation import Interrupted, SubprocessRecogniser

    recogniser = SubprocessRecogniser(config(vault).options, timeout=60, memory_limit_mb=2048)
    beats = 0

    def heartbeat() -> bool:
        # The reader beats before it first waits: stopping there kills the child that has
        # just started, however fast the machine's OCR.
        nonlocal beats
        beats += 1
        return False

    started = time.monotonic()
    with pytest.raises(Interrupted):
        recogniser(text_page(*DECISION, *DECISION, *DECISION), MediaType.PNG, heartbeat)
    assert beats == 1
    assert time.monotonic() - started < 5


# -- claiming ----------------------------------------------------------------------------


def test_concurrent_workers_never_take_the_same_job(vault: Vault, people: People) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    document = store(vault, clerk, owner, text_page("x"))
    with vault.uows() as uow:
        for _ in range(39):
            uow.jobs.enqueue(OCR_KIND, subject=JobSubject.document(document.id))
        uow.commit()
    taken: dict[str, list[uuid.UUID]] = {}
    start = threading.Barrier(4)

    def claim_all(name: str) -> None:
        mine = taken.setdefault(name, [])
        start.wait()
        while True:
            with vault.uows() as uow:
                job = uow.jobs.claim({OCR_KIND}, name, timedelta(minutes=5))
                uow.commit()
            if job is None:
                return
            mine.append(job.id)

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [j for jobs in taken.values() for j in jobs]
    assert len(claimed) == 40 and len(set(claimed)) == 40
    with vault.uows() as uow:
        owners = {j.lease_owner for j in uow.jobs.for_document(document.id)}
    assert owners <= set(taken) and len(owners) > 1


# SKIP LOCKED is PostgreSQL's (SQLite has a single writer): this one runs on PostgreSQL only.
@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_postgres_claims_skip_locked_jobs_without_waiting(
    backend: Backend, vault: Vault, people: People
) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    document = store(vault, clerk, owner, text_page("x"))
    with vault.uows() as uow:
        uow.jobs.enqueue(OCR_KIND, subject=JobSubject.document(document.id))
        uow.commit()
    with vault.uows() as first:
        held = first.jobs.claim({OCR_KIND}, "first", timedelta(minutes=1))
        assert held is not None  # its row stays locked until this transaction ends
        started = time.monotonic()
        with vault.uows() as second:
            other = second.jobs.claim({OCR_KIND}, "second", timedelta(minutes=1))
            assert other is not None and other.id != held.id
            assert second.jobs.claim({OCR_KIND}, "second", timedelta(minutes=1)) is None
            second.commit()
        assert time.monotonic() - started < 1, "the second claim waited on the first"
        first.commit()


def test_vault_worker_once_drains_the_queue(
    backend: Backend, vault: Vault, people: People, capsys: pytest.CaptureFixture[str]
) -> None:
    clerk = people.actor("clerk")
    owner = new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")
    document = store(vault, clerk, owner, text_page("tỉnh Đồng Nai"))
    assert worker_main(argparse.Namespace(once=True, kinds=None), backend.settings) == 0
    assert one_job(vault, document.id).status is JobStatus.DONE
    # One job taken, by a worker of every registered kind (OCR among them).
    said = capsys.readouterr().err
    assert "1 jobs taken (" in said and "ocr" in said.split("1 jobs taken (")[1]


def test_embedded_worker_runs_by_default_in_development_only() -> None:
    assert embedded_worker_wanted(Settings(env=Environment.DEVELOPMENT))
    assert not embedded_worker_wanted(Settings(env=Environment.TEST))
    assert embedded_worker_wanted(Settings(env=Environment.TEST, ocr_worker_embedded=True))
    assert not embedded_worker_wanted(
        Settings(env=Environment.DEVELOPMENT, ocr_worker_embedded=False)
    )


# -- vault ocr FILE... -------------------------------------------------------------------


def test_vault_ocr_prints_the_text_of_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = tmp_path / "scan.png"
    scan.write_bytes(text_page("Bà Nguyễn Thị Hương", "tỉnh Đồng Nai"))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"nothing here\n" * 20)
    args = argparse.Namespace(files=[str(scan), str(broken)], workers=1)
    assert ocr_main(args, Settings(env=Environment.TEST), progress_display) == 1
    out, err = capsys.readouterr()
    # Not a terminal: the progress is a plain line on standard error, apart from the text.
    assert "ocr: files: 2/2 done" in err and "ocr: files" not in out
    assert f"==> {scan} <==" in out and "Nguyễn Thị Hương" in out and "Đồng Nai" in out
    assert "--- page 1/1 (OCR, confidence" in out
    assert f"error: {broken}:" in err
