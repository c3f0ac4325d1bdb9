"""Verifying a file without an account, in the browser: a visitor who is not signed in drops
a certified copy on the public page and on its QR page, and reads who signed it and whether
it is byte for byte the copy on record; a tampered copy is named and called not identical."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.signing.verify.pdfs import tamper

from .support import Console, certify_through_api, drop_file

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]

VERIFY_TIMEOUT = 90_000  # the first check may start the verifier's worker process


@pytest.fixture(scope="module")
def copy_on_record(console: Console) -> dict[str, Any]:
    """A certified copy made through the API, with its file and its QR link."""
    body, pdf = certify_through_api(console)
    return {"pdf": pdf, **body["certification"]}


def csp_violations(page: Page) -> list[str]:
    seen: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("console", listen)
    return seen


def drop_and_wait(page: Page, name: str, pdf: bytes) -> None:
    """Drops the file on the zone; the page's script submits the form on drop."""
    with page.expect_navigation(timeout=VERIFY_TIMEOUT):
        drop_file(page, page.locator("#drop-zone"), name, pdf, "application/pdf")
    expect(page.locator("#verdict")).to_be_visible()


def test_a_visitor_checks_a_copy_on_the_public_page_and_on_its_qr_page(
    page: Page, console: Console, copy_on_record: dict[str, Any]
) -> None:
    violations = csp_violations(page)
    number = copy_on_record["number_text"]

    # The public page: no sign-in, Vietnamese by default.
    page.goto("/public/verify")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#whoami")).to_have_count(0)
    expect(page.locator("form#verify-form div#drop-zone")).to_be_visible()
    drop_and_wait(page, "ban-sao.pdf", copy_on_record["pdf"])
    expect(page.locator("#verdict")).to_have_attribute("data-indication", "TOTAL_PASSED")
    match = page.locator("#record-match")
    expect(match).to_have_attribute("data-identical", "true")
    expect(match).to_have_attribute("data-kind", "certified_copy")
    expect(page.locator("#record-heading")).to_contain_text(f"số {number}")
    expect(page.locator("#record-heading")).to_contain_text("UBND phường Bến Nghé")
    expect(page.locator("#record-status")).to_have_text(
        "Tệp trùng khớp từng byte với bản được lưu trong kho."
    )
    results = page.locator(".signature-result")
    expect(results).to_have_count(2)  # the certifying officer, then the office seal
    expect(results.first.locator(".sig-signer")).to_contain_text("Nguyễn Văn An")
    expect(results.first.locator(".sig-anchor")).not_to_be_empty()
    console.shot(page, "public-verify")

    # In English, a tampered copy: named by the code on its certification page, not the
    # file on record, and its signatures fail.
    page.locator("#lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    drop_and_wait(page, "ban-sao-da-sua.pdf", tamper(copy_on_record["pdf"]))
    expect(page.locator("#verdict")).to_have_attribute("data-indication", "TOTAL_FAILED")
    expect(page.locator("#record-match")).to_have_attribute("data-identical", "false")
    expect(page.locator("#record-status")).to_contain_text("NOT the one on record")
    expect(page.locator("#record-heading")).to_contain_text(f"no. {number}")
    console.shot(page, "public-verify-tampered")

    # The QR page: the record, and the same check against this very copy.
    qr = urlsplit(copy_on_record["verification_url"])
    page.goto(f"{qr.path}?{qr.query}")
    expect(page.locator("#copy-number")).to_have_text(number)
    expect(page.locator("#copy-signatures")).to_have_attribute("data-valid", "true")
    expect(page.locator("#check-heading")).to_be_visible()
    drop_and_wait(page, "ban-sao.pdf", copy_on_record["pdf"])
    expect(page.locator("#record-match")).to_have_attribute("data-identical", "true")
    expect(page.locator("#record-match")).to_have_attribute("data-found-by", "code_given")
    expect(page.locator("#copy-number")).to_have_text(number)  # still the record's page
    console.shot(page, "public-verify-qr")

    assert violations == [], violations
