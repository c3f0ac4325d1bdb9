"""A receiving officer takes in a dossier (hồ sơ): finds the citizen by ID number, looks at
the warehouse, opens a paper, records the dossier, reuses the two papers on file with one
click each, sees why the expired one cannot be used, and scans the missing one."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.factories import CITIZEN_ID, png_bytes
from tests.people import AGENCY

from .support import OWNER_NAME, PROCEDURE, Console, expect_loaded, submit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]

UNKNOWN_CITIZEN_ID = "079203009999"  # well-formed, nobody's
NEEDED = ("driving_licence", "health_certificate", "chip_id_card")


def test_receive_dossier_reusing_two_papers_and_uploading_the_third(
    page: Page, console: Console, request_log: list[str]
) -> None:
    docs = console.documents
    console.sign_in(page, "receiver")

    # Find the owner by exact ID number: posted in a form, never put in a URL. A malformed
    # number and an unknown one are told apart.
    page.locator("#nav-owners").click()
    for identifier, status in (("07920300", 422), (UNKNOWN_CITIZEN_ID, 404)):
        page.locator("#identifier").fill(identifier)
        response = submit(page, page.locator("form#owner-lookup-form #lookup-submit"))
        assert response.status == status, identifier
        expect(page.locator("#lookup-error")).to_be_visible()
    page.locator("#identifier").fill(CITIZEN_ID)
    response = submit(page, page.locator("form#owner-lookup-form #lookup-submit"))
    assert response.status == 200
    headers = response.all_headers()
    assert "no-store" in headers["cache-control"]  # a page with personal data
    expect(page).to_have_url(re.compile(rf"/console/owners/{console.owner_id}$"))
    heading = page.locator("h1")
    expect(heading).to_contain_text(OWNER_NAME)
    expect(heading).to_contain_text(CITIZEN_ID[-4:])
    expect(heading).not_to_contain_text(CITIZEN_ID)  # masked: last four digits only

    # The warehouse: the three seeded papers AGENCY may see (and any certified copy another
    # test made), each with its badges and thumbnail; never the other owner's paper.
    expect(page.locator("table#warehouse tr.document-row").first).to_be_visible()
    for name in ("id_card", "licence", "expired_health"):
        row = page.locator(f"tr.document-row[data-document-id='{docs[name]}']")
        expect(row).to_have_count(1)
        expect(row.locator("span.signature-badge")).to_have_attribute("data-status", "unsigned")
        expect(row.locator("span.ocr-badge")).to_have_attribute("data-status", re.compile(r"."))
        thumbnail = row.locator("img.thumbnail")
        expect(thumbnail).to_have_attribute(
            "src", re.compile(rf"/console/documents/{docs[name]}/thumbnail$")
        )
        expect_loaded(thumbnail)
    expect(
        page.locator(f"tr.document-row[data-document-id='{docs['other_birth']}']")
    ).to_have_count(0)
    expect(page.locator("p#warehouse-empty")).to_have_count(0)
    console.shot(page, "warehouse")

    # A paper's page: rendered pages, the signature panel, the OCR text.
    owner_page = page.url
    page.locator(f"tr.document-row[data-document-id='{docs['licence']}'] a.document-link").click()
    expect(page).to_have_url(re.compile(rf"/console/documents/{docs['licence']}$"))
    first_page = page.locator("img.page-image").first
    expect(first_page).to_have_attribute(
        "src", re.compile(rf"/console/documents/{docs['licence']}/pages/1$")
    )
    expect_loaded(first_page)
    expect(page.locator("section#signature-panel")).to_be_visible()
    expect(page.locator("section#signature-panel .signature-entry")).to_have_count(0)
    expect(page.locator("section#ocr-text")).to_contain_text(re.compile("lái xe", re.IGNORECASE))
    console.shot(page, "document")
    page.goto(owner_page)

    # Record the dossier for the procedure (code left blank: the console makes one).
    page.locator("a#receive-dossier").click()
    expect(page).to_have_url(re.compile(rf"/console/owners/{console.owner_id}/dossiers/new$"))
    page.locator("#dossier-code").fill("")  # blank: the console numbers the dossier
    page.locator("select#procedure").select_option(PROCEDURE)
    submit(page, page.locator("form#dossier-form #dossier-submit"))
    expect(page).to_have_url(re.compile(r"/console/dossiers/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_contain_text(re.compile(rf"{re.escape(AGENCY)}-\d{{6}}-\d{{4}}"))

    def needed(paper_type: str) -> Locator:
        return page.locator(f"ul#needed-papers li.needed-paper[data-paper-type='{paper_type}']")

    expect(page.locator("ul#needed-papers li.needed-paper")).to_have_count(3)
    expect(needed("driving_licence")).to_have_attribute("data-state", "on-file")
    expect(needed("chip_id_card")).to_have_attribute("data-state", "on-file")
    expect(needed("health_certificate")).to_have_attribute("data-state", "missing")

    # The expired paper is shown, with the reason in words, and offers no attach button.
    rejected = needed("health_certificate").locator("li.rejected-candidate")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("span.reject-reason")).to_contain_text(
        re.compile(r"hết hạn|hết hiệu lực|expired", re.IGNORECASE)
    )
    expect(rejected.locator("button.attach-button")).to_have_count(0)

    # Reuse the two on file: one click each.
    for paper_type, name in (("driving_licence", "licence"), ("chip_id_card", "id_card")):
        candidate = needed(paper_type).locator(f"li.candidate[data-document-id='{docs[name]}']")
        expect(candidate.locator("form.attach-form input[name=document_id]")).to_have_value(
            docs[name]
        )
        response = submit(page, candidate.locator("button.attach-button"))
        assert response.status == 200
        expect(page).to_have_url(re.compile(r"/console/dossiers/[0-9a-f-]{36}$"))
        expect(needed(paper_type)).to_have_attribute("data-state", "attached")

    # Scan the missing one: stored in the warehouse and attached.
    upload = needed("health_certificate").locator("form.upload-form")
    expect(upload.locator("input[name=paper_type]")).to_have_value("health_certificate")
    upload.locator("input[name=file]").set_input_files(
        files=[{"name": "giay-kham-suc-khoe.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    upload.locator("input[name=reference_number]").fill("GKSK-2026-0042")
    upload.locator("input[name=issued_on]").fill(date.today().isoformat())
    response = submit(page, upload.locator("button.upload-button"))
    assert response.status == 200
    for paper_type in NEEDED:
        expect(needed(paper_type)).to_have_attribute("data-state", "attached")
    console.shot(page, "dossier")

    # The same page on a laptop screen and a tablet held upright.
    page.set_viewport_size({"width": 1366, "height": 768})
    console.shot(page, "dossier-1366x768")
    page.set_viewport_size({"width": 768, "height": 1024})
    console.shot(page, "dossier-tablet-768x1024")

    # The ID number was typed into a form body; it is in no URL the browser asked for.
    assert request_log, "no request was recorded"
    leaked = [url for url in request_log if CITIZEN_ID in url]
    assert not leaked, f"the ID number appears in URLs: {leaked}"
