"""The portal sync page: administrators see the queue, the dead letters (never a payload or an
owner's number) and replay them; auditors read it; other officers are turned away. In both
languages, with the reconciliation and its differences dossier by dossier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    Browser,
    Console,
    console_fixture,
    make_officers,
    page,
)
from tests.factories import CITIZEN_ID, create_owner
from tests.people import AGENCY
from tests.standins import Refuse
from tests.standins.portal import PortalStandIn
from tests.test_indicators import make_dossier
from tests.test_portal_sync import QUICK, adapter, assert_once_and_in_order, drain
from vault.auth import Role
from vault.services.portal_sync import PortalSync

OPERATORS = {"c_admin": (AGENCY, (Role.ADMINISTRATOR,)), "c_auditor": (AGENCY, (Role.AUDITOR,))}
SYNC = "/console/sync?agency=" + AGENCY + "&month=2025-01"


@pytest.fixture
def standin() -> Iterator[PortalStandIn]:
    server = PortalStandIn(static_tokens=["portal-token"])
    with server:
        yield server


@pytest.fixture
def dead_letter(console: Console, standin: PortalStandIn) -> str:
    """One dossier whose first event the portal refused; its id."""
    make_officers(console.vault, OPERATORS)
    api = TestClient(console.app, headers=console.people.auth("clerk"))
    owner = create_owner(api)
    dossier = make_dossier(api, owner, "1.001193", 1, "2025-01-06T08:00:00+07:00")
    assert api.post(f"/api/v1/dossiers/{dossier}/close").status_code == 200
    standin.script(Refuse(422), Refuse(422))
    drain(PortalSync(console.vault.uows, adapter(standin), QUICK), console.vault)
    return dossier


def english(b: Browser) -> None:
    r = b.get("/console/lang?to=en&next=/console/sync")
    assert r.status_code in (302, 303), r.text


def test_an_administrator_sees_the_dead_letter_and_replays_it(
    console: Console, dead_letter: str, standin: PortalStandIn
) -> None:
    b = console.browser("c_admin")
    r = b.get(SYNC)
    assert r.status_code == 200, r.text
    doc = page(r)
    [row] = doc.xpath("//table[@id='sync-dead']//tr[@class='dead-letter']")
    assert row.xpath(".//a/@href")[0] == f"/console/dossiers/{dead_letter}"
    assert "Tiếp nhận" in row.text_content() and "refused with 422" in row.text_content()
    assert doc.xpath("//*[@id='nav-sync']") and doc.xpath("//*[@id='sync-replay-all']")
    assert doc.xpath("//*[@id='sync-counts']/div[@data-status='blocked']/dd/text()")[0] == "1"
    assert CITIZEN_ID not in r.text
    # The reconciliation says why the portal's figures are not the vault's yet.
    assert doc.xpath("//*[@id='sync-verdict']/@data-agrees")[0] == "no"
    [difference] = doc.xpath("//table[@id='sync-differences']//tr[@class='difference']")
    assert "chưa đồng bộ" in difference.text_content()

    english(b)
    r = b.get(SYNC)
    assert "Send again" in r.text and "Dead letters" in r.text and "not synced" in r.text

    event_id = row.get("data-event-id")
    replayed = b.post("/console/sync/replay", {"event_id": event_id}, csrf_from=SYNC)
    assert replayed.status_code == 303, replayed.text
    after = page(b.get("/console/sync"))
    assert after.xpath("//*[@id='sync-no-dead']") and not after.xpath("//*[@id='sync-dead']")
    drain(PortalSync(console.vault.uows, adapter(standin), QUICK), console.vault)
    assert_once_and_in_order(standin, console.vault)
    assert page(b.get(SYNC)).xpath("//*[@id='sync-verdict']/@data-agrees")[0] == "yes"


def test_an_auditor_reads_the_page_but_replays_nothing(console: Console, dead_letter: str) -> None:
    b = console.browser("c_auditor")
    r = b.get(SYNC)
    assert r.status_code == 200, r.text
    doc = page(r)
    assert len(doc.xpath("//table[@id='sync-dead']//tr[@class='dead-letter']")) == 1
    assert not doc.xpath("//*[@id='sync-replay-all']") and not doc.xpath("//*[@class='replay-one']")
    refused = b.post("/console/sync/replay", {}, csrf_from=SYNC)
    assert refused.status_code == 403
    assert len(page(b.get(SYNC)).xpath("//table[@id='sync-dead']//tr[@class='dead-letter']")) == 1


def test_other_officers_are_turned_away(console: Console, dead_letter: str) -> None:
    b = console.browser("c_clerk")
    home = page(b.get("/console/"))
    assert not home.xpath("//*[@id='nav-sync']")
    assert b.get("/console/sync").status_code == 403
    assert b.post("/console/sync/replay", {}, csrf_from="/console/").status_code == 403
