"""Verifying a signed file: a certified copy passes; the same file with one byte flipped
inside what its signatures cover fails, and the page says so in plain words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.signing.verify.pdfs import tamper

from .support import Console, drop_file, submit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]

# The first check starts the verifier's worker process.
VERIFY_TIMEOUT = 90_000


def test_verify_a_signed_copy_then_a_tampered_one(
    page: Page, console: Console, certified_pdf: bytes
) -> None:
    console.sign_in(page, "verifier")
    page.locator("#nav-verify").click()
    expect(page).to_have_url(re.compile(r"/console/verify$"))
    expect(page.locator("form#verify-form div#drop-zone")).to_be_visible()

    # Chosen with the file picker.
    page.locator("#verify-file").set_input_files(
        files=[{"name": "ban-sao.pdf", "mimeType": "application/pdf", "buffer": certified_pdf}]
    )
    response = submit(page, page.locator("#verify-submit"), timeout=VERIFY_TIMEOUT)
    assert response.status == 200
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-indication", "TOTAL_PASSED")
    expect(verdict).not_to_be_empty()
    results = page.locator(".signature-result")
    expect(results).to_have_count(2)  # the certifying officer, then the office seal
    for i in range(2):
        expect(results.nth(i)).to_have_attribute("data-indication", "TOTAL_PASSED")
    console.shot(page, "verify-report")

    # Dragged onto the drop zone: one byte flipped inside the signed range.
    page.goto("/console/verify")
    drop_file(
        page,
        page.locator("#drop-zone"),
        "ban-sao-da-sua.pdf",
        tamper(certified_pdf),
        "application/pdf",
    )
    # The page's script may submit on drop or only fill the file input: wait for either.
    page.wait_for_function(
        """() => document.querySelector('#verdict') !== null
                 || (document.querySelector('#verify-file')?.files?.length ?? 0) > 0""",
        timeout=VERIFY_TIMEOUT,
    )
    if page.locator("#verdict").count() == 0:
        submit(page, page.locator("#verify-submit"), timeout=VERIFY_TIMEOUT)
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-indication", "TOTAL_FAILED", timeout=VERIFY_TIMEOUT)
    sentence = verdict.inner_text().strip()
    assert sentence, "the verdict says nothing"
    # In words for a person, not the ETSI code.
    assert "TOTAL_FAILED" not in sentence, sentence
    assert "HASH_FAILURE" not in sentence, sentence
    failed = page.locator(".signature-result[data-indication='TOTAL_FAILED']")
    expect(failed.first).to_be_visible()
    console.shot(page, "verify-failed")
