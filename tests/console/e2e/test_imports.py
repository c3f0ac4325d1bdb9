"""A receiving officer imports a scanned batch in the console: prints a separator sheet,
sends the batch, watches it being read, then works through the review queue — the page
image beside the fields read from it — correcting, rotating, splitting, rejecting and
approving, until the papers are in the right owners' warehouses as digitised papers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
from playwright.sync_api import Page, expect

from api.job_handlers import job_runner
from ocr.batches.model import PartStatus
from ocr.batches.service import BatchService, SheetRequest
from tests.conftest import s3_store
from tests.factories import CITIZEN_ID, OTHER_CITIZEN_ID
from tests.ocr import corpus
from tests.ocr.batch_support import (
    ScanPage,
    blank_page,
    damaged_page,
    paper_page,
    scanned_pdf,
    sheet_page,
    text_page,
    unknown_owner_sheet,
)
from tests.support.s3server import S3Server
from vault.domain import DocumentOrigin
from vault.runtime import Vault
from vault.services import lookups
from vault.settings import Environment, Settings

from .support import OTHER_OWNER_NAME, OWNER_NAME, Console, expect_loaded, submit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]


@pytest.fixture
def worker_vault(
    console: Console, e2e_database: str, e2e_bucket: str, s3_server: S3Server
) -> Iterator[Vault]:
    """The import worker's own process view of the console's database and bucket (the live
    server runs no worker)."""
    settings = Settings(
        env=Environment.TEST,
        database_url=e2e_database,
        storage_backend="s3",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=e2e_bucket,
    )
    vault = Vault.from_settings(settings, blobs=s3_store(s3_server, e2e_bucket))
    yield vault
    vault.close()


def scanned(pdf: bytes) -> list[ScanPage]:
    document = pypdfium2.PdfDocument(pdf)
    pages = [ScanPage(p.render(scale=150 / 72, grayscale=True).to_pil(), 150) for p in document]
    document.close()
    return pages


def test_import_a_batch_and_review_it_in_the_console(
    page: Page, console: Console, worker_vault: Vault, tmp_path: Path
) -> None:
    console.sign_in(page, "receiver")
    page.locator("#nav-imports").click()
    expect(page.locator("h1")).to_have_text(re.compile("Nhập lô"))

    # Separator sheets, printed from the console for the owner named by ID number (posted,
    # never in a URL); the PDF is what goes to the printer.
    token = page.locator("#sheets-form input[name=csrf_token]").get_attribute("value")
    printed = page.request.post(
        "/console/imports/sheets",
        form={
            "csrf_token": token or "",
            "identifier": CITIZEN_ID,
            "paper_type": "birth_certificate",
            "count": "2",
        },
    )
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
    birth_sheet, second_sheet = scanned(printed.body())
    with worker_vault.uows() as uow:
        receiver = console.people.actor("receiver")
        bin_id = worker_vault.owners.lookup(uow, receiver, OTHER_CITIZEN_ID).id
        sheets_pdf = BatchService(worker_vault.keyring, worker_vault.documents).print_sheets(
            uow, receiver, [SheetRequest(bin_id)]
        )
        uow.commit()
    (bin_sheet,) = scanned(sheets_pdf)
    batch = scanned_pdf(
        [
            birth_sheet,
            paper_page(corpus.BIRTH_CERTIFICATE),
            blank_page(),
            bin_sheet,
            paper_page(corpus.CRIMINAL_RECORD_EXTRACT),
            text_page("Trang 2", "Xác nhận của cơ quan cấp"),
            damaged_page(),
            blank_page(),
            sheet_page(unknown_owner_sheet()),
            text_page("Đơn đề nghị", "Kính gửi: Ủy ban nhân dân phường"),
            second_sheet,
            paper_page(corpus.BIRTH_CERTIFICATE),
        ]
    )
    path = tmp_path / f"scan-{uuid.uuid4().hex[:6]}.pdf"
    path.write_bytes(batch)

    page.locator("#batch-file").set_input_files(str(path))
    response = submit(page, page.locator("#batch-submit"))
    assert response.status == 200
    expect(page.locator("#flash")).to_be_visible()
    row = page.locator(f"tr.batch-row:has-text('{path.name}')")
    expect(row).to_have_attribute("data-status", "queued")

    assert job_runner(worker_vault, kinds=["import"]).run(once=True) >= 1
    page.reload()
    expect(row).to_have_attribute("data-status", "done")
    expect(row).to_contain_text("12/12")
    console.shot(page, "import-batches")

    # The queue: four parts; the unknown owner's waits with its reason.
    page.locator("#open-queue").click()
    rows = page.locator("tr.part-row")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(OWNER_NAME)
    expect(rows.nth(1)).to_contain_text(OTHER_OWNER_NAME)

    # Part 2 (Bình's): the page image beside the fields; split off the damaged page, reject it.
    rows.nth(1).locator("a.part-link").click()
    expect(page.locator("#problems")).to_contain_text("Trang 7 bị hỏng")
    expect_loaded(page.locator("img.page-image").first)
    expect(page.locator("#paper_type")).to_have_value("criminal_record_extract")
    console.shot(page, "import-review-part")
    page.locator("#split_at").fill("3")
    submit(page, page.locator("#split"))
    expect(page.locator("img.page-image")).to_have_count(2)
    # Correct the name as it is spelt, then approve: the paper goes to Bình's warehouse.
    page.locator("#field_full_name").fill("Võ Thanh Tùng")
    submit(page, page.locator("#approve"))
    expect(page.locator("#flash")).to_be_visible()
    rows = page.locator("tr.part-row")
    expect(rows).to_have_count(4)  # the split-off damaged page is a part of its own now
    damaged = rows.nth(1)
    damaged.locator("a.part-link").click()
    expect(page.locator("#problems")).to_contain_text("Trang 7 bị hỏng")
    page.locator("#reason").fill("trang hỏng, cần quét lại")
    submit(page, page.locator("#reject"))

    # The unknown owner's part: cannot be approved until the officer names the owner.
    page.locator("tr.part-row").nth(1).locator("a.part-link").click()
    expect(page.locator("#problems")).to_contain_text(
        "Tờ phân cách ghi một chủ sở hữu không có trong hệ thống"
    )
    expect(page.locator("#owner-name")).to_have_text(re.compile("Chưa xác định"))
    page.locator("#paper_type").select_option("procedure_result")
    response = submit(page, page.locator("#approve"))
    assert response.status == 422  # no owner: nothing filed
    page.go_back()
    page.locator("#owner_identifier").fill(OTHER_CITIZEN_ID)
    page.locator("#paper_type").select_option("procedure_result")
    submit(page, page.locator("#approve"))

    # The two birth certificates: turn one, approve both.
    page.locator("tr.part-row").first.locator("a.part-link").click()
    submit(page, page.locator("#rotate"))
    expect(page.locator("img.page-image").first).to_have_attribute("src", re.compile(r"r=90"))
    expect_loaded(page.locator("img.page-image").first)
    submit(page, page.locator("#approve"))
    page.locator("tr.part-row").first.locator("a.part-link").click()
    submit(page, page.locator("#approve"))
    expect(page.locator("#queue-empty")).to_be_visible()
    console.shot(page, "import-queue-empty")

    # In English too.
    page.locator("#lang-toggle").click()
    expect(page.locator("h1")).to_have_text("Review queue")

    with worker_vault.uows() as uow:
        service = BatchService(worker_vault.keyring, worker_vault.documents)
        parts = service.parts(uow, console.people.actor("receiver"), status=None)
        assert not [p for p in parts if p.status is PartStatus.PENDING]
        owners = {}
        for part in parts:
            if part.document_id is not None:
                document = lookups.document(uow, part.document_id)
                assert document is not None and document.origin is DocumentOrigin.DIGITISED
                owners[part.pages] = str(document.owner_id)
    assert owners[(2,)] == console.owner_id and owners[(12,)] == console.owner_id
    assert owners[(5, 6)] == str(bin_id) and owners[(10,)] == str(bin_id)
    assert (7,) not in owners  # the damaged page was rejected: filed nowhere


def test_only_receiving_officers_see_the_import_pages(page: Page, console: Console) -> None:
    console.sign_in(page, "issuer")
    expect(page.locator("#nav-imports")).to_have_count(0)
    response = page.goto("/console/imports/queue")
    assert response is not None and response.status == 403
