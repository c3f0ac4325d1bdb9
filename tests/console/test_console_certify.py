"""Certify a copy from the console with real signing: the development PKI, SoftHSM2 keys
behind a CSC service (the fixtures of tests/signing), the officer's PIN and the office seal."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import text

from api import create_app
from signing.signer_settings import SignerSettings
from signing.wiring import VaultSigning
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    OFFICERS,
    Browser,
    Console,
    console_fixture,
    make_officers,
    page,
)
from tests.factories import CITIZEN_ID, create_owner
from tests.people import People
from tests.signing.conftest import dev, pki, runtime  # noqa: F401 - fixtures
from tests.signing.vault.conftest import PUBLIC_BASE, csc  # noqa: F401 - fixtures
from tests.signing.vault.conftest import signer_settings as base_signer_settings  # noqa: F401
from vault.runtime import Vault

OFFICER_PIN = "111111"  # of the development credential h57-officer-an


def scan() -> bytes:
    image = Image.new("RGB", (620, 877), (235, 235, 230))
    draw = ImageDraw.Draw(image)
    for y in range(60, 800, 40):
        draw.line((60, y, 560, y), fill=(30, 30, 30), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture
def signing_console(
    vault: Vault,
    people: People,
    base_signer_settings: SignerSettings,  # noqa: F811
) -> Iterator[Console]:
    make_officers(vault, OFFICERS)
    settings = base_signer_settings.model_copy(
        update={"officers": {**base_signer_settings.officers, "c_clerk": "h57-officer-an"}}
    )
    signing = VaultSigning.build(vault, settings)
    app = create_app(vault=vault)
    app.state.vault_signing = signing  # given ready-made, as the vault is
    app.state.verifier = signing.verifier  # trusts the development root, as deployed would
    try:
        with TestClient(app):
            yield Console(vault, people, app)
    finally:
        signing.close()


def _count(vault: Vault, table: str) -> int:
    with vault.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def _submit(b: Browser, path: str, pin: str) -> object:
    return b.post(
        path,
        {
            "owner_identifier": CITIZEN_ID,
            "paper_type": "diploma",
            "title": "",
            "pin": pin,
            "book": "01/2026-SCT/BS-ĐT",
        },
        files=[("scans", ("p1.jpg", scan(), "image/jpeg"))],
        csrf_from="/console/certify",
    )


def test_preview_wrong_pin_then_certify(signing_console: Console, client: TestClient) -> None:
    console = signing_console
    create_owner(client)
    b = console.browser("c_clerk")
    form = page(b.get("/console/certify"))
    for hook in (
        "certify-form",
        "owner-identifier",
        "paper-type",
        "scans",
        "pin",
        "preview-button",
        "certify-button",
    ):
        assert form.get_element_by_id(hook) is not None, hook
    assert form.get_element_by_id("preview-button").get("formaction") == "/console/certify/preview"
    assert not form.xpath("//*[@id='certify-error']")

    # the preview: the copy's pages, nothing stored, no number taken
    r = _submit(b, "/console/certify/preview", "")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    previews = page(r).xpath("//img[contains(@class,'preview-page')]/@src")
    assert len(previews) == 2  # the scan and the certification page
    assert all(src.startswith("data:image/png;base64,") for src in previews)
    assert _count(console.vault, "documents") == 0
    assert _count(console.vault, "certified_copies") == 0

    # a wrong PIN: the form again with the error, nothing stored
    r = _submit(b, "/console/certify", "000000")
    assert r.status_code == 422  # type: ignore[attr-defined]
    error = page(r).get_element_by_id("certify-error")
    assert error.get("role") == "alert" and "PIN" in error.text_content()
    assert _count(console.vault, "documents") == 0

    r = _submit(b, "/console/certify", OFFICER_PIN)
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    done = page(r)
    assert done.get_element_by_id("certification-number").text_content().strip() == "1/ĐT"
    link = done.get_element_by_id("certified-copy-link").get("href")
    assert link.startswith("/console/documents/")
    assert (
        done.get_element_by_id("public-verification-link")
        .get("href")
        .startswith(f"{PUBLIC_BASE}/public/certified-copies/")
    )
    # the stored copy carries the officer's signature and the office seal
    shown = page(b.get(link))
    entries = shown.xpath("//section[@id='signature-panel']//*[contains(@class,'signature-entry')]")
    assert len(entries) == 2
    assert {e.get("data-indication") for e in entries} == {"TOTAL_PASSED"}


def test_certify_without_signing_says_so(console: Console) -> None:
    r = console.browser("c_clerk").get("/console/certify")
    assert r.status_code == 200
    error = page(r).get_element_by_id("certify-error")
    assert "chưa được cấu hình" in error.text_content()
    # only certifying officers
    assert console.browser("c_receiver").get("/console/certify").status_code == 403
