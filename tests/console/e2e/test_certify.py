"""A certifying officer makes an electronic certified copy (chứng thực bản sao điện tử):
uploads the scan, previews the copy, is refused with a wrong PIN, certifies with the right
one without choosing the scans again (signed by the remote signing service), checks the
certification page's glyphs and leaves a picture of it, and follows the QR code's public link."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pypdfium2
import pytest
from playwright.sync_api import Page, expect

from signing.issuing import copy_pdf
from tests.factories import CITIZEN_ID
from tests.signing.vault.layout_checks import assert_legible

from .support import CERTIFIER_PIN, SCREENSHOTS, Console, expect_loaded, scan_jpeg, submit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]

SCAN = {"name": "ban-chinh.jpg", "mimeType": "image/jpeg", "buffer": scan_jpeg()}
# Signing, timestamping and the revocation data of two signatures take a few seconds.
SIGNING_TIMEOUT = 120_000


def fill_certify_form(page: Page, *, pin: str | None) -> None:
    form = page.locator("form#certify-form")
    form.locator("#owner-identifier").fill(CITIZEN_ID)
    form.locator("select#paper-type").select_option("birth_certificate")
    form.locator("#scans").set_input_files(files=[SCAN])
    if pin is not None:
        expect(form.locator("#pin")).to_have_attribute("type", "password")
        form.locator("#pin").fill(pin)


def test_certify_a_copy_with_pin_and_open_its_public_verification(
    page: Page, console: Console, tmp_path: Path
) -> None:
    console.sign_in(page, "certifier")
    page.locator("#nav-certify").click()
    expect(page).to_have_url(re.compile(r"/console/certify$"))

    # Preview: the generated copy's pages, nothing stored, no PIN needed.
    fill_certify_form(page, pin=None)
    response = submit(page, page.locator("#preview-button"))
    assert response.status == 200
    previews = page.locator("img.preview-page")
    expect(previews.first).to_be_visible()
    assert previews.count() >= 1
    for i in range(previews.count()):
        expect_loaded(previews.nth(i))
    console.shot(page, "certify-preview")

    # The scans stay with the form (kept server-side, encrypted, for this officer): signing
    # does not ask for them again. A wrong PIN first.
    form = page.locator("form#certify-form")
    expect(form.locator("#staged-scans-hint")).to_be_visible()
    expect(form.locator("#scans")).not_to_have_attribute("required", re.compile(".*"))
    form.locator("#pin").fill("000000")
    submit(page, page.locator("#certify-button"), timeout=SIGNING_TIMEOUT)
    error = page.locator("#certify-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(page.locator("#certification-number")).to_have_count(0)
    expect(page.locator("#staged-scans-hint")).to_be_visible()

    page.locator("form#certify-form #pin").fill(CERTIFIER_PIN)
    response = submit(page, page.locator("#certify-button"), timeout=SIGNING_TIMEOUT)
    assert response.ok, response.status  # the contract names no status for the result page
    number = page.locator("#certification-number")
    expect(number).to_have_text(re.compile(r"^\s*\d+/ĐT\s*$"))
    number_text = number.inner_text().strip()
    public_link = page.locator("a#public-verification-link")
    href = public_link.get_attribute("href")
    assert href is not None
    assert href.startswith(f"{console.url}/public/certified-copies/"), href
    console.shot(page, "certify-result")

    # The copy in the owner's warehouse: both pages rendered, two signatures (officer, seal).
    page.locator("a#certified-copy-link").click()
    expect(page).to_have_url(re.compile(r"/console/documents/[0-9a-f-]{36}$"))
    pages = page.locator("img.page-image")
    expect(pages).to_have_count(2)  # the scan, then the certification page with the QR code
    expect_loaded(pages.last)
    expect(page.locator("section#signature-panel .signature-entry")).to_have_count(2)
    console.shot(page, "certified-copy")

    # The certification page of the signed copy, as a reader sees it: no glyph on another,
    # all inside the margins, and a picture of it to look at (with the two stamps).
    document_id = page.url.rsplit("/", 1)[1]
    pdf = httpx.get(
        f"{console.url}/api/v1/documents/{document_id}/content",
        headers=console.people.auth("certifier"),
        timeout=60,
    ).content
    assert_legible(pdf, tmp_path, copy_pdf.MARGIN, ["LỜI", "CHỨNG", "Nguyễn", "Văn", "An"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    doc = pypdfium2.PdfDocument(pdf)
    doc.init_forms()  # the signature widgets' appearances (the stamps) are drawn too
    try:
        last = doc[len(doc) - 1]
        last.render(scale=150 / 72, may_draw_forms=True).to_pil().save(
            SCREENSHOTS / "certification-page.png"
        )
        last.close()
    finally:
        doc.close()

    # The QR code's link: a public page anyone may open, saying what was certified.
    response = page.goto(href)
    assert response is not None
    assert response.status == 200
    expect(page.locator("body")).to_contain_text(number_text)
    # The public page's verdict (api/routers/signing.py): all signatures valid.
    expect(page.locator("p.ok")).to_contain_text("hợp lệ")
    expect(page.locator("p.bad")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(CITIZEN_ID)
    console.shot(page, "public-verification")
