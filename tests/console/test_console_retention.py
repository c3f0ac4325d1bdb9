"""The retention page: who sees it, who may act, in both languages; a hold and a disposal
carried through the forms (both backends)."""

from __future__ import annotations

import pytest

from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    Console,
    console_fixture,
    make_officers,
    page,
)
from tests.people import AGENCY
from tests.test_retention import OLD, owner, paper, readable, run_jobs
from vault.auth import Role
from vault.retention import DocumentDisposed

STAFF = {
    "c_records": (AGENCY, (Role.RECORDS_OFFICER,)),
    "c_records2": (AGENCY, (Role.RECORDS_OFFICER,)),
    "c_auditor": (AGENCY, (Role.AUDITOR,)),
}


def test_who_sees_the_page_and_who_may_act(console: Console) -> None:
    make_officers(console.vault, STAFF)
    clerk = console.browser("c_clerk")
    assert clerk.get("/console/retention").status_code == 403
    assert page(clerk.get("/console/")).xpath("//a[@id='nav-retention']") == []
    auditor = console.browser("c_auditor")
    for lang, words in (("vi", "Vĩnh viễn"), ("en", "Permanent")):
        auditor.get(f"/console/lang?to={lang}&next=/console/retention")
        r = auditor.get("/console/retention")
        assert r.status_code == 200 and words in r.text
        doc = page(r)
        assert doc.xpath("//a[@id='nav-retention']/@aria-current") == ["page"]
        assert doc.xpath("//form[@id='hold-form']") == []  # auditors read only
        assert doc.xpath("//form[@id='disposal-request-form']") == []
        basis = doc.xpath("//tr[@data-type='birth_certificate']/td[@class='rule-basis']/text()")
        assert "Luật Hộ tịch" in basis[0]
    r = auditor.post("/console/retention/disposals", csrf_from="/console/retention")
    assert r.status_code == 403


def test_a_hold_and_a_disposal_through_the_forms(console: Console) -> None:
    make_officers(console.vault, STAFF)
    vault, people = console.vault, console.people
    owner_id = owner(vault, people)
    due = paper(vault, people, owner_id, "health_certificate", OLD)
    held = paper(vault, people, owner_id, "criminal_record_extract", OLD)
    records = console.browser("c_records")
    r = records.post(
        "/console/retention/holds",
        {"document_id": "not-a-uuid", "reason": "Vụ án 4"},
        csrf_from="/console/retention",
    )
    assert r.status_code == 422 and page(r).xpath("//p[@id='retention-error']")
    r = records.post(
        "/console/retention/holds",
        {"document_id": str(held), "reason": "Vụ án 4"},
        csrf_from="/console/retention",
    )
    assert r.status_code == 303
    shown = page(records.get("/console/retention"))
    assert shown.xpath("//div[@id='flash']") and shown.xpath(
        f"//li[@class='hold']//code[text()='{held}']"
    )

    r = records.post("/console/retention/disposals", csrf_from="/console/retention")
    assert r.status_code == 303
    run_jobs(vault)
    listed = page(records.get("/console/retention"))
    assert listed.xpath("//td[@class='disposal-items']/text()") == ["1"]
    batch = listed.xpath("//tr[contains(@class,'disposal-row')]/@data-batch")[0]
    decision = f"/console/retention/disposals/{batch}/decision"
    r = records.post(decision, {"approve": "1", "note": "Tự duyệt"}, csrf_from="/console/retention")
    assert r.status_code == 403  # who asked for the list does not approve it

    other = console.browser("c_records2")
    r = other.post(decision, {"approve": "1", "note": "Đồng ý hủy"}, csrf_from="/console/retention")
    assert r.status_code == 303
    run_jobs(vault)
    done = page(other.get("/console/retention"))
    assert done.xpath("//td[@class='disposal-status']/text()") == ["Đã hủy"]
    assert readable(vault, held)
    with pytest.raises(DocumentDisposed):
        readable(vault, due)
