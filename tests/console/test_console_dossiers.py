"""Receiving a dossier: record it, see the needed papers (on file and usable, rejected and
why, missing), attach with one click, upload a scan of a missing one."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from ocr.recognised import ocr_states
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    Browser,
    Console,
    console_fixture,
    page,
)
from tests.factories import create_owner, pdf_bytes, png_bytes, upload
from tests.people import AGENCY, People

PROCEDURE = "1.001193"  # birth registration: marriage certificate + chip ID card


def _papers(client: TestClient, people: People, owner_id: str) -> dict[str, str]:
    """Papers another agency issued: open to ours only through a dossier."""
    other = people.auth("other_clerk")
    v1 = upload(
        client,
        owner_id,
        png_bytes(),
        paper_type="marriage_certificate",
        title="Giấy chứng nhận kết hôn",
        headers=other,
        issue_date="2019-05-01",
    )
    r = client.post(
        f"/api/v1/documents/{v1['id']}/versions",
        headers=other,
        data={
            "paper_type": "marriage_certificate",
            "title": "Giấy chứng nhận kết hôn",
            "origin": "issued_result",
            "issue_date": "2020-05-01",
        },
        files={"file": ("v2.png", png_bytes(130, 90), "image/png")},
    )
    assert r.status_code == 201, r.text
    expired = upload(
        client,
        owner_id,
        png_bytes(140, 80),
        paper_type="chip_id_card",
        title="Căn cước công dân",
        headers=other,
        issue_date="2010-01-01",
        valid_until="2020-01-01",
    )
    return {"v1": v1["id"], "v2": r.json()["id"], "expired_id": expired["id"]}


def _receive(b: Browser, owner_id: str, code: str = "") -> str:
    form = page(b.get(f"/console/owners/{owner_id}/dossiers/new"))
    assert form.get_element_by_id("dossier-form").get("action") == (
        f"/console/owners/{owner_id}/dossiers"
    )
    assert PROCEDURE in form.xpath("//select[@id='procedure']/option/@value")
    assert form.get_element_by_id("dossier-code") is not None
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": code, "procedure_code": PROCEDURE},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/console/dossiers/")
    return r.headers["location"].rsplit("/", 1)[1]


def _needed(b: Browser, dossier_id: str) -> dict[str, object]:
    doc = page(b.get(f"/console/dossiers/{dossier_id}"))
    return {li.get("data-paper-type"): li for li in doc.xpath("//ul[@id='needed-papers']/li")}


def test_receive_attach_and_upload(console: Console, client: TestClient, people: People) -> None:
    owner_id = create_owner(client)
    ids = _papers(client, people, owner_id)
    b = console.browser("c_receiver")
    # before the dossier: nothing of the other agency's papers is open
    assert ids["v2"] not in b.get(f"/console/owners/{owner_id}").text

    dossier_id = _receive(b, owner_id)
    r = b.get(f"/console/dossiers/{dossier_id}")
    doc = page(r)
    code = doc.xpath("//h1")[0].text_content().strip()
    assert code.startswith(f"{AGENCY}-") and code.endswith("-0001")
    assert "Đã ghi nhận hồ sơ" in doc.get_element_by_id("flash").text_content()
    needed = _needed(b, dossier_id)
    assert set(needed) == {"marriage_certificate", "chip_id_card"}

    marriage = needed["marriage_certificate"]
    assert marriage.get("data-state") == "on-file"
    assert marriage.xpath(
        ".//li[contains(concat(' ', @class, ' '), ' candidate ')]/@data-document-id"
    ) == [ids["v2"]]
    assert marriage.xpath(".//form[contains(@class,'attach-form')]/@action") == [
        f"/console/dossiers/{dossier_id}/attach"
    ]
    rejected = marriage.xpath(".//li[contains(@class,'rejected-candidate')]")
    assert [li.get("data-document-id") for li in rejected] == [ids["v1"]]
    assert "phiên bản mới" in rejected[0].xpath(".//span[@class='reject-reason']")[0].text_content()

    chip = needed["chip_id_card"]
    assert chip.get("data-state") == "missing"
    reason = chip.xpath(
        ".//li[contains(@class,'rejected-candidate')]//span[@class='reject-reason']"
    )
    assert "hết hiệu lực từ ngày 01/01/2020" in reason[0].text_content()
    assert chip.xpath(".//form[contains(@class,'upload-form')]/@enctype") == ["multipart/form-data"]

    # attach with one click
    r = b.post(
        f"/console/dossiers/{dossier_id}/attach",
        {"document_id": ids["v2"]},
        csrf_from=f"/console/dossiers/{dossier_id}",
    )
    assert r.status_code == 303 and r.headers["location"] == f"/console/dossiers/{dossier_id}"
    assert _needed(b, dossier_id)["marriage_certificate"].get("data-state") == "attached"
    # a paper that cannot be used is refused, and nothing is attached
    refused = b.post(
        f"/console/dossiers/{dossier_id}/attach",
        {"document_id": ids["v1"]},
        csrf_from=f"/console/dossiers/{dossier_id}",
    )
    assert refused.status_code == 409
    assert _attached(console, dossier_id) == {ids["v2"]}

    # upload the missing paper: stored (digitised), attached, queued for OCR
    r = b.post(
        f"/console/dossiers/{dossier_id}/upload",
        {
            "paper_type": "chip_id_card",
            "reference_number": "079203001234",
            "issued_on": "2021-06-01",
        },
        files={"file": ("cccd.pdf", pdf_bytes(), "application/pdf")},
        csrf_from=f"/console/dossiers/{dossier_id}",
    )
    assert r.status_code == 303, r.text
    chip = _needed(b, dossier_id)["chip_id_card"]
    assert chip.get("data-state") == "attached"
    new_ids = _attached(console, dossier_id) - {ids["v2"]}
    assert len(new_ids) == 1
    new_id = new_ids.pop()
    with console.vault.uows() as uow:
        stored = uow.documents.get(uuid.UUID(new_id))
        assert stored is not None and stored.origin.value == "digitised"
        assert stored.issue_date is not None and stored.issue_date.isoformat() == "2021-06-01"
    with console.vault.uows() as uow:
        assert ocr_states(uow, [uuid.UUID(new_id)])[uuid.UUID(new_id)].status.value == "pending"
    # it is in the warehouse the officer sees now, with its OCR status
    row = page(b.get(f"/console/owners/{owner_id}")).xpath(f"//tr[@data-document-id='{new_id}']")
    assert row and row[0].xpath(".//span[contains(@class,'ocr-badge')]/@data-status") == ["pending"]


def _attached(console: Console, dossier_id: str) -> set[str]:
    with console.vault.uows() as uow:
        return {str(a.document_id) for a in uow.dossiers.attachments(uuid.UUID(dossier_id))}


def test_attach_and_upload_need_the_csrf_token(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    ids = _papers(client, people, owner_id)
    b = console.browser("c_receiver")
    dossier_id = _receive(b, owner_id)
    r = b.post(
        f"/console/dossiers/{dossier_id}/attach",
        {"document_id": ids["v2"], "csrf_token": "a" * 64},
        csrf_from=None,
    )
    assert r.status_code == 403 and page(r).get_element_by_id("csrf-error") is not None
    r = b.post(
        f"/console/dossiers/{dossier_id}/upload",
        {"paper_type": "chip_id_card"},
        files={"file": ("x.png", png_bytes(), "image/png")},
        csrf_from=None,
    )
    assert r.status_code == 403
    assert _attached(console, dossier_id) == set()


def test_dossier_form_errors_and_other_agencies(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    b = console.browser("c_receiver")
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "not-a-code", "procedure_code": PROCEDURE},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 422
    assert page(r).get_element_by_id("dossier-error").get("role") == "alert"
    dossier_id = _receive(b, owner_id)
    # the next one gets the next number of the day
    second = _receive(b, owner_id)
    h1 = page(b.get(f"/console/dossiers/{second}")).xpath("//h1")[0].text_content()
    assert h1.strip().endswith("-0002")
    # another agency's officer may not see the dossier: 403 in plain words
    denied = console.browser("c_other").get(f"/console/dossiers/{dossier_id}")
    assert denied.status_code == 403
    assert page(denied).get_element_by_id("denied-message").get("role") == "alert"
    # a verifier has no receiving role: the dossier page is refused too
    assert console.browser("c_verifier").get(f"/console/dossiers/{dossier_id}").status_code == 403
