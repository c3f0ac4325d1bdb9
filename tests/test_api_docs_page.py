"""/docs as a person sees it: Debian's Chromium loads Swagger UI from the vault itself (no CDN
can be reached here anyway), under its CSP, with no script error and no CSP violation, and the
upload operation shows its multipart fields. A screenshot goes to test-artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from signing.verify import Verifier
from tests.conftest import api_app
from tests.support.live import serve
from vault.runtime import Vault

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
UPLOAD_OPERATION = "#operations-documents-upload_document_api_v1_owners__owner_id__documents_post"


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_swagger_ui_renders_from_the_vault_under_its_csp(
    vault: Vault, test_verifier: Verifier
) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    problems: list[str] = []
    outside: list[str] = []
    with serve(api_app(vault, test_verifier)) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )
            page.on(
                "request",
                lambda request: (
                    None
                    if request.url.startswith(base_url) or request.url.startswith("data:")
                    else outside.append(request.url)
                ),
            )
            page.goto(base_url + "/docs")
            page.wait_for_selector(UPLOAD_OPERATION, timeout=30_000)
            body = page.inner_text("body")
            assert "Unable to render this definition" not in body
            assert "Citizen document vault" in body
            page.click(UPLOAD_OPERATION)
            operation = page.locator(UPLOAD_OPERATION)
            operation.get_by_text("Request body").first.wait_for()
            fields = operation.inner_text()
            for name in ("paper_type", "title", "dossier_id", "file"):
                assert name in fields, name
            assert operation.locator("select", has_text="multipart/form-data").count() == 1
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            operation.screenshot(path=str(SCREENSHOTS / "api-docs-upload.png"))
        finally:
            browser.close()
    assert problems == []  # no script error, no refused script or style (CSP)
    assert outside == []  # nothing from any other origin
