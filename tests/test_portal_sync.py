"""The sync feed to the National Public Service Portal (issue 17), end to end: dossier
changes made through the API write their events in the same transaction; the sync delivers
them to the stand-in portal over loopback through every fault it can show (fail, time out,
answer twice, acknowledge out of order, restart halfway), and the portal ends up holding
each event once, in order per dossier; refused events wait as dead letters for a replay; the
reconciliation cross-checks the 766 indicators dossier by dossier."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ocr.worker import ocr_runner
from tests.conftest import Backend
from tests.factories import CITIZEN_ID, create_owner, upload
from tests.people import AGENCY, People
from tests.standins import Fail, Refuse, RepeatAcks, Restart, ShuffleAcks, Stall
from tests.standins.portal import PortalStandIn
from tests.test_atomicity import settings_env
from tests.test_cli import vault_cli
from tests.test_indicators import make_dossier, result_for, scan_for
from vault.db.outbox_repository import OutboxRepository
from vault.domain import OutboxEvent, OutboxStatus
from vault.integrations.auth import BearerToken
from vault.integrations.base import RetryPolicy, Timeouts
from vault.integrations.http import HttpCaller
from vault.integrations.portal import HttpNationalPortal
from vault.jobs import JobRegistry, JobRunner, JobStatus
from vault.runtime import Vault
from vault.services import portal_sync
from vault.services.portal_reconcile import reconcile
from vault.services.portal_sync import SYNC_KIND, PortalSync, PortalSyncHandler, SyncPolicy

FAST = RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.1, deadline=10)
QUICK = SyncPolicy(
    batch_size=7, max_attempts=30, backoff_base_seconds=0.02, backoff_max_seconds=0.1
)


@pytest.fixture
def standin() -> Iterator[PortalStandIn]:
    server = PortalStandIn(static_tokens=["portal-token"])
    with server:
        yield server


def adapter(standin: PortalStandIn, read_timeout: float = 2.0) -> HttpNationalPortal:
    caller = HttpCaller(
        "national_portal",
        standin.url,
        timeouts=Timeouts(connect=1, read=read_timeout, write=read_timeout),
        policy=FAST,
        auth=BearerToken("portal-token"),
    )
    return HttpNationalPortal(caller)


def outbox(vault: Vault) -> list[OutboxEvent]:
    with vault.uows() as uow:
        events = uow.repository(OutboxRepository).find(limit=10_000)
    return sorted(events, key=lambda e: (e.dossier_code, e.sequence))


def drain(sync: PortalSync, vault: Vault, timeout: float = 30) -> None:
    """Delivery passes until nothing is left to send (retries wait for their backoff; what
    waits behind a dead letter stays)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sync.deliver_once()
        with vault.uows() as uow:
            state = portal_sync.status(uow)
        waiting = state.counts[OutboxStatus.PENDING] + state.counts[OutboxStatus.SENDING]
        if waiting == state.blocked:
            return
        time.sleep(0.05)
    raise AssertionError(f"the outbox did not drain: {state}")


def assert_once_and_in_order(standin: PortalStandIn, vault: Vault) -> None:
    """What the portal holds is exactly the outbox: each event once, 1, 2, 3 … per dossier
    in the order it took them, and nothing it had to turn away for being early."""
    events = outbox(vault)
    assert sorted(standin.accepted) == sorted(f"dossier-event-{e.id}" for e in events)
    taken: dict[str, list[int]] = {}
    for event in standin.accepted.values():
        taken.setdefault(event["dossier_code"], []).append(event["sequence"])
    for code, sequences in taken.items():
        assert sequences == list(range(1, len(sequences) + 1)), code
    assert standin.out_of_order == []
    assert standin.refused == []


def life_of_a_dossier(client: TestClient, seq: int = 1) -> tuple[str, str]:
    owner = create_owner(client)
    card = upload(client, owner, paper_type="chip_id_card")
    dossier = make_dossier(client, owner, "1.001193", seq, "2025-01-06T08:00:00+07:00")
    scan_for(client, owner, dossier)
    r = client.post(f"/api/v1/dossiers/{dossier}/documents", json={"document_id": card["id"]})
    assert r.status_code == 201, r.text
    result_for(client, owner, dossier, signed=True)
    assert client.post(f"/api/v1/dossiers/{dossier}/return").status_code == 200
    assert client.post(f"/api/v1/dossiers/{dossier}/close").status_code == 200
    return owner, dossier


def test_every_change_writes_its_event_with_the_flags_and_codes(
    client: TestClient, vault: Vault
) -> None:
    _, dossier = life_of_a_dossier(client)
    # OCR reads the scan: the portal hears that the component is digitised.
    ocr_runner(vault).run(once=True)
    events = [e for e in outbox(vault) if str(e.dossier_id) == dossier]
    assert [(e.sequence, e.kind) for e in events] == [
        (1, "received"),
        (2, "component_attached"),
        (3, "component_attached"),
        (4, "result_recorded"),
        (5, "returned"),
        (6, "closed"),
        (7, "scan_digitised"),
    ]
    ho_so = events[-1].payload["hoSo"]
    scan, card = ho_so["TaiLieuNop"]
    assert (scan["DuocSoHoa"], scan["DuocTaiSuDung"], scan["DuocLayTuKhoDMQG"]) == ("1", "0", "0")
    assert (card["DuocSoHoa"], card["DuocTaiSuDung"], card["DuocLayTuKhoDMQG"]) == ("0", "1", "1")
    assert card["MaThanhPhanHoSo"] == "chip_id_card"
    [result] = ho_so["DanhSachGiayToKetQua"]
    assert (result["MaGiayToKetQua"], result["DaKySo"]) == ("KQ.G15.000031", "1")
    assert ho_so["HoSoCoThanhPhanSoHoa"] == "1"
    assert ho_so["TrangThaiHoSo"] == "5" and ho_so["NgayTra"] and ho_so["NgayKetThucXuLy"]
    # The owner's number is sealed in the owners table, never copied into the outbox.
    assert all(CITIZEN_ID not in json.dumps(e.payload) for e in events)
    assert all(e.status is OutboxStatus.PENDING for e in events)
    with vault.uows() as uow:
        assert uow.repository(OutboxRepository).job_waiting(SYNC_KIND)


def test_a_refused_change_writes_no_event(client: TestClient, vault: Vault) -> None:
    owner = create_owner(client)
    card = upload(client, owner, paper_type="chip_id_card")
    body = {
        "dossier_code": f"{AGENCY}-250106-0001",
        "procedure_code": "1.001193",
        "owner_id": owner,
        "received_at": "2025-01-06T08:00:00+07:00",
    }
    dossier = client.post("/api/v1/dossiers", json=body).json()["id"]
    assert client.post("/api/v1/dossiers", json=body).status_code == 200  # the same, again
    assert client.post(f"/api/v1/dossiers/{dossier}/close").status_code == 200
    before = outbox(vault)
    r = client.post(f"/api/v1/dossiers/{dossier}/documents", json={"document_id": card["id"]})
    assert r.status_code == 409
    assert client.post(f"/api/v1/dossiers/{dossier}/return").status_code == 409
    assert [e.kind for e in before] == ["received", "closed"]
    assert outbox(vault) == before


def test_the_portal_holds_every_event_once_and_in_order_through_its_faults(
    client: TestClient, vault: Vault, standin: PortalStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for seq in range(1, 5):
        life_of_a_dossier(client, seq)
    events = outbox(vault)
    assert len(events) == 4 * 6
    standin.script(
        Fail(503),
        Stall(3, accept_first=True),  # past the read timeout: taken, answer lost
        RepeatAcks(),  # answers twice
        Fail(503, accept_first=True),  # taken, then "unavailable"
        ShuffleAcks(),  # acknowledges out of order
        Restart(down_seconds=0.5),  # takes the batch, drops the line, restarts
    )
    sync = PortalSync(vault.uows, adapter(standin, read_timeout=1), QUICK)
    drain(sync, vault)
    assert standin.restarts == 1
    assert_once_and_in_order(standin, vault)
    assert all(e.status is OutboxStatus.DELIVERED and e.ack_status for e in outbox(vault))
    # The portal got the owner's number in the payload, and nowhere else.
    held = standin.latest()
    assert {e["payload"]["hoSo"]["SoGiayToChuHoSo"] for e in held.values()} == {CITIZEN_ID}
    for request in standin.deliveries():
        assert CITIZEN_ID not in request.path
        assert CITIZEN_ID not in json.dumps(request.headers)
    assert CITIZEN_ID not in caplog.text


def test_a_refused_event_waits_as_a_dead_letter_and_holds_its_dossier_back(
    client: TestClient, vault: Vault, standin: PortalStandIn
) -> None:
    owner = create_owner(client)
    first = make_dossier(client, owner, "1.001193", 1, "2025-01-06T08:00:00+07:00")
    second = make_dossier(client, owner, "1.001193", 2, "2025-01-06T09:00:00+07:00")
    client.post(f"/api/v1/dossiers/{first}/close")
    client.post(f"/api/v1/dossiers/{second}/close")
    # The batch is refused, then the first event again on its own: that one goes dead.
    standin.script(Refuse(422), Refuse(422))
    sync = PortalSync(vault.uows, adapter(standin), QUICK)
    drain(sync, vault)
    with vault.uows() as uow:
        state = portal_sync.status(uow)
        [dead] = portal_sync.dead_letters(uow)
    assert str(dead.dossier_id) == first and dead.sequence == 1
    assert "refused with 422" in (dead.last_error or "")
    assert state.counts[OutboxStatus.DEAD] == 1
    assert state.blocked == 1  # the first dossier's "closed" waits behind it
    assert (
        sorted(e["dossier_code"] for e in standin.accepted.values())
        == [f"{AGENCY}-250106-0002"] * 2
    )
    sync.deliver_once()  # nothing of the first dossier leaves while its head is dead
    assert len(standin.accepted) == 2

    with vault.uows() as uow:
        assert portal_sync.replay(uow, [dead.id]) == 1
        uow.commit()
    drain(sync, vault)
    assert_once_and_in_order(standin, vault)
    assert len(standin.accepted) == 4


def test_the_sync_job_runs_in_the_job_runner(
    client: TestClient, vault: Vault, standin: PortalStandIn
) -> None:
    life_of_a_dossier(client)
    policy = SyncPolicy(linger_seconds=0.1, backoff_base_seconds=0.02, backoff_max_seconds=0.1)
    handler = PortalSyncHandler(vault.uows, adapter(standin), policy)
    runner = JobRunner(vault.uows, JobRegistry([handler]), poll_seconds=0.05)
    standin.script(Fail(503), Fail(503), Fail(503))  # the first pass fails: a retry waits
    assert runner.run(once=True) >= 1
    deadline = time.monotonic() + 20
    while len(standin.accepted) < 6 and time.monotonic() < deadline:
        runner.run(once=True)  # the successor job, queued for the retry's time
        time.sleep(0.05)
    assert_once_and_in_order(standin, vault)
    with vault.uows() as uow:
        jobs = uow.jobs.find(kind=SYNC_KIND)
    assert jobs and all(j.status is JobStatus.DONE for j in jobs)


def facts_of(report: Any) -> dict[str, tuple[int, int, int]]:
    return {
        i.code: (i.vault.numerator, i.synced.numerator, i.vault.denominator)
        for i in report.indicators
    }


def test_reconciliation_lists_what_the_portal_does_not_know_dossier_by_dossier(
    client: TestClient, vault: Vault, people: People, standin: PortalStandIn
) -> None:
    owner = create_owner(client)
    card = upload(client, owner, paper_type="chip_id_card")
    d1 = make_dossier(client, owner, "1.001193", 1, "2025-01-06T08:00:00+07:00")
    scan_for(client, owner, d1)
    result_for(client, owner, d1, signed=True)
    d2 = make_dossier(client, owner, "1.001193", 2, "2025-01-10T08:00:00+07:00")
    sync = PortalSync(vault.uows, adapter(standin), QUICK)
    drain(sync, vault)
    with vault.uows() as uow:
        report = reconcile(uow, people.actor("auditor"), AGENCY, "2025-01")
    assert report.agrees and report.dossiers == report.dossiers_synced == 2
    assert facts_of(report)["4.1"] == (1, 1, 2)

    # A reuse the portal has not heard of yet: the vault counts it, the portal does not.
    r = client.post(f"/api/v1/dossiers/{d2}/documents", json={"document_id": card["id"]})
    assert r.status_code == 201
    with vault.uows() as uow:
        report = reconcile(uow, people.actor("clerk"), AGENCY, "2025-01")
    assert not report.agrees
    [difference] = report.differences
    assert str(difference.dossier_id) == d2
    assert difference.reasons == ("pending:1", "reused_component", "warehouse_component")
    assert difference.indicators == ("4.3", "4.4")
    assert facts_of(report)["4.3"] == (1, 0, 2)
    assert [i.code for i in report.indicators if not i.agrees] == ["4.3", "4.4"]

    drain(sync, vault)
    with vault.uows() as uow:
        assert reconcile(uow, people.actor("clerk"), AGENCY, "2025-01").agrees


# -- the operator's API and CLI ------------------------------------------------------------


def dead_letter(client: TestClient, vault: Vault, standin: PortalStandIn) -> str:
    """A dossier whose first event the portal refuses: one dead letter, one blocked."""
    owner = create_owner(client)
    dossier = make_dossier(client, owner, "1.001193", 1, "2025-01-06T08:00:00+07:00")
    client.post(f"/api/v1/dossiers/{dossier}/close")
    standin.script(Refuse(422), Refuse(422))
    drain(PortalSync(vault.uows, adapter(standin), QUICK), vault)
    return dossier


def test_operators_see_dead_letters_and_replay_them_through_the_api(
    client: TestClient, vault: Vault, people: People, standin: PortalStandIn
) -> None:
    dossier = dead_letter(client, vault, standin)
    admin, auditor = people.auth("admin"), people.auth("auditor")
    status = client.get("/api/v1/sync/status", headers=auditor)
    assert status.status_code == 200, status.text
    assert (status.json()["dead"], status.json()["blocked"]) == (1, 1)
    listed = client.get("/api/v1/sync/dead-letters", headers=admin)
    assert listed.status_code == 200, listed.text
    [event] = listed.json()
    assert (event["dossier_id"], event["sequence"], event["kind"]) == (dossier, 1, "received")
    assert "refused with 422" in event["last_error"]
    assert "payload" not in event and CITIZEN_ID not in listed.text
    # Officers, even of the agency, neither see nor replay the queue; auditors only read it.
    assert client.get("/api/v1/sync/dead-letters").status_code == 403
    assert client.post("/api/v1/sync/dead-letters/replay", json={}).status_code == 403
    r = client.post("/api/v1/sync/dead-letters/replay", json={}, headers=auditor)
    assert r.status_code == 403
    missing = {"event_ids": ["00000000-0000-4000-8000-000000000000"]}
    r = client.post("/api/v1/sync/dead-letters/replay", json=missing, headers=admin)
    assert r.status_code == 404
    r = client.post(
        "/api/v1/sync/dead-letters/replay", json={"event_ids": [event["id"]]}, headers=admin
    )
    assert r.status_code == 200 and r.json() == {"replayed": 1}
    drain(PortalSync(vault.uows, adapter(standin), QUICK), vault)
    assert_once_and_in_order(standin, vault)
    assert client.get("/api/v1/sync/dead-letters", headers=admin).json() == []


def test_the_reconciliation_api_is_the_agencys_or_an_auditors(
    client: TestClient, vault: Vault, people: People, standin: PortalStandIn
) -> None:
    dead_letter(client, vault, standin)
    params = {"agency_code": AGENCY, "month": "2025-01"}
    r = client.get("/api/v1/sync/reconciliation", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["agrees"], body["dossiers"], body["dead"], body["pending"]) == (False, 1, 1, 1)
    [difference] = body["differences"]
    assert difference["reasons"] == ["not_synced", "pending:1", "dead:1"]
    assert all(i["agrees"] for i in body["indicators"])  # nothing counted on either side yet
    other = client.get(
        "/api/v1/sync/reconciliation", params=params, headers=people.auth("other_clerk")
    )
    assert other.status_code == 403
    assert (
        client.get(
            "/api/v1/sync/reconciliation", params=params, headers=people.auth("auditor")
        ).status_code
        == 200
    )
    bad = client.get("/api/v1/sync/reconciliation", params={**params, "month": "2025-13"})
    assert bad.status_code == 422


def test_the_cli_lists_replays_and_reconciles(
    backend: Backend, client: TestClient, vault: Vault, tmp_path: Path
) -> None:
    standin = PortalStandIn()  # no credentials needed: the command runs with none
    standin.start()
    try:
        cli_round(backend, client, vault, standin, tmp_path)
    finally:
        standin.stop()


def cli_round(
    backend: Backend, client: TestClient, vault: Vault, standin: PortalStandIn, tmp_path: Path
) -> None:
    dead_letter(client, vault, standin)
    env = settings_env(backend.settings)
    dead = vault_cli(["sync", "dead"], env, tmp_path)
    assert dead.returncode == 0, dead.stderr
    [line] = dead.stdout.splitlines()
    assert line.split("\t")[3:5] == ["received", "dead"]
    assert CITIZEN_ID not in dead.stdout + dead.stderr
    behind = vault_cli(
        ["sync", "reconcile", "--agency", AGENCY, "--month", "2025-01", "--json"], env, tmp_path
    )
    assert behind.returncode == 1, behind.stderr
    assert json.loads(behind.stdout)["differences"][0]["reasons"][0] == "not_synced"
    replay = vault_cli(["sync", "replay", "--all"], env, tmp_path)
    assert replay.returncode == 0 and "1 event(s) queued again" in replay.stderr
    # Delivered by the command itself, through the portal the settings name.
    deliver = vault_cli(["sync", "deliver"], {**env, "VAULT_PORTAL_URL": standin.url}, tmp_path)
    assert deliver.returncode == 0, deliver.stderr
    assert "2 event(s) delivered" in deliver.stderr
    status = vault_cli(["sync", "status"], env, tmp_path)
    assert "delivered\t2" in status.stdout and "dead\t0" in status.stdout
    ok = vault_cli(["sync", "reconcile", "--agency", AGENCY, "--month", "2025-01"], env, tmp_path)
    assert ok.returncode == 0, ok.stdout


def test_refused_credentials_are_retried_not_dead_lettered(
    client: TestClient, vault: Vault, standin: PortalStandIn
) -> None:
    owner = create_owner(client)
    make_dossier(client, owner, "1.001193", 1, "2025-01-06T08:00:00+07:00")
    caller = HttpCaller(
        "national_portal", standin.url, policy=FAST, auth=BearerToken("not-the-token")
    )
    report = PortalSync(vault.uows, HttpNationalPortal(caller), QUICK).deliver_once()
    assert (report.claimed, report.delivered, report.dead) == (1, 0, 0)
    [event] = outbox(vault)
    assert event.status is OutboxStatus.PENDING and event.attempts == 1
    assert "refused with 401" in (event.last_error or "")
    drain(PortalSync(vault.uows, adapter(standin), QUICK), vault)
    assert_once_and_in_order(standin, vault)
