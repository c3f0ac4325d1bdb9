"""Verify a file, search, the owner's access log and the agency's 766 indicators."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from ocr.search import reindex
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    PASSWORD,
    Console,
    console_fixture,
    page,
)
from tests.factories import create_owner, pdf_bytes, png_bytes, signed_pdf_bytes, upload
from tests.people import AGENCY, People
from vault.services.dossiers import VIETNAM


def _verify(console: Console, name: str, data: bytes, mime: str = "application/pdf") -> object:
    b = console.browser("c_verifier")
    form = page(b.get("/console/verify"))
    assert form.get_element_by_id("verify-form").get("enctype") == "multipart/form-data"
    for hook in ("drop-zone", "verify-file", "verify-submit"):
        assert form.get_element_by_id(hook) is not None
    return b.post(
        "/console/verify", files={"file": (name, data, mime)}, csrf_from="/console/verify"
    )


def test_verify_an_unsigned_and_a_signed_pdf(console: Console) -> None:
    r = _verify(console, "plain.pdf", pdf_bytes())
    assert r.status_code == 200  # type: ignore[attr-defined]
    doc = page(r)
    verdict = doc.get_element_by_id("verdict")
    assert verdict.get("data-indication") == "NO_SIGNATURE"
    assert "không có chữ ký số" in verdict.text_content()
    assert not doc.xpath("//*[contains(@class,'signature-result')]")

    r = _verify(console, "signed.pdf", signed_pdf_bytes())
    doc = page(r)
    verdict = doc.get_element_by_id("verdict")
    # a throw-away self-signed certificate chains to no trusted root
    assert verdict.get("data-indication") in {"INDETERMINATE", "TOTAL_FAILED"}
    results = doc.xpath("//*[contains(@class,'signature-result')]")
    assert len(results) == 1
    assert results[0].get("data-indication") == verdict.get("data-indication")
    text = results[0].text_content()
    assert "Test signer" in text and "PKCS7-B" in text
    assert results[0].xpath(".//ul[@class='reasons']/li")  # what failed, in words

    not_pdf = _verify(console, "x.png", png_bytes(), "image/png")
    assert not_pdf.status_code == 415  # type: ignore[attr-defined]
    assert page(not_pdf).get_element_by_id("verify-error").get("role") == "alert"


def test_search_highlights_what_the_officer_may_see(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    ours = upload(
        client,
        owner_id,
        png_bytes(),
        title="Giấy khai sinh Nguyễn Thị Hương",
        reference_number="15/QĐ-UBND",
    )
    upload(
        client,
        owner_id,
        png_bytes(),
        paper_type="driving_licence",
        title="Giấy phép lái xe Nguyễn Thị Hương",
        headers=people.auth("other_clerk"),
    )
    reindex(console.vault.uows)
    b = console.browser("c_clerk")
    r = b.post("/console/search", {"q": "nguyen thi huong"}, csrf_from="/console/search")
    assert r.status_code == 200, r.text[:300]
    doc = page(r)
    assert doc.get_element_by_id("search-query").get("value") == "nguyen thi huong"
    hits = doc.xpath("//ol[@id='search-results']/li[contains(@class,'search-result')]")
    assert [h.get("data-document-id") for h in hits] == [ours["id"]]
    marks = [m.text_content() for m in hits[0].xpath(".//mark")]
    assert marks == ["Nguyễn", "Thị", "Hương"]
    assert hits[0].xpath(".//a/@href")[0] == f"/console/documents/{ours['id']}"
    # the query text is escaped, never markup
    r = b.post("/console/search", {"q": "<script>x</script>"}, csrf_from="/console/search")
    assert "<script>x</script>" not in r.text
    assert page(r).get_element_by_id("search-empty") is not None


def test_owner_sees_the_access_log(console: Console, client: TestClient) -> None:
    owner_id = create_owner(client)
    d = upload(client, owner_id, png_bytes())
    with console.vault.uows() as uow:
        console.vault.auth.add_owner_account(
            uow, owner_id=uuid.UUID(owner_id), username="c_huong", password=PASSWORD
        )
        uow.commit()
    officer = console.browser("c_clerk")
    assert officer.get(f"/console/documents/{d['id']}").status_code == 200
    # officers have no access log of their own
    assert officer.get("/console/access-log").status_code == 403

    owner = console.browser("c_huong")
    home = owner.get("/console/")
    assert home.status_code == 303 and home.headers["location"] == "/console/access-log"
    r = owner.get("/console/access-log")
    doc = page(r)
    assert "Chủ sở hữu" in doc.get_element_by_id("whoami").text_content()
    table = doc.get_element_by_id("access-log")
    text = table.text_content()
    assert "Cán bộ Clerk" in text and "UBND phường Bến Nghé" in text and "Xem giấy tờ" in text
    headers = [th.text_content() for th in table.xpath(".//th")]
    assert {"Người truy cập", "Cơ quan", "Mục đích", "Thời gian"} <= set(headers)


def test_indicators_table_and_chart(console: Console, client: TestClient) -> None:
    owner_id = create_owner(client)
    b = console.browser("c_receiver")
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "", "procedure_code": "1.001193"},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 303
    month = datetime.now(UTC).astimezone(VIETNAM).strftime("%Y-%m")
    doc = page(b.get("/console/indicators"))
    assert doc.get_element_by_id("indicators-form").get("method") == "get"
    assert doc.get_element_by_id("indicators-month").get("value") == month
    rows = doc.xpath("//table[@id='indicators']//tr[@data-code]")
    assert [row.get("data-code") for row in rows] == ["4.1", "4.2", "4.3", "4.4"]
    assert "1 hồ sơ" in doc.xpath("//main")[0].text_content()
    chart = doc.xpath("//*[local-name()='svg' and @id='indicators-chart']")
    assert chart and len(chart[0].xpath(".//*[local-name()='rect']")) == 4
    # another month: nothing received
    other = page(b.get("/console/indicators", params={"month": "2020-01"}))
    assert other.get_element_by_id("indicators-month").get("value") == "2020-01"
    assert "0 hồ sơ" in other.xpath("//main")[0].text_content()
    assert AGENCY in other.xpath("//main")[0].text_content()
