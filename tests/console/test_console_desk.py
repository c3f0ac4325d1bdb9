"""Issue 12 at the desk: receiving a dossier (nothing preselected, each candidate in full,
closed dossiers), the owner's dossiers and closing one, refusals on the dossier page in
Vietnamese, downloads under the API's rules, and the navigation each role sees."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from ocr.worker import ocr_runner
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    PASSWORD,
    Browser,
    Console,
    console_fixture,
    page,
)
from tests.factories import create_owner, pdf_bytes, png_bytes, upload
from tests.people import People
from vault.audit import Outcome

PROCEDURE = "1.001193"  # birth registration: marriage certificate + chip ID card
# What the domain says in English; none of it may reach a Vietnamese page.
ENGLISH = re.compile(
    r"only PDF|accepted|corrupt|truncated|Error:|Illegal|the dossier is closed|cannot be used",
    re.IGNORECASE,
)


def _receive(b: Browser, owner_id: str) -> str:
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "", "procedure_code": PROCEDURE},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"].rsplit("/", 1)[1])


def _marriage_certificate(client: TestClient, people: People, owner_id: str) -> dict[str, Any]:
    """A paper another agency issued: open to ours through a dossier only."""
    return upload(
        client,
        owner_id,
        png_bytes(),
        paper_type="marriage_certificate",
        title="Giấy chứng nhận kết hôn số 12/2019",
        reference_number="KH-12/2019",
        issue_date="2019-05-01",
        headers=people.auth("other_clerk"),
    )


def _needed(doc: Any, paper_type: str) -> Any:
    found = doc.xpath(f"//ul[@id='needed-papers']/li[@data-paper-type='{paper_type}']")
    assert len(found) == 1, paper_type
    return found[0]


def _count_documents(console: Console, owner_id: str) -> int:
    with console.vault.uows() as uow:
        found = uow.documents.list_for_owner(
            uuid.UUID(owner_id),
            paper_type=None,
            origin=None,
            valid_on=None,
            include_superseded=True,
            before_id=None,
            limit=1000,
        )
    return len(found)


def test_the_procedure_is_chosen_by_the_officer_not_preselected(
    console: Console, client: TestClient
) -> None:
    owner_id = create_owner(client)
    b = console.browser("c_receiver")
    form = page(b.get(f"/console/owners/{owner_id}/dossiers/new"))
    options = form.xpath("//select[@id='procedure']/option")
    selected = [o for o in options if o.get("selected") is not None]
    assert len(selected) == 1 and selected[0].get("value") == ""
    assert selected[0].get("disabled") is not None  # a prompt, not a choice
    assert form.xpath("//select[@id='procedure']/@required")
    # Posted without a choice (a browser without `required`): refused, in Vietnamese.
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "", "procedure_code": ""},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 422
    error = page(r).get_element_by_id("dossier-error").text_content()
    assert "Thủ tục hành chính" in error
    assert not ENGLISH.search(error) and "procedure" not in error
    with console.vault.uows() as uow:
        assert (
            uow.dossiers.list_for_owner(uuid.UUID(owner_id), before_id=None, limit=10, agency=None)
            == []
        )

    # The same code typed twice: the second time opens the first, and says so.
    dossier_id = _receive(b, owner_id)
    with console.vault.uows() as uow:
        dossier = uow.dossiers.get(uuid.UUID(dossier_id))
        assert dossier is not None
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": dossier.code, "procedure_code": PROCEDURE},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 303 and r.headers["location"] == f"/console/dossiers/{dossier_id}"
    flash = page(b.get(r.headers["location"])).get_element_by_id("flash").text_content()
    assert "đã được ghi nhận trước đó" in flash


def test_candidates_show_title_number_issuer_and_dates_and_attached_ones_are_marked(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    paper = _marriage_certificate(client, people, owner_id)
    b = console.browser("c_receiver")
    dossier_id = _receive(b, owner_id)
    doc = page(b.get(f"/console/dossiers/{dossier_id}"))
    candidate = _needed(doc, "marriage_certificate").xpath(".//li[@class='candidate']")[0]
    text = candidate.text_content()
    assert "Giấy chứng nhận kết hôn số 12/2019" in text  # the title, not only the type
    assert "KH-12/2019" in text
    assert "UBND phường Đa Kao" in text  # the issuing agency by name
    assert "01/05/2019" in text
    assert candidate.xpath(".//span[@class='issuer']")

    b.post(
        f"/console/dossiers/{dossier_id}/attach",
        {"document_id": paper["id"]},
        csrf_from=f"/console/dossiers/{dossier_id}",
    )
    doc = page(b.get(f"/console/dossiers/{dossier_id}"))
    attached = _needed(doc, "marriage_certificate").xpath(".//li[@class='attached-paper']")
    assert [li.get("data-document-id") for li in attached] == [paper["id"]]
    assert "Đã đính kèm" in attached[0].xpath(".//span[@class='attached-mark']")[0].text_content()
    assert "KH-12/2019" in attached[0].text_content()


def test_upload_refusals_stay_on_the_dossier_page_in_vietnamese_with_the_form_kept(
    console: Console, client: TestClient
) -> None:
    owner_id = create_owner(client)
    b = console.browser("c_receiver")
    dossier_id = _receive(b, owner_id)
    before = _count_documents(console, owner_id)
    cases = [
        ("notes.txt", b"just some text, not a scan", "text/plain", 415, "không phải PDF"),
        (
            "broken.pdf",
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 65536 65536 R >>\n" + b"\x00" * 64,
            "application/pdf",
            422,
            "Không đọc được tệp",
        ),
    ]
    for name, data, mime, status, words in cases:
        r = b.post(
            f"/console/dossiers/{dossier_id}/upload",
            {"paper_type": "chip_id_card", "reference_number": "CC-77", "issued_on": "2021-06-01"},
            files={"file": (name, data, mime)},
            csrf_from=f"/console/dossiers/{dossier_id}",
        )
        assert r.status_code == status, (name, r.status_code, r.text[:300])
        doc = page(r)
        # The dossier page itself, the message beside the paper it was for.
        assert doc.xpath("//ul[@id='needed-papers']"), name
        chip = _needed(doc, "chip_id_card")
        error = chip.xpath(".//p[@id='dossier-error']")
        assert error and error[0].get("role") == "alert", name
        assert words in error[0].text_content(), (name, error[0].text_content())
        assert not ENGLISH.search(doc.xpath("//main")[0].text_content()), name
        # What was typed is kept.
        form = chip.xpath(".//form[contains(@class,'upload-form')]")[0]
        assert form.xpath(".//input[@name='reference_number']/@value") == ["CC-77"]
        assert form.xpath(".//input[@name='issued_on']/@value") == ["2021-06-01"]
        assert chip.get("data-state") == "missing"
    # Nothing of the refused uploads is stored.
    assert _count_documents(console, owner_id) == before

    # A date in the future: refused the same way, in words.
    r = b.post(
        f"/console/dossiers/{dossier_id}/upload",
        {"paper_type": "chip_id_card", "issued_on": "2999-01-01"},
        files={"file": ("cccd.png", png_bytes(), "image/png")},
        csrf_from=f"/console/dossiers/{dossier_id}",
    )
    assert r.status_code == 422
    error = page(r).get_element_by_id("dossier-error").text_content()
    assert "Ngày cấp không được sau ngày hôm nay" in error
    assert _count_documents(console, owner_id) == before

    # In English the domain's own detail is added (for support), still on the dossier page.
    b.client.cookies.set("console_lang", "en", path="/console")
    r = b.post(
        f"/console/dossiers/{dossier_id}/upload",
        {"paper_type": "chip_id_card"},
        files={"file": ("notes.txt", b"plain text", "text/plain")},
        csrf_from=f"/console/dossiers/{dossier_id}",
    )
    assert r.status_code == 415
    error = page(r).get_element_by_id("dossier-error").text_content()
    assert "not a PDF, JPEG, PNG or TIFF" in error


def test_the_owner_page_lists_the_dossiers_and_one_is_closed_from_the_console(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    paper = _marriage_certificate(client, people, owner_id)
    b = console.browser("c_receiver")
    first, second = _receive(b, owner_id), _receive(b, owner_id)
    doc = page(b.get(f"/console/owners/{owner_id}"))
    rows = doc.xpath("//table[@id='dossiers']//tr[@class='dossier-row']")
    assert {r.get("data-dossier-id") for r in rows} == {first, second}
    assert all(r.get("data-status") == "open" for r in rows)
    assert "1.001193" in rows[0].text_content()
    links = doc.xpath("//table[@id='dossiers']//a[@class='dossier-link']/@href")
    assert f"/console/dossiers/{first}" in links

    # Close the first one.
    dossier = page(b.get(f"/console/dossiers/{first}"))
    assert dossier.get_element_by_id("close-dossier-form").get("action") == (
        f"/console/dossiers/{first}/close"
    )
    r = b.post(f"/console/dossiers/{first}/close", csrf_from=f"/console/dossiers/{first}")
    assert r.status_code == 303 and r.headers["location"] == f"/console/dossiers/{first}"
    closed = page(b.get(f"/console/dossiers/{first}"))
    assert "Hồ sơ đã kết thúc" in closed.get_element_by_id("dossier-closed").text_content()
    assert "Đã kết thúc hồ sơ" in closed.get_element_by_id("flash").text_content()
    for hook in ("attach-form", "upload-form"):
        assert not closed.xpath(f"//form[contains(@class,'{hook}')]"), hook
    assert not closed.xpath("//form[@id='close-dossier-form']")
    statuses = {
        r.get("data-dossier-id"): r.get("data-status")
        for r in page(b.get(f"/console/owners/{owner_id}")).xpath("//tr[@class='dossier-row']")
    }
    assert statuses == {first: "closed", second: "open"}
    with console.vault.uows() as uow:
        entries = uow.audit.for_owner(uuid.UUID(owner_id), before_seq=None, limit=100)
    assert ("dossier.close", Outcome.OK) in [(e.action, e.outcome) for e in entries]

    # Attaching to the closed dossier by hand: its page again, said in Vietnamese.
    r = b.post(
        f"/console/dossiers/{first}/attach",
        {"document_id": paper["id"]},
        csrf_from=f"/console/dossiers/{second}",
    )
    assert r.status_code == 409
    error = page(r).get_element_by_id("dossier-error")
    assert "Hồ sơ đã kết thúc" in error.text_content()
    assert not ENGLISH.search(error.text_content())

    # Another agency's officer sees none of these dossiers; a verifier has no dossier list.
    other = page(console.browser("c_other").get(f"/console/owners/{owner_id}"))
    assert other.xpath("//tr[@class='dossier-row']") == []
    assert other.get_element_by_id("dossiers-empty") is not None
    verifier = page(console.browser("c_verifier").get(f"/console/owners/{owner_id}"))
    assert verifier.xpath("//table[@id='dossiers']") == []
    assert verifier.xpath("//a[@id='receive-dossier']") == []
    # and may not close one
    v = console.browser("c_verifier")
    assert v.post(f"/console/dossiers/{second}/close").status_code == 403


def test_download_the_pdf_and_the_searchable_copy_under_the_api_rules(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    data = pdf_bytes()
    stored = upload(client, owner_id, data, filename="kq.pdf", content_type="application/pdf")
    scan = upload(client, owner_id, png_bytes(600, 200))
    b = console.browser("c_clerk")
    doc = page(b.get(f"/console/documents/{stored['id']}"))
    link = doc.get_element_by_id("download-original")
    assert link.text_content().strip() == "Tải bản PDF"
    assert link.get("href") == f"/console/documents/{stored['id']}/download"
    r = b.get(link.get("href"))
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{stored["id"]}.pdf"'
    assert "no-store" in r.headers["cache-control"]
    with console.vault.uows() as uow:
        entries = uow.audit.for_owner(uuid.UUID(owner_id), before_seq=None, limit=100)
    downloads = [e for e in entries if e.action == "document.download"]
    assert downloads and downloads[0].document_id == uuid.UUID(stored["id"])

    # No searchable copy yet: no link; asked for anyway, a 404 page in Vietnamese.
    assert (
        page(b.get(f"/console/documents/{scan['id']}")).xpath("//a[@id='download-searchable']")
        == []
    )
    missing = b.get(f"/console/documents/{scan['id']}/searchable-copy")
    assert missing.status_code == 404
    assert not ENGLISH.search(missing.text) and "searchable copy" not in missing.text
    # After OCR the searchable PDF is offered and served.
    ocr_runner(console.vault).run(once=True)
    doc = page(b.get(f"/console/documents/{scan['id']}"))
    link = doc.get_element_by_id("download-searchable")
    r = b.get(link.get("href"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"].endswith('-searchable.pdf"')

    # Another agency's officer: refused as by the API, and the refusal is audited.
    other = console.browser("c_other")
    denied = other.get(f"/console/documents/{stored['id']}/download")
    assert denied.status_code == 403 and "denied-message" in denied.text
    assert other.get(f"/console/documents/{scan['id']}/searchable-copy").status_code == 403
    with console.vault.uows() as uow:
        entries = uow.audit.for_owner(uuid.UUID(owner_id), before_seq=None, limit=100)
    assert ("document.download", Outcome.DENIED) in [(e.action, e.outcome) for e in entries]


def _nav(b: Browser) -> set[str]:
    r = b.get("/console/")
    if r.status_code == 303:
        r = b.get(r.headers["location"])
    return set(page(r).xpath("//nav[@id='main-nav']//a/@id"))


def test_the_navigation_shows_each_role_only_what_it_can_use(
    console: Console, client: TestClient
) -> None:
    owner_id = create_owner(client)
    with console.vault.uows() as uow:
        console.vault.auth.add_owner_account(
            uow, owner_id=uuid.UUID(owner_id), username="c_citizen", password=PASSWORD
        )
        uow.commit()
    everything = {
        "nav-owners",
        "nav-certify",
        "nav-verify",
        "nav-search",
        "nav-indicators",
        "nav-imports",
    }
    assert _nav(console.browser("c_clerk")) == everything
    assert _nav(console.browser("c_receiver")) == everything - {"nav-certify"}
    assert _nav(console.browser("c_other")) == everything - {"nav-certify"}
    # Batch import's review queue is the receiving officers' work.
    assert _nav(console.browser("c_verifier")) == everything - {"nav-certify", "nav-imports"}
    citizen = console.browser("c_citizen")
    assert _nav(citizen) == {"nav-access-log", "nav-exports"}
    # The start page's tiles follow the same rule.
    tiles = page(console.browser("c_receiver").get("/console/")).xpath(
        "//ul[@class='tiles']//a/@href"
    )
    assert "/console/certify" not in tiles and "/console/owners" in tiles
    # A citizen typing an officer page's address: refused in plain words.
    for path in (
        "/console/owners",
        "/console/search",
        "/console/indicators",
        f"/console/owners/{owner_id}/dossiers/new",
    ):
        r = citizen.get(path)
        assert r.status_code == 403, path
        assert page(r).get_element_by_id("denied-message") is not None
    # A receiving officer has no certification page.
    assert console.browser("c_receiver").get("/console/certify").status_code == 403
    # A verifier receives no dossier.
    assert (
        console.browser("c_verifier").get(f"/console/owners/{owner_id}/dossiers/new").status_code
        == 403
    )


def test_error_pages_speak_vietnamese_only(console: Console) -> None:
    b = console.browser("c_receiver")
    missing = b.get(f"/console/dossiers/{uuid.uuid4()}")
    assert missing.status_code == 404
    text = page(missing).xpath("//main")[0].text_content()
    assert "Không tìm thấy" in text and "no such" not in text
    malformed = b.get("/console/dossiers/not-an-id")
    assert malformed.status_code == 422
    text = page(malformed).xpath("//main")[0].text_content()
    assert "Dữ liệu nhập chưa đúng: Hồ sơ." in text and "dossier_id" not in text
    # In English, the domain's words are added for whoever reads them there.
    b.client.cookies.set("console_lang", "en", path="/console")
    text = page(b.get(f"/console/dossiers/{uuid.uuid4()}")).xpath("//main")[0].text_content()
    assert "no such dossier" in text
