"""Defects a review found in the console, each pinned by a test: bounded memory for
multi-page TIFF renders, no personal data in any URL, error pages for whatever goes wrong,
Retry-After on 429, `next` kept under /console, and the dossier's reasons in words."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import io
import logging
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.console import dossiers, rendering, reports
from api.console.i18n import translate
from api.console.web import safe_next
from ocr.search import reindex
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    CSP_EXPECTED,
    Browser,
    Console,
    console_fixture,
    csrf_of,
    page,
)
from tests.factories import CITIZEN_ID, create_owner, png_bytes, upload
from tests.people import People
from vault.errors import RateLimited
from vault.services.reuse_rule import Reason

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_STATUS = Path("/proc/self/status")


def _group4_tiff(frames: int, side: int) -> bytes:
    """A fax-like multi-page scan: a few KB compressed, `side`² bytes a frame decoded.
    Different every time: the renders are cached by content, and this one must be drawn."""
    mark = secrets.randbelow(side - 200) + 100
    images = []
    for i in range(frames):
        image = Image.new("1", (side, side), 1)
        image.paste(0, (mark, 50, mark + 7, 60))
        for y in range(100 + i * 10, side, 400):  # a few lines, different on every page
            image.paste(0, (100, y, side - 100, y + 3))
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "TIFF", compression="group4", save_all=True, append_images=images[1:])
    return out.getvalue()


def _kib(field: str) -> int:
    m = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.M)
    assert m, field
    return int(m[1])


def _reset_peak_rss() -> int:
    """Gives the memory freed by earlier tests back to the system (else a render could
    reuse it unseen), then sets the peak resident set size back to the current one (Linux:
    clear_refs 5): the peak measured next is this test's alone."""
    gc.collect()
    ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")
    return _kib("VmRSS")


def test_a_many_frame_tiff_renders_one_frame_in_bounded_memory(
    console: Console, client: TestClient
) -> None:
    frames, side = 20, 3000  # 9 MB a frame decoded: 180 MB for all of them
    data = _group4_tiff(frames, side)
    assert len(data) < 200_000
    owner_id = create_owner(client)
    tif = upload(client, owner_id, data, filename="fax.tif", content_type="image/tiff")
    b = console.browser("c_clerk")
    before = _reset_peak_rss()
    thumb = b.get(f"/console/documents/{tif['id']}/thumbnail")
    last = b.get(f"/console/documents/{tif['id']}/pages/{frames}")
    grown_mib = (_kib("VmHWM") - before) / 1024
    for r in (thumb, last):
        assert r.status_code == 200, r.text[:300]
        assert r.content.startswith(PNG_MAGIC)
    assert grown_mib < 80, f"rendering one frame took {grown_mib:.0f} MiB"
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert im.width == rendering.THUMBNAIL_WIDTH
    shown = page(b.get(f"/console/documents/{tif['id']}"))
    assert len(shown.xpath("//img[contains(@class,'page-image')]")) == frames
    assert b.get(f"/console/documents/{tif['id']}/pages/{frames + 1}").status_code == 404


def test_page_indexes_past_the_shown_pages_are_refused_before_reading() -> None:
    def read() -> bytes:
        raise AssertionError("nothing is read for a page that is never shown")

    from vault.domain import MediaType

    for index in (rendering.MAX_PAGES_SHOWN, -1):
        try:
            rendering.render_page("0" * 64, MediaType.TIFF, index, 100, read)
        except rendering.RenderError:
            pass
        else:  # pragma: no cover - the failure
            raise AssertionError(index)


def test_page_counts_are_bounded() -> None:
    counts = rendering.PageCounts(max_items=3)
    for i in range(5):
        counts.put(f"h{i}", i)
    assert len(counts) == 3
    assert counts.get("h0") is None and counts.get("h4") == 4
    counts.get("h2")  # used: kept over h3
    counts.put("h5", 5)
    assert counts.get("h2") == 2 and counts.get("h3") is None


# -- 2. search: the query travels in form bodies, never in a URL --------------------------


def _urls(response: Any) -> list[str]:
    return [str(u) for u in page(response).xpath("//@href | //@action | //@src")]


def _next_of(href: str) -> str:
    return parse_qs(urlparse(href).query)["next"][0]


def test_search_is_a_post_and_the_query_is_in_no_url(
    console: Console, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner_id = create_owner(client)
    ids = {
        upload(client, owner_id, png_bytes(), title=f"Giấy khai sinh Nguyễn Thị Hương {i}")["id"]
        for i in range(3)
    }
    reindex(console.vault.uows)
    monkeypatch.setattr(reports, "SEARCH_PAGE_SIZE", 2)
    b = console.browser("c_clerk")

    # a query in the URL (an old bookmark) is neither run nor shown
    r = b.get("/console/search", params={"q": CITIZEN_ID})
    assert r.status_code == 200 and CITIZEN_ID not in r.text
    form = page(r).get_element_by_id("search-form")
    assert form.get("method") == "post" and form.get("action") == "/console/search"
    assert form.xpath(".//input[@name='csrf_token']/@value") == [csrf_of(r)]
    assert not page(r).xpath("//ol[@id='search-results'] | //p[@id='search-empty']")

    r = b.post("/console/search", {"q": "nguyen thi huong"}, csrf_from="/console/search")
    assert r.status_code == 200
    doc = page(r)
    assert doc.get_element_by_id("search-query").get("value") == "nguyen thi huong"
    first = doc.xpath("//ol[@id='search-results']/li[contains(@class,'search-result')]")
    assert len(first) == 2
    assert _next_of(doc.get_element_by_id("lang-toggle").get("href")) == "/console/search"
    assert not [u for u in _urls(r) if "huong" in u.lower() or "q=" in u]
    # the next page: a POST form carrying the query and the cursor
    more = doc.get_element_by_id("search-more-form")
    assert more.get("method") == "post" and more.get("action") == "/console/search"
    fields = {i.get("name"): i.get("value") for i in more.xpath(".//input[@type='hidden']")}
    assert fields["q"] == "nguyen thi huong" and fields["cursor"] and fields["csrf_token"]
    r = b.post("/console/search", fields, csrf_from=None)
    rest = page(r).xpath("//ol[@id='search-results']/li[contains(@class,'search-result')]")
    assert len(rest) == 1
    assert {li.get("data-document-id") for li in [*first, *rest]} == ids
    # nothing matched
    r = b.post("/console/search", {"q": "tàu vũ trụ"}, csrf_from="/console/search")
    assert page(r).get_element_by_id("search-empty") is not None
    # a POST without the form token changes nothing, but is refused all the same
    assert b.post("/console/search", {"q": "x"}, csrf_from=None).status_code == 403


def test_links_back_carry_the_path_only(console: Console) -> None:
    """The language toggle and the sign-in redirect: never a query string (it may hold an
    identification number typed into a GET form)."""
    anonymous = console.browser()
    r = anonymous.get("/console/search", params={"q": CITIZEN_ID})
    assert r.status_code == 303
    assert CITIZEN_ID not in r.headers["location"]
    assert _next_of(r.headers["location"]) == "/console/search"
    login = anonymous.get(r.headers["location"])
    assert CITIZEN_ID not in login.text

    b = console.browser("c_clerk")
    r = b.get("/console/indicators", params={"month": "2020-01", "q": CITIZEN_ID})
    assert r.status_code == 200
    toggle = page(r).get_element_by_id("lang-toggle").get("href")
    assert CITIZEN_ID not in toggle and _next_of(toggle) == "/console/indicators"
    assert CITIZEN_ID not in r.text
    # an error page of a GET with a query: its links carry no query either
    r = b.get(f"/console/no-such-page?q={CITIZEN_ID}")
    assert r.status_code == 404 and CITIZEN_ID not in r.text


# -- 4 and 8. the dossier: attached counts only while usable; reasons in words ------------


def _receive(b: Browser, owner_id: str) -> str:
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "", "procedure_code": "1.001193"},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).rsplit("/", 1)[1]


def _needed(b: Browser, dossier_id: str) -> dict[str, Any]:
    doc = page(b.get(f"/console/dossiers/{dossier_id}"))
    return {li.get("data-paper-type"): li for li in doc.xpath("//ul[@id='needed-papers']/li")}


def test_an_attached_paper_that_is_no_longer_usable_is_not_attached(
    console: Console, client: TestClient, people: People
) -> None:
    other = people.auth("other_clerk")
    owner_id = create_owner(client)
    fields = {"paper_type": "marriage_certificate", "title": "Giấy chứng nhận kết hôn"}
    v1 = upload(client, owner_id, png_bytes(), headers=other, issue_date="2019-05-01", **fields)
    b = console.browser("c_receiver")
    dossier_id = _receive(b, owner_id)
    r = b.post(
        f"/console/dossiers/{dossier_id}/attach",
        {"document_id": v1["id"]},
        csrf_from=f"/console/dossiers/{dossier_id}",
    )
    assert r.status_code == 303, r.text
    assert _needed(b, dossier_id)["marriage_certificate"].get("data-state") == "attached"

    # a newer version replaces the attached paper: it can no longer stand for the component
    r = client.post(
        f"/api/v1/documents/{v1['id']}/versions",
        headers=other,
        data={**fields, "origin": "issued_result", "issue_date": "2020-05-01"},
        files={"file": ("v2.png", png_bytes(130, 90), "image/png")},
    )
    assert r.status_code == 201, r.text
    v2 = r.json()["id"]
    marriage = _needed(b, dossier_id)["marriage_certificate"]
    assert marriage.get("data-state") == "on-file"  # the new version, ready to attach
    assert marriage.xpath(".//li[contains(@class,'candidate')]/@data-document-id")[0] == v2
    stale = marriage.xpath(".//li[contains(@class,'rejected-candidate')]")
    assert [li.get("data-document-id") for li in stale] == [v1["id"]]
    assert stale[0].get("data-attached") == "true"
    reason = stale[0].xpath(".//span[@class='reject-reason']")[0].text_content()
    assert "Đã đính kèm" in reason and "phiên bản mới" in reason
    assert not marriage.xpath(".//li[contains(@class,'attached-paper')]")


def test_signature_reasons_in_words() -> None:
    for lang in ("vi", "en"):

        def t(key: str, _lang: str = lang, **values: Any) -> str:
            return translate(key, _lang, **values)

        unverifiable = dossiers._reason(
            t,
            Reason(
                "signature_not_verifiable", "signature not verifiable (NO_CERTIFICATE_CHAIN_FOUND)"
            ),
        )
        invalid = dossiers._reason(
            t, Reason("signature_invalid", "signature invalid (HASH_FAILURE)")
        )
        unchecked = dossiers._reason(
            t, Reason("signature_unchecked", "signed; signature not checked yet")
        )
        if lang == "vi":
            assert unverifiable == "không xác minh được chữ ký số"
            assert invalid == "chữ ký số không hợp lệ"
        else:
            assert unverifiable == "the signature could not be verified"
            assert invalid == "the signature is invalid"
        assert "(" not in unverifiable and "signature not" not in unchecked


# -- 5. whatever goes wrong is an HTML page with the console's headers --------------------


def _is_console_page(r: Any, status: int) -> None:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP_EXPECTED
    assert r.headers["cache-control"] == "no-store"


def test_a_flash_cookie_that_is_not_ours_is_ignored(console: Console) -> None:
    b = console.browser("c_clerk")
    for bad in ("flash.nope", "error.title", "flash.{0}"):
        b.client.cookies.set("console_flash", bad)
        r = b.get("/console/owners")
        _is_console_page(r, 200)
        assert not page(r).xpath("//*[@id='flash']")
        assert "console_flash=" in r.headers.get("set-cookie", "")  # cleared
        b.client.cookies.delete("console_flash")
    b.client.cookies.set("console_flash", "flash.attached")
    assert page(b.get("/console/owners")).get_element_by_id("flash") is not None


def test_an_unexpected_error_is_the_html_error_page(
    console: Console, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail that must not show")

    monkeypatch.setattr(reports, "chart", boom)
    b = console.browser("c_clerk")
    with caplog.at_level(logging.ERROR, logger="api.console"):
        r = b.get("/console/indicators")
    _is_console_page(r, 500)
    assert "internal detail" not in r.text and "Traceback" not in r.text
    assert page(r).get_element_by_id("error-message").get("data-status") == "500"
    logged = [rec for rec in caplog.records if rec.name == "api.console" and rec.exc_info]
    assert logged and "internal detail" in str(logged[0].exc_info[1])  # type: ignore[index]


# -- 6. 429 says when to try again ------------------------------------------------------


def test_rate_limited_pages_carry_retry_after(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = console.browser("c_clerk")
    anonymous = console.browser()
    form = anonymous.get("/console/login")

    def limited(key: str) -> None:
        raise RateLimited("too many requests", 7)

    monkeypatch.setattr(console.vault.rate_limiter, "check", limited)
    r = b.get("/console/owners")  # console_actor
    _is_console_page(r, 429)
    assert r.headers["retry-after"] == "7"
    r = anonymous.client.post(  # limit_by_address
        "/console/login",
        data={"username": "c_clerk", "password": "x", "csrf_token": csrf_of(form)},
        follow_redirects=False,
    )
    _is_console_page(r, 429)
    assert r.headers["retry-after"] == "7"


# -- 7. next stays under /console --------------------------------------------------------


def test_safe_next_normalises_and_stays_under_the_console() -> None:
    home = "/console/"
    cases = {
        "/console/../../x": home,
        "/console/../api/v1/me": home,
        "/console/owners/../../../etc/passwd": home,
        "/console/%2e%2e/api/v1/me": home,
        "/console/%2E%2E/%2e%2e/x": home,
        "/console/..%2f..%2fx": home,
        "/consolex/owners": home,
        "/console": home,
        "/console/.": home,
        "/console/\\evil.example": home,
        "//evil.example/console/": home,
        "https://evil.example/console/": home,
        "/console/owners/./a/../b": "/console/owners/b",
        "/console/owners/": "/console/owners/",
        "/console//owners": "/console/owners",
        "/console/owners?q=079203001234#x": "/console/owners",
        "/console/owners/123/dossiers/new": "/console/owners/123/dossiers/new",
    }
    for value, expected in cases.items():
        assert safe_next(value) == expected, value


def test_sign_in_never_goes_back_out_of_the_console(console: Console) -> None:
    for evil in ("/console/../../x", "/console/%2e%2e/api/v1/me"):
        r = console.browser().sign_in("c_clerk", next=evil)
        assert r.status_code == 303 and r.headers["location"] == "/console/", evil
