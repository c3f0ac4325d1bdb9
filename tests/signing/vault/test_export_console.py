"""The export page of the console: the owner asks, watches, downloads once; others may not.
In both languages. (Here beside the signing fixtures: building a package needs the seal.)"""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient

from signing.issuing.signer_settings import SignerSettings
from tests.console.support import PASSWORD, Browser, make_officers, page
from tests.factories import png_bytes, upload
from tests.people import AGENCY, People
from tests.signing.vault.test_exports import run_export_jobs
from tests.signing.vault.test_vault_signing import new_owner
from vault.auth import Role
from vault.runtime import Vault


def owner_browser(api: TestClient, vault: Vault, owner_id: str) -> Browser:
    import uuid

    with vault.uows() as uow:
        vault.auth.add_owner_account(
            uow, owner_id=uuid.UUID(owner_id), username="c_huong", password=PASSWORD
        )
        uow.commit()
    browser = Browser(api)
    assert browser.sign_in("c_huong").status_code == 303
    return browser


def test_the_owner_asks_watches_and_downloads_once_in_both_languages(
    api: TestClient, people: People, vault: Vault, signer_settings: SignerSettings
) -> None:
    owner_id = new_owner(api, people)
    upload(api, owner_id, png_bytes(), headers=people.auth("clerk"))
    owner = owner_browser(api, vault, owner_id)

    first = owner.get("/console/exports")
    assert first.status_code == 200
    doc = page(first)
    assert doc.get_element_by_id("exports-none") is not None
    assert doc.get_element_by_id("nav-exports") is not None
    r = owner.post("/console/exports", {"include_superseded": "on"}, csrf_from="/console/exports")
    assert r.status_code == 303
    listed = owner.get("/console/exports")
    assert "Đã ghi nhận yêu cầu" in listed.text
    rows = page(listed).xpath("//tr[contains(@class,'export-row')]")
    assert [row.get("data-status") for row in rows] == ["pending"]
    assert "Đang tạo" in rows[0].text_content()

    run_export_jobs(vault, signer_settings)
    owner.client.cookies.set("console_lang", "en", path="/console")
    ready = page(owner.get("/console/exports"))
    row = ready.xpath("//tr[contains(@class,'export-row')]")[0]
    assert row.get("data-status") == "ready" and "Ready" in row.text_content()
    assert "Download (once)" in row.text_content()
    export_id = row.xpath(".//form/@action")[0].split("/")[3]

    r = owner.post(f"/console/exports/{export_id}/download", csrf_from="/console/exports")
    assert r.status_code == 303
    link = r.headers["location"]
    got = owner.client.get(link)
    assert got.status_code == 200
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        assert "manifest.json.p7s" in z.namelist()
    assert owner.client.get(link).status_code == 404  # once
    done = page(owner.get("/console/exports")).xpath("//tr[contains(@class,'export-row')]")[0]
    assert done.get("data-status") == "downloaded" and "Downloaded" in done.text_content()


def test_officers_and_other_owners_may_not(api: TestClient, people: People, vault: Vault) -> None:
    owner_id = new_owner(api, people)
    owner = owner_browser(api, vault, owner_id)
    owner.post("/console/exports", {}, csrf_from="/console/exports")
    assert page(owner.get("/console/exports")).xpath("//tr/@data-status") == ["pending"]
    make_officers(vault, {"c_clerk": (AGENCY, (Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER))})
    officer = Browser(api)
    assert officer.sign_in("c_clerk").status_code == 303
    r = officer.get("/console/exports")
    assert r.status_code == 403
    assert page(officer.get("/console/")).xpath("//a[@id='nav-exports']") == []
    r = officer.post("/console/exports", {}, csrf_from="/console/")
    assert r.status_code == 403
