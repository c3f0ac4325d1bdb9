"""The citizen's access log read as Vietnamese (actions, papers, agencies, dossiers and
procedures, purposes in words, repeated searches grouped, filters), and the 766 indicators
with their definitions, the dossiers each counts, and Vietnamese number and month formats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from api.console.web import fmt_month, fmt_number
from ocr.search import reindex
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    PASSWORD,
    Browser,
    Console,
    console_fixture,
    page,
)
from tests.factories import create_owner, png_bytes, upload
from tests.people import OTHER_AGENCY, People
from vault.services.dossiers import VIETNAM

PROCEDURE = "1.001193"  # birth registration: marriage certificate + chip ID card
MARRIAGE = "Giấy chứng nhận kết hôn số 12/2019"


def _receive(b: Browser, owner_id: str) -> str:
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "", "procedure_code": PROCEDURE},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"].rsplit("/", 1)[1])


def _marriage(client: TestClient, people: People, owner_id: str) -> str:
    paper = upload(
        client,
        owner_id,
        png_bytes(),
        paper_type="marriage_certificate",
        title=MARRIAGE,
        issue_date="2019-05-01",
        headers=people.auth("other_clerk"),
    )
    return str(paper["id"])


def test_the_access_log_reads_as_vietnamese_with_searches_grouped_and_filters(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    marriage = _marriage(client, people, owner_id)
    upload(client, owner_id, png_bytes(), title="Giấy khai sinh Nguyễn Thị Hương")
    reindex(console.vault.uows)
    with console.vault.uows() as uow:
        console.vault.auth.add_owner_account(
            uow, owner_id=uuid.UUID(owner_id), username="c_huong", password=PASSWORD
        )
        uow.commit()
    receiver = console.browser("c_receiver")
    dossier_id = _receive(receiver, owner_id)
    assert receiver.get(f"/console/documents/{marriage}").status_code == 200
    with console.vault.uows() as uow:
        dossier = uow.dossiers.get(uuid.UUID(dossier_id))
        assert dossier is not None
        code = dossier.code
    clerk = console.browser("c_clerk")
    for _ in range(3):
        r = clerk.post("/console/search", {"q": "nguyen thi huong"}, csrf_from="/console/search")
        assert r.status_code == 200 and "search-result" in r.text

    owner = console.browser("c_huong")
    r = owner.get("/console/access-log")
    assert r.status_code == 200
    doc = page(r)
    rows = doc.xpath("//table[@id='access-log']//tr[contains(@class,'access-row')]")
    assert rows
    text = doc.xpath("//table[@id='access-log']")[0].text_content()
    # Purposes in words: none of the audit log's English shorthand.
    for english in ("dossier ", "procedure ", "issued by", "Viewed", "search.result", "document."):
        assert english not in text, english
    # The three searches of one officer on one day: one row, counted.
    searches = [row for row in rows if row.get("data-action") == "search.result"]
    assert len(searches) == 1 and searches[0].get("data-count") == "3"
    assert (
        "Tìm kiếm (3 lần)" in searches[0].xpath(".//td[@class='access-action']")[0].text_content()
    )
    assert "Cán bộ Clerk" in searches[0].text_content()
    # The paper read: its title, the agency by name, the dossier and its procedure.
    read = next(
        row
        for row in rows
        if row.get("data-action") == "document.read" and MARRIAGE in row.text_content()
    )
    assert read.xpath(".//td[@class='access-action']")[0].text_content() == "Xem giấy tờ"
    assert read.xpath(".//td[@class='access-paper']")[0].text_content() == MARRIAGE
    assert "UBND phường Bến Nghé" in read.text_content()
    purpose = read.xpath(".//td[@class='access-purpose']")[0].text_content()
    assert code in purpose and "thủ tục 1.001193" in purpose and "Đăng ký khai sinh" in purpose

    # Filter by agency: only the other agency's rows (it stored the marriage certificate).
    options = doc.xpath("//select[@id='access-agency']/option/@value")
    assert OTHER_AGENCY in options
    only = page(owner.get("/console/access-log", params={"agency": OTHER_AGENCY}))
    agencies = {
        row.xpath("./td[3]")[0].text_content()
        for row in only.xpath("//tr[contains(@class,'access-row')]")
    }
    assert agencies == {"UBND phường Đa Kao"}
    assert only.xpath("//select[@id='access-agency']/option[@selected]/@value") == [OTHER_AGENCY]
    # Filter by dates: nothing from tomorrow on; today's rows from today.
    today = datetime.now(UTC).astimezone(VIETNAM).date()
    later = page(owner.get("/console/access-log", params={"from": str(today + timedelta(1))}))
    assert later.get_element_by_id("access-log-empty") is not None
    # The same log in English: every word there too.
    owner.client.cookies.set("console_lang", "en", path="/console")
    english = page(owner.get("/console/access-log"))
    assert "Viewed a paper" in english.get_element_by_id("access-log").text_content()
    assert "Search (3 times)" in english.get_element_by_id("access-log").text_content()
    owner.client.cookies.delete("console_lang")
    same = page(owner.get("/console/access-log", params={"from": str(today), "to": str(today)}))
    assert len(same.xpath("//tr[contains(@class,'access-row')]")) == len(rows)
    assert same.get_element_by_id("access-from").get("value") == str(today)


def test_numbers_and_months_in_vietnamese() -> None:
    assert fmt_number(57.5) == "57,5"
    assert fmt_number(100.0) == "100"
    assert fmt_number(1234.5) == "1.234,5"
    assert fmt_number(33.33, 1) == "33,3"
    assert fmt_number(57.5, 1, "en") == "57.5"
    assert fmt_month("2026-12", "vi") == "tháng 12/2026"
    assert fmt_month("2026-03", "en") == "03/2026"


def test_indicators_define_each_and_list_the_dossiers_counted(
    console: Console, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    marriage = _marriage(client, people, owner_id)
    b = console.browser("c_receiver")
    reused, digitised, plain = (_receive(b, owner_id) for _ in range(3))
    r = b.post(
        f"/console/dossiers/{reused}/attach",
        {"document_id": marriage},
        csrf_from=f"/console/dossiers/{reused}",
    )
    assert r.status_code == 303
    r = b.post(
        f"/console/dossiers/{digitised}/upload",
        {"paper_type": "chip_id_card"},
        files={"file": ("cccd.png", png_bytes(), "image/png")},
        csrf_from=f"/console/dossiers/{digitised}",
    )
    assert r.status_code == 303

    doc = page(b.get("/console/indicators"))
    now = datetime.now(UTC).astimezone(VIETNAM)
    assert (
        f"tháng {now.month}/{now.year}" in doc.get_element_by_id("indicators-period").text_content()
    )
    percents = {
        row.get("data-code"): row.xpath(".//td[contains(@class,'indicator-percent')]")[
            0
        ].text_content()
        for row in doc.xpath("//table[@id='indicators']//tr[@data-code]")
    }
    assert percents["4.3"] == "33,3 %"  # one dossier of three reused a paper
    assert percents["4.2"] == "0 %"
    sections = {s.get("data-code"): s for s in doc.xpath("//section[@class='indicator-detail']")}
    assert set(sections) == {"4.1", "4.2", "4.3", "4.4"}
    for section in sections.values():
        assert len(section.xpath(".//p[@class='indicator-definition']")[0].text_content()) > 40

    # 4.3: the reusing dossier in the numerator; all three in the denominator.
    s43 = sections["4.3"]
    assert s43.xpath(".//ul[@class='numerator-dossiers']/li/@data-dossier-id") == [reused]
    assert set(s43.xpath(".//ul[@class='denominator-dossiers']/li/@data-dossier-id")) == {
        reused,
        digitised,
        plain,
    }
    # 4.2: the digitised scan alone does not count, and the page says what is missing.
    s42 = sections["4.2"]
    assert s42.xpath(".//ul[@class='numerator-dossiers']") == []
    lacking = s42.xpath(f".//li[@data-dossier-id='{digitised}']//span[@class='missing-reason']")
    reason = lacking[0].text_content()
    assert "kết quả điện tử có chữ ký số" in reason and "số hóa khi tiếp nhận" not in reason
    other = s42.xpath(f".//li[@data-dossier-id='{plain}']//span[@class='missing-reason']")
    assert "số hóa khi tiếp nhận" in other[0].text_content()
    assert (
        "thành phần được số hóa"
        in s42.xpath(".//p[@class='indicator-definition']")[0].text_content()
    )

    # In English: the month as 12/2026, the rate with a decimal point.
    b.client.cookies.set("console_lang", "en", path="/console")
    english = page(b.get("/console/indicators"))
    assert (
        f"{now.month:02d}/{now.year}"
        in english.get_element_by_id("indicators-period").text_content()
    )
    assert "33.3 %" in english.get_element_by_id("indicators").text_content()
    assert "lacks" in english.get_element_by_id("indicator-details").text_content()
    b.client.cookies.delete("console_lang")

    # Another agency's officer: none of these dossiers.
    theirs = page(console.browser("c_other").get("/console/indicators"))
    listed = set(theirs.xpath("//section[@class='indicator-detail']//li/@data-dossier-id"))
    assert not listed & {reused, digitised, plain}
    # an earlier month: nothing counted, the month in words
    old = page(b.get("/console/indicators", params={"month": "2020-01"}))
    assert "tháng 1/2020" in old.get_element_by_id("indicators-period").text_content()
    assert old.xpath("//section[@class='indicator-detail']//li") == []
