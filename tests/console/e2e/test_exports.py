"""The citizen's export page in a real browser: she asks for a copy of her warehouse and
sees it being built (the package itself is built and downloaded in
tests/signing/vault/test_export_console.py, where the seal's one-time passwords are the
test's own)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .support import Console, submit
from .test_desk import citizen  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]


def test_the_citizen_asks_for_a_copy_of_her_warehouse(
    page: Page,
    console: Console,
    citizen: str,  # noqa: F811 - the fixture imported above
) -> None:
    console.sign_in(page, citizen)
    page.locator("a#nav-exports").click()
    expect(page.locator("h1")).to_have_text("Sao chép kho dữ liệu của tôi")
    page.locator("input#export-superseded").check()
    response = submit(page, page.locator("button#export-submit"))
    assert response.status == 200
    expect(page.locator("#flash")).to_contain_text("Đã ghi nhận yêu cầu")
    row = page.locator("tr.export-row").first
    expect(row).to_have_attribute("data-status", "pending")
    expect(row.locator("td.export-status")).to_contain_text("Đang tạo")
    console.shot(page, "exports-vi")
    page.locator("#lang-toggle").click()
    expect(page.locator("h1")).to_have_text("A copy of my warehouse")
    expect(page.locator("tr.export-row td.export-status").first).to_contain_text("Being built")
    console.shot(page, "exports-en")
