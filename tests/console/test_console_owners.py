"""Owner look-up (exact identifier only), the warehouse as the rules let an officer see it,
the document preview, thumbnails and page images."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    Console,
    console_fixture,
    page,
)
from tests.factories import (
    CITIZEN_ID,
    OTHER_CITIZEN_ID,
    create_owner,
    pdf_bytes,
    png_bytes,
    tiff_bytes,
    upload,
)
from tests.people import People
from tests.test_api_dossiers import new_dossier

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _lookup(b: object, identifier: str) -> object:
    return b.post(  # type: ignore[attr-defined]
        "/console/owners/lookup", {"identifier": identifier}, csrf_from="/console/owners"
    )


def test_lookup_by_exact_identifier_never_puts_it_in_a_url(
    console: Console, client: TestClient
) -> None:
    owner_id = create_owner(client)
    b = console.browser("c_clerk")
    form = page(b.get("/console/owners"))
    assert form.get_element_by_id("owner-lookup-form").get("action") == "/console/owners/lookup"
    assert form.get_element_by_id("owner-lookup-form").get("method") == "post"
    found = _lookup(b, CITIZEN_ID)
    assert found.status_code == 303
    assert found.headers["location"] == f"/console/owners/{owner_id}"
    assert CITIZEN_ID not in found.headers["location"]
    shown = b.get(found.headers["location"])
    assert shown.status_code == 200
    # the heading names the owner, the number masked to its last 4 digits
    h1 = page(shown).xpath("//h1")[0].text_content()
    assert "Nguyễn Thị Hương" in h1 and CITIZEN_ID[-4:] in h1
    assert CITIZEN_ID not in shown.text
    receive = page(shown).get_element_by_id("receive-dossier")
    assert receive.get("href") == f"/console/owners/{owner_id}/dossiers/new"

    malformed = _lookup(b, "12345")
    assert malformed.status_code == 422
    assert page(malformed).get_element_by_id("lookup-error").get("role") == "alert"
    unknown = _lookup(b, OTHER_CITIZEN_ID)
    assert unknown.status_code == 404
    assert "Không có chủ sở hữu" in page(unknown).get_element_by_id("lookup-error").text_content()
    for r in (malformed, unknown):
        assert "location" not in r.headers


def test_warehouse_shows_only_what_the_rules_allow(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    ours = upload(
        client,
        owner_id,
        pdf_bytes(2),
        filename="kq.pdf",
        content_type="application/pdf",
        reference_number="15/QĐ-UBND",
        issue_date="2024-03-01",
    )
    theirs = upload(
        client,
        owner_id,
        png_bytes(),
        paper_type="driving_licence",
        title="Giấy phép lái xe",
        headers=people.auth("other_clerk"),
    )
    b = console.browser("c_clerk")
    r = b.get(f"/console/owners/{owner_id}")
    doc = page(r)
    rows = doc.xpath("//table[@id='warehouse']//tr[contains(@class,'document-row')]")
    assert [row.get("data-document-id") for row in rows] == [ours["id"]]
    row = rows[0]
    text = row.text_content()
    assert "Giấy khai sinh" in text and "15/QĐ-UBND" in text and "01/03/2024" in text
    assert "UBND phường Bến Nghé" in text and "Kết quả giải quyết TTHC" in text
    assert row.xpath(".//span[contains(@class,'signature-badge')]/@data-status") == ["unsigned"]
    assert row.xpath(".//span[contains(@class,'ocr-badge')]/@data-status") == ["pending"]
    assert row.xpath(".//img[contains(@class,'thumbnail')]/@src") == [
        f"/console/documents/{ours['id']}/thumbnail"
    ]
    assert row.xpath(".//a[contains(@class,'document-link')]/@href")[0] == (
        f"/console/documents/{ours['id']}"
    )
    assert theirs["id"] not in r.text

    # the other agency sees its own paper and not ours
    other = page(console.browser("c_other").get(f"/console/owners/{owner_id}"))
    ids = other.xpath("//tr[contains(@class,'document-row')]/@data-document-id")
    assert ids == [theirs["id"]]

    # a paper the rules close: 403 with the plain-words message, audited as a denial
    denied = b.get(f"/console/documents/{theirs['id']}")
    assert denied.status_code == 403
    message = page(denied).get_element_by_id("denied-message")
    assert message.get("role") == "alert" and "ghi nhật ký" in message.text_content()
    for path in ("thumbnail", "pages/1"):
        closed = b.get(f"/console/documents/{theirs['id']}/{path}")
        assert closed.status_code == 403 and closed.headers["content-type"].startswith("text/html")
    with console.vault.uows() as uow:
        entries = uow.audit.for_owner(__import__("uuid").UUID(owner_id), before_seq=None, limit=200)
    assert any(
        e.action == "document.read" and e.outcome == "denied" and str(e.document_id) == theirs["id"]
        for e in entries
    )


def test_nothing_visible_says_why(console: Console, client: TestClient, people: People) -> None:
    owner_id = create_owner(client, OTHER_CITIZEN_ID, "Trần Văn Đức")
    upload(client, owner_id, png_bytes(), headers=people.auth("other_clerk"))
    r = console.browser("c_clerk").get(f"/console/owners/{owner_id}")
    assert r.status_code == 200
    doc = page(r)
    assert "hồ sơ đang giải quyết" in doc.get_element_by_id("warehouse-empty").text_content()
    assert not doc.xpath("//table[@id='warehouse']")


def test_thumbnails_and_pages_are_pngs_rendered_on_the_server(
    console: Console, client: TestClient
) -> None:
    owner_id = create_owner(client)
    pdf = upload(client, owner_id, pdf_bytes(3), filename="a.pdf", content_type="application/pdf")
    png = upload(client, owner_id, png_bytes(900, 600, "navy"))
    tif = upload(client, owner_id, tiff_bytes(2), filename="a.tif", content_type="image/tiff")
    b = console.browser("c_clerk")
    for d in (pdf, png, tif):
        for _ in range(2):  # the second time from the (encrypted) cache
            r = b.get(f"/console/documents/{d['id']}/thumbnail")
            assert r.status_code == 200
            assert r.headers["content-type"] == "image/png"
            assert r.content.startswith(PNG_MAGIC)
            assert r.headers["cache-control"] == "no-store"
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(b.get(f"/console/documents/{png['id']}/thumbnail").content)) as im:
        assert im.width == 240 and im.height == 160
    preview = b.get(f"/console/documents/{pdf['id']}")
    doc = page(preview)
    srcs = doc.xpath("//img[contains(@class,'page-image')]/@src")
    assert srcs == [f"/console/documents/{pdf['id']}/pages/{n}" for n in (1, 2, 3)]
    assert "không có chữ ký số" in doc.get_element_by_id("signature-panel").text_content()
    ocr = doc.get_element_by_id("ocr-text")
    assert ocr.xpath(".//*[@data-status]/@data-status") == ["pending"]
    for n in (1, 3):
        r = b.get(f"/console/documents/{pdf['id']}/pages/{n}")
        assert r.status_code == 200 and r.content.startswith(PNG_MAGIC)
    assert b.get(f"/console/documents/{pdf['id']}/pages/4").status_code == 404
    tif_pages = page(b.get(f"/console/documents/{tif['id']}")).xpath(
        "//img[contains(@class,'page-image')]"
    )
    assert len(tif_pages) == 2


def test_preview_of_a_signed_paper_shows_its_signatures(
    console: Console, client: TestClient
) -> None:
    from tests.factories import signed_pdf_bytes

    owner_id = create_owner(client)
    d = upload(
        client, owner_id, signed_pdf_bytes(), filename="s.pdf", content_type="application/pdf"
    )
    b = console.browser("c_clerk")
    r = b.get(f"/console/documents/{d['id']}")
    assert r.status_code == 200
    panel = page(r).get_element_by_id("signature-panel")
    entries = panel.xpath(".//*[contains(@class,'signature-entry')]")
    assert len(entries) == 1
    # a self-signed throw-away certificate: never trusted
    assert entries[0].get("data-indication") in {"INDETERMINATE", "TOTAL_FAILED"}
    assert "Test signer" in entries[0].text_content()
    # the warehouse now knows the verdict
    row = page(b.get(f"/console/owners/{owner_id}")).xpath(f"//tr[@data-document-id='{d['id']}']")[
        0
    ]
    status = row.xpath(".//span[contains(@class,'signature-badge')]/@data-status")
    assert status[0] in {"invalid", "unknown"}


def test_preview_shows_the_recognised_text_and_search_finds_it(
    console: Console, client: TestClient
) -> None:
    import uuid

    from tests.ocr.vault_support import with_text

    owner_id = create_owner(client)
    d = upload(client, owner_id, png_bytes())
    with console.vault.uows() as uow:
        stored = uow.documents.get(uuid.UUID(d["id"]))
    assert stored is not None
    with_text(console.vault, stored, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nGiấy khai sinh Đồng Nai")
    b = console.browser("c_clerk")
    ocr = page(b.get(f"/console/documents/{d['id']}")).get_element_by_id("ocr-text")
    assert "Giấy khai sinh Đồng Nai" in ocr.text_content()
    assert "95%" in ocr.text_content()
    found = b.post("/console/search", {"q": "dong nai"}, csrf_from="/console/search")
    hits = page(found).xpath("//li[contains(@class,'search-result')]")
    assert [h.get("data-document-id") for h in hits] == [d["id"]]
    assert [m.text_content() for m in hits[0].xpath(".//mark")] == ["Đồng", "Nai"]
    assert "Trang 1" in hits[0].text_content()


def test_a_stated_issuer_is_shown_as_unverified(console: Console, client: TestClient) -> None:
    owner_id = create_owner(client)
    dossier = new_dossier(client, owner_id)
    # A scan names its issuer as the officer who scanned it read it: unverified.
    scan = upload(
        client,
        owner_id,
        pdf_bytes(1),
        filename="scan.pdf",
        content_type="application/pdf",
        paper_type="marriage_certificate",
        origin="digitised",
        dossier_id=dossier["id"],
        issuer_agency_code="000.00.15.H57",
    )
    assert scan["issuer_verified"] is False
    b = console.browser("c_clerk")
    shown = page(b.get(f"/console/documents/{scan['id']}"))
    stated = shown.xpath("//span[@class='issuer-stated']")
    assert [s.text_content() for s in stated] == ["(theo kê khai, chưa xác minh)"]
