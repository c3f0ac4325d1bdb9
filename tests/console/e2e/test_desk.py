"""Issue 12 in Chromium, one path per role: the receiving officer (nothing preselected, the
candidates in full, a refused upload on the dossier page in Vietnamese, closing the dossier,
the owner's dossiers), the certifying officer (downloads of the certified copy), the citizen
(the access log in words, no officer pages), an officer of another agency, and the idle
session's warning and expiry."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.factories import CITIZEN_ID
from tests.people import AGENCY

from .support import AGENCY_NAME, PASSWORD, PROCEDURE, Console, submit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]

CITIZEN = "huong_e2e"
ENGLISH = re.compile(r"only PDF|accepted|corrupt|truncated|Error\b|Illegal|dossier \S+ \(")


@pytest.fixture(scope="module")
def citizen(console: Console) -> str:
    """The owner's own account (she signs in to read her access log)."""
    vault = console.people.vault
    with vault.uows() as uow:
        if uow.accounts.by_username(CITIZEN) is None:
            vault.auth.add_owner_account(
                uow, owner_id=uuid.UUID(console.owner_id), username=CITIZEN, password=PASSWORD
            )
            uow.commit()
    return CITIZEN


def _nav(page: Page) -> list[str]:
    return page.locator("nav#main-nav a").evaluate_all("(links) => links.map((a) => a.id)")


def test_receiving_officer_receives_is_refused_a_bad_scan_in_vietnamese_and_closes(
    page: Page, console: Console
) -> None:
    console.sign_in(page, "receiver")
    assert "nav-certify" not in _nav(page)  # certification is not this officer's work
    assert {"nav-owners", "nav-search", "nav-verify", "nav-indicators"} <= set(_nav(page))

    page.goto(f"/console/owners/{console.owner_id}/dossiers/new")
    procedure = page.locator("select#procedure")
    expect(procedure).to_have_value("")  # nothing chosen in advance
    # Sending without a choice: the browser itself stops it (the select is required).
    page.locator("#dossier-submit").click()
    expect(page).to_have_url(re.compile(r"/dossiers/new$"))
    expect(page.locator("select#procedure:invalid")).to_have_count(1)
    procedure.select_option(PROCEDURE)
    submit(page, page.locator("#dossier-submit"))
    expect(page).to_have_url(re.compile(r"/console/dossiers/[0-9a-f-]{36}$"))
    dossier_url = page.url
    dossier_id = dossier_url.rsplit("/", 1)[1]

    def needed(paper_type: str):  # type: ignore[no-untyped-def]
        return page.locator(f"li.needed-paper[data-paper-type='{paper_type}']")

    # Each candidate in full: title, number, issuer, dates.
    licence = needed("driving_licence").locator(
        f"li.candidate[data-document-id='{console.documents['licence']}']"
    )
    expect(licence).to_contain_text("Giấy phép lái xe")
    expect(licence).to_contain_text("GPLX-790-215566")
    expect(licence.locator("span.issuer")).to_contain_text(AGENCY_NAME)
    expect(licence.locator("span.dates")).to_contain_text(re.compile(r"\d{2}/\d{2}/\d{4}"))
    submit(page, licence.locator("button.attach-button"))
    attached = needed("driving_licence").locator("li.attached-paper")
    expect(attached.locator("span.attached-mark")).to_have_text(re.compile("Đã đính kèm"))

    # A wrong file for the missing paper: the same page, the reason in Vietnamese beside
    # the paper, what was typed kept.
    upload = needed("health_certificate").locator("form.upload-form")
    upload.locator("input[name=reference_number]").fill("GKSK-2026-0099")
    upload.locator("input[name=file]").set_input_files(
        files=[{"name": "ghi-chu.pdf", "mimeType": "application/pdf", "buffer": b"not a scan"}]
    )
    response = submit(page, upload.locator("button.upload-button"))
    assert response.status in (415, 422)
    error = needed("health_certificate").locator("#dossier-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text(re.compile("không phải PDF|Không đọc được tệp"))
    assert not ENGLISH.search(page.locator("main").inner_text())
    expect(
        needed("health_certificate").locator("form.upload-form input[name=reference_number]")
    ).to_have_value("GKSK-2026-0099")
    console.shot(page, "dossier-upload-refused")

    # Close the dossier: it says so and offers nothing to attach or upload.
    page.goto(dossier_url)
    submit(page, page.locator("form#close-dossier-form #close-dossier"))
    expect(page.locator("#dossier-closed")).to_be_visible()
    expect(page.locator("#dossier-closed")).to_contain_text("Hồ sơ đã kết thúc")
    expect(page.locator("form.attach-form")).to_have_count(0)
    expect(page.locator("form.upload-form")).to_have_count(0)
    expect(page.locator("form#close-dossier-form")).to_have_count(0)
    console.shot(page, "dossier-closed")

    # The owner page lists the dossiers, this one closed.
    page.goto(f"/console/owners/{console.owner_id}")
    row = page.locator(f"table#dossiers tr.dossier-row[data-dossier-id='{dossier_id}']")
    expect(row).to_have_attribute("data-status", "closed")
    expect(row).to_contain_text(PROCEDURE)
    expect(row.locator("a.dossier-link")).to_have_attribute(
        "href", f"/console/dossiers/{dossier_id}"
    )
    console.shot(page, "owner-dossiers")


def test_certifying_officer_downloads_the_certified_copy_and_a_searchable_copy(
    page: Page, console: Console, certified_pdf: bytes
) -> None:
    headers = console.people.auth("certifier")
    listed = httpx.get(
        f"{console.url}/api/v1/owners/{console.owner_id}/documents",
        params={"origin": "certified_copy"},
        headers=headers,
        timeout=30,
    )
    assert listed.status_code == 200, listed.text
    copy_id = listed.json()["items"][0]["id"]

    console.sign_in(page, "certifier")
    assert "nav-certify" in _nav(page)
    page.goto(f"/console/owners/{console.owner_id}")
    expect(page.locator("a#receive-dossier")).to_have_count(0)  # not a receiving officer
    page.goto(f"/console/documents/{copy_id}")
    link = page.locator("a#download-original")
    expect(link).to_have_text("Tải bản PDF")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"{copy_id}.pdf"
    data = open(download.path(), "rb").read()  # noqa: SIM115 - the browser's file
    assert data.startswith(b"%PDF")
    assert len(data) == len(certified_pdf)

    # A scanned paper OCR has read: its searchable copy.
    page.goto(f"/console/documents/{console.documents['licence']}")
    expect(page.locator("a#download-original")).to_have_text(re.compile("Tải tệp gốc"))
    searchable = page.locator("a#download-searchable")
    expect(searchable).to_be_visible()
    with page.expect_download() as info:
        searchable.click()
    data = open(info.value.path(), "rb").read()  # noqa: SIM115
    assert data.startswith(b"%PDF")


def test_the_citizen_reads_her_access_log_in_vietnamese_and_sees_no_officer_page(
    page: Page, console: Console, citizen: str
) -> None:
    # Something to read in it: an officer opens her licence and searches twice.
    console.sign_in(page, "receiver")
    page.goto(f"/console/documents/{console.documents['licence']}")
    expect(page.locator("img.page-image").first).to_be_visible()
    page.goto("/console/search")
    for _ in range(2):
        page.locator("input#search-query").fill("lai xe")
        with page.expect_navigation():
            page.locator("input#search-query").press("Enter")
        expect(page.locator("li.search-result")).to_have_count(1)
    submit(page, page.locator("form#logout-form button#logout"))

    console.sign_in(page, citizen)
    expect(page).to_have_url(re.compile(r"/console/access-log$"))
    assert _nav(page) == ["nav-access-log", "nav-exports"]
    table = page.locator("table#access-log")
    expect(table).to_be_visible()
    read = table.locator("tr.access-row[data-action='document.read']").filter(
        has_text="Giấy phép lái xe"
    )
    # (the page and its images each read the paper: one row, counted)
    expect(read.first.locator("td.access-action")).to_contain_text("Xem giấy tờ")
    expect(read.first).to_contain_text(AGENCY_NAME)
    searches = table.locator("tr.access-row[data-action='search.result']").first
    expect(searches.locator("td.access-action")).to_contain_text(
        re.compile(r"Tìm kiếm \(\d+ lần\)")
    )
    assert int(searches.get_attribute("data-count") or "0") >= 2
    body = table.inner_text()
    for english in ("dossier ", "procedure ", "issued by", "search.result", "Viewed"):
        assert english not in body, english
    console.shot(page, "access-log")

    # Filters: her papers' agency only; nothing from tomorrow.
    page.locator("select#access-agency").select_option(AGENCY)
    submit(page, page.locator("#access-filter-submit"))
    agencies = page.locator("table#access-log tr.access-row td:nth-child(3)").all_inner_texts()
    assert agencies and set(agencies) == {AGENCY_NAME}
    page.locator("input#access-from").fill((date.today() + timedelta(days=2)).isoformat())
    submit(page, page.locator("#access-filter-submit"))
    expect(page.locator("#access-log-empty")).to_be_visible()

    # Officer pages by address: refused in plain words.
    for path in ("/console/owners", "/console/search", "/console/indicators"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.locator("#denied-message")).to_be_visible()


def test_an_officer_of_another_agency_sees_no_dossier_and_downloads_nothing(
    page: Page, console: Console
) -> None:
    console.sign_in(page, "other_receiver")
    page.goto("/console/owners")
    page.locator("#identifier").fill(CITIZEN_ID)
    submit(page, page.locator("#lookup-submit"))
    expect(page.locator("tr.dossier-row")).to_have_count(0)
    expect(page.locator("#dossiers-empty")).to_be_visible()
    response = page.request.get(f"/console/documents/{console.documents['licence']}/download")
    assert response.status == 403


def test_an_idle_session_warns_then_ends_and_sign_in_comes_back(
    page: Page, console: Console
) -> None:
    page.clock.install()
    console.sign_in(page, "receiver")
    page.goto(f"/console/owners/{console.owner_id}")
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()
    # 28 minutes without a request (of 30): the warning, with the time left.
    page.clock.fast_forward("28:30")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("sắp hết hạn")
    expect(page.locator("#session-countdown")).to_have_text(re.compile(r"^[01]:\d{2}$"))
    console.shot(page, "session-warning")
    # "Keep working": the server moves the session on, the warning goes.
    with page.expect_response(re.compile(r"/console/session/extend$")) as extended:
        page.locator("#session-extend").click()
    assert extended.value.status == 204
    expect(warning).to_be_hidden()
    # Then 31 minutes idle: off to the sign-in page, which says why and comes back here.
    page.clock.fast_forward("31:00")
    expect(page).to_have_url(re.compile(r"/console/login\?next=.*owners.*&expired=1$"))
    expect(page.locator("#session-expired")).to_contain_text("Phiên đăng nhập đã hết hạn")
    page.locator("#username").fill("receiver")
    page.locator("#password").fill(PASSWORD)
    submit(page, page.locator("#login-submit"))
    expect(page).to_have_url(re.compile(rf"/console/owners/{console.owner_id}$"))


def test_the_indicators_define_each_and_list_the_dossiers_counted(
    page: Page, console: Console
) -> None:
    # A dossier of this month that reuses a paper: counted in 4.3's numerator.
    console.sign_in(page, "receiver")
    page.goto(f"/console/owners/{console.owner_id}/dossiers/new")
    page.locator("select#procedure").select_option(PROCEDURE)
    submit(page, page.locator("#dossier-submit"))
    dossier_id = page.url.rsplit("/", 1)[1]
    card = page.locator(f"li.candidate[data-document-id='{console.documents['id_card']}']")
    submit(page, card.locator("button.attach-button"))

    page.locator("#nav-indicators").click()
    expect(page.locator("#indicators-period")).to_contain_text(
        re.compile(rf"tháng {date.today().month}/{date.today().year}")
    )
    for percent in page.locator("td.indicator-percent").all_inner_texts():
        assert re.fullmatch(r"\d+(,\d)? %|—", percent), percent  # 57,5 %: a decimal comma
    details = page.locator("section.indicator-detail")
    expect(details).to_have_count(4)
    for definition in page.locator("p.indicator-definition").all_inner_texts():
        assert "Tử số" in definition and "Mẫu số" in definition
    reuse = page.locator("section.indicator-detail[data-code='4.3']")
    expect(
        reuse.locator(f"ul.numerator-dossiers li[data-dossier-id='{dossier_id}']")
    ).to_have_count(1)
    digitised = page.locator("section.indicator-detail[data-code='4.2']")
    expect(
        digitised.locator(
            f"ul.denominator-dossiers li[data-dossier-id='{dossier_id}'] .missing-reason"
        )
    ).to_contain_text("kết quả điện tử có chữ ký số")
    console.shot(page, "indicators-details")
