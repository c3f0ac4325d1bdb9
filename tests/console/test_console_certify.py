"""Certify a copy from the console with real signing: the development PKI, SoftHSM2 keys
behind a CSC service (the fixtures of tests/signing), the officer's PIN and the office seal."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import text

from api import create_app
from signing.issuing.signer_settings import SignerSettings
from signing.issuing.wiring import VaultSigning
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    OFFICERS,
    Browser,
    Console,
    console_fixture,
    make_officers,
    page,
)
from tests.factories import CITIZEN_ID, create_owner, png_bytes, upload
from tests.people import AGENCY, People
from tests.signing.conftest import dev, pki, runtime  # noqa: F401 - fixtures
from tests.signing.vault.conftest import PUBLIC_BASE, csc  # noqa: F401 - fixtures
from tests.signing.vault.conftest import signer_settings as base_signer_settings  # noqa: F401
from vault.auth import Role
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


def _form_of(response: Any) -> dict[str, str]:
    """The hidden fields of the certify form as the page gave them (CSRF token, the
    form's idempotency key, the owner's opaque id once looked up)."""
    doc = page(response)
    return {
        name: doc.xpath(f"//form[@id='certify-form']//input[@name='{name}']/@value")[0]
        for name in ("csrf_token", "form_key", "owner_id", "staged_id")
        if doc.xpath(f"//form[@id='certify-form']//input[@name='{name}']")
    }


def _submit(
    b: Browser,
    path: str,
    pin: str,
    *,
    form: dict[str, str] | None = None,
    identifier: str = CITIZEN_ID,
    with_scans: bool = True,
) -> Any:
    hidden = form if form is not None else _form_of(b.get("/console/certify"))
    return b.post(
        path,
        {
            **hidden,
            "owner_identifier": identifier,
            "paper_type": "diploma",
            "title": "",
            "pin": pin,
            "book": "01/2026-SCT/BS-ĐT",
        },
        # No file chosen: a browser still sends the part, with an empty name and no bytes.
        files=[
            ("scans", ("p1.jpg", scan(), "image/jpeg"))
            if with_scans
            else ("scans", ("", b"", "application/octet-stream"))
        ],
        csrf_from=None,
    )


def _masked_form(r: Any) -> dict[str, str]:
    """After a look-up the page shows the number masked, carries the opaque owner id, and
    the full number appears nowhere in it."""
    assert CITIZEN_ID not in r.text
    shown = page(r).get_element_by_id("owner-identifier").get("value")
    assert shown == "•" * 8 + CITIZEN_ID[-4:]
    form = _form_of(r)
    assert form["owner_id"]
    return {**form, "owner_identifier": shown}


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
    assert r.status_code == 200, r.text
    masked = _masked_form(r)
    previews = page(r).xpath("//img[contains(@class,'preview-page')]/@src")
    assert len(previews) == 2  # the scan and the certification page
    assert all(src.startswith("data:image/png;base64,") for src in previews)
    assert _count(console.vault, "documents") == 0
    assert _count(console.vault, "certified_copies") == 0

    # a wrong PIN (the form as the preview left it: the masked number, the owner's id): the
    # form again with the error, nothing stored, the number still masked
    r = _submit(b, "/console/certify", "000000", form=masked, identifier=masked["owner_identifier"])
    assert r.status_code == 422
    error = page(r).get_element_by_id("certify-error")
    assert error.get("role") == "alert" and "PIN" in error.text_content()
    assert _count(console.vault, "documents") == 0
    masked = _masked_form(r)

    # Post/Redirect/Get: the result is a page of its own
    r = _submit(
        b, "/console/certify", OFFICER_PIN, form=masked, identifier=masked["owner_identifier"]
    )
    assert r.status_code == 303, r.text
    result = r.headers["location"]
    assert result.startswith("/console/certified/")
    r = b.get(result)
    assert r.status_code == 200
    assert CITIZEN_ID not in r.text
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


def test_the_same_form_sent_twice_certifies_once(
    signing_console: Console, client: TestClient
) -> None:
    """A reload of the POST or a double click: the form's key makes the second one return
    the first copy (one document, one number), and both land on the same result page."""
    console = signing_console
    create_owner(client)
    b = console.browser("c_clerk")
    form = _form_of(b.get("/console/certify"))
    assert len(form["form_key"]) >= 22
    first = _submit(b, "/console/certify", OFFICER_PIN, form=form)
    assert first.status_code == 303, first.text
    again = _submit(b, "/console/certify", OFFICER_PIN, form=form)
    assert again.status_code == 303, again.text
    assert again.headers["location"] == first.headers["location"]
    assert _count(console.vault, "certified_copies") == 1
    assert _count(console.vault, "documents") == 1
    shown = page(b.get(again.headers["location"]))
    assert shown.get_element_by_id("certification-number").text_content().strip() == "1/ĐT"
    assert "đã được gửi trước đó" in shown.get_element_by_id("flash").text_content()
    # a fresh form is another certification: the next number
    r = _submit(b, "/console/certify", OFFICER_PIN)
    assert r.status_code == 303
    assert r.headers["location"] != first.headers["location"]
    number = page(b.get(r.headers["location"])).get_element_by_id("certification-number")
    assert number.text_content().strip() == "2/ĐT"
    assert _count(console.vault, "certified_copies") == 2
    # a form without its key is refused (and shown again with a fresh one), nothing stored
    stale = _submit(b, "/console/certify", OFFICER_PIN, form={**form, "form_key": ""})
    assert stale.status_code == 422
    assert page(stale).get_element_by_id("certify-error").get("role") == "alert"
    assert _form_of(stale)["form_key"] not in ("", form["form_key"])
    assert CITIZEN_ID not in stale.text
    assert _count(console.vault, "certified_copies") == 2


def test_the_result_page_follows_the_access_rules(
    signing_console: Console, client: TestClient
) -> None:
    console = signing_console
    owner_id = create_owner(client)
    b = console.browser("c_clerk")
    r = _submit(b, "/console/certify", OFFICER_PIN)
    assert r.status_code == 303, r.text
    result = r.headers["location"]
    # another agency's officer may not read the copy, nor its result page
    assert console.browser("c_other").get(result).status_code == 403
    # a paper that is no certified copy has no result page
    plain = upload(client, owner_id, png_bytes())
    assert b.get(f"/console/certified/{plain['id']}").status_code == 404


def test_an_unknown_number_is_not_echoed_and_a_new_one_replaces_the_owner(
    signing_console: Console, client: TestClient
) -> None:
    console = signing_console
    create_owner(client)
    b = console.browser("c_clerk")
    r = _submit(b, "/console/certify/preview", "", identifier="079203009999")
    assert r.status_code == 404
    assert "079203009999" not in r.text
    assert page(r).get_element_by_id("owner-identifier").get("value") == ""
    # a masked value with no owner id behind it, or one that is not the owner's: refused
    masked = _masked_form(_submit(b, "/console/certify/preview", ""))
    r = _submit(b, "/console/certify/preview", "", form=masked, identifier="••••••••0000")
    assert r.status_code == 422
    assert page(r).get_element_by_id("certify-error") is not None
    assert _count(console.vault, "documents") == 0


def test_the_preview_keeps_the_scans_so_signing_needs_them_not_again(
    signing_console: Console, client: TestClient
) -> None:
    """The scans chosen for the preview are kept server-side (encrypted, expiring): signing
    takes them from there, and only their officer may."""
    console = signing_console
    make_officers(console.vault, {"c_certifier2": (AGENCY, (Role.CERTIFYING_OFFICER,))})
    create_owner(client)
    b = console.browser("c_clerk")
    r = _submit(b, "/console/certify/preview", "")
    assert r.status_code == 200, r.text
    masked = _masked_form(r)
    staged_id = masked["staged_id"]
    assert staged_id
    shown = page(r)
    assert shown.get_element_by_id("scans").get("required") is None
    assert "2 tệp" not in shown.get_element_by_id("staged-scans-hint").text_content()
    assert "1 tệp" in shown.get_element_by_id("staged-scans-hint").text_content()
    assert _count(console.vault, "staged_scans") == 1

    # Another officer's session, even with the id and the same owner: nothing kept for them.
    other = console.browser("c_certifier2")
    stolen = {**_form_of(other.get("/console/certify")), "staged_id": staged_id}
    r = _submit(other, "/console/certify", OFFICER_PIN, form=stolen, with_scans=False)
    assert r.status_code == 422
    assert "hết hạn" in page(r).get_element_by_id("certify-error").text_content(), r.text[:3000]
    assert not page(r).xpath("//input[@name='staged_id']")
    assert _count(console.vault, "certified_copies") == 0

    # A wrong PIN keeps them; the right one signs the copy from them, and they are gone.
    r = _submit(
        b,
        "/console/certify",
        "000000",
        form=masked,
        identifier=masked["owner_identifier"],
        with_scans=False,
    )
    assert r.status_code == 422
    again = _masked_form(r)
    assert again["staged_id"] == staged_id
    r = _submit(
        b,
        "/console/certify",
        OFFICER_PIN,
        form=again,
        identifier=again["owner_identifier"],
        with_scans=False,
    )
    assert r.status_code == 303, r.text
    done = page(b.get(r.headers["location"]))
    assert done.get_element_by_id("certification-number").text_content().strip() == "1/ĐT"
    assert _count(console.vault, "staged_scans") == 0
    assert not list(console.vault.uows.blobs.list("staging/"))
    # The copy is built from the kept scan: the scan page and the certification page.
    document = done.get_element_by_id("certified-copy-link").get("href")
    assert len(page(b.get(document)).xpath("//img[contains(@class,'page-image')]")) == 2

    # The same form sent again (a double click after the first used the scans up): the
    # first copy, not an error and not a second number.
    r = _submit(
        b,
        "/console/certify",
        OFFICER_PIN,
        form=again,
        identifier=again["owner_identifier"],
        with_scans=False,
    )
    assert r.status_code == 303
    assert _count(console.vault, "certified_copies") == 1
