"""The retention API: who may do what, on both backends."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.factories import CITIZEN_ID, create_owner, upload
from tests.people import People
from tests.test_retention import run_jobs
from vault.runtime import Vault


def test_rules_are_public_to_officers_and_changed_only_by_administrators(
    client: TestClient, people: People
) -> None:
    rules = {r["paper_type"]: r for r in client.get("/api/v1/retention/rules").json()}
    assert rules["marriage_certificate"]["years"] is None
    assert "Luật Hộ tịch" in rules["marriage_certificate"]["basis"]
    body = {"years": 7, "basis": "Quyết định thử nghiệm"}
    r = client.put("/api/v1/retention/rules/diploma", json=body)
    assert r.status_code == 403
    r = client.put("/api/v1/retention/rules/no_such_type", json=body, headers=people.auth("admin"))
    assert r.status_code == 404
    r = client.put(
        "/api/v1/retention/rules/diploma",
        json={"years": 0, "basis": "x y z"},
        headers=people.auth("admin"),
    )
    assert r.status_code == 422
    r = client.put(
        "/api/v1/retention/rules/diploma",
        json={"years": None, "basis": "Luật Giáo dục 2019: permanent"},
        headers=people.auth("admin"),
    )
    assert r.status_code == 200 and r.json()["years"] is None


def test_delete_is_refused_for_everyone_and_holds_follow_roles(
    client: TestClient, people: People, vault: Vault
) -> None:
    owner_id = create_owner(client, CITIZEN_ID)
    doc = upload(
        client,
        owner_id,
        paper_type="health_certificate",
        issue_date="2015-03-01",
        valid_until="2016-03-01",
    )
    for who in ("clerk", "admin", "records"):
        r = client.delete(f"/api/v1/documents/{doc['id']}", headers=people.auth(who))
        assert r.status_code == 409, r.text
        assert r.json()["type"] == "urn:vault:problem:retained-record"
    assert client.get(f"/api/v1/documents/{doc['id']}/content").status_code == 200

    hold = {"on": "document", "target_id": doc["id"], "reason": "Thanh tra số 5"}
    for who in ("clerk", "auditor", "verifier"):
        r = client.post("/api/v1/retention/holds", json=hold, headers=people.auth(who))
        assert r.status_code == 403
    r = client.post(
        "/api/v1/retention/holds",
        json={"on": "dossier", "target_id": doc["id"], "reason": "no such target"},
        headers=people.auth("records"),
    )
    assert r.status_code == 422
    r = client.post("/api/v1/retention/holds", json=hold, headers=people.auth("records"))
    assert r.status_code == 201
    hold_id = r.json()["id"]
    state = client.get(
        f"/api/v1/documents/{doc['id']}/retention", headers=people.auth("auditor")
    ).json()
    assert state["retain_until"] == "2020-03-01" and [h["id"] for h in state["holds"]] == [hold_id]
    r = client.delete(f"/api/v1/documents/{doc['id']}", headers=people.auth("admin"))
    assert "legal hold" in r.json()["detail"]
    r = client.post(
        f"/api/v1/retention/holds/{hold_id}/lift",
        json={"reason": "Xong"},
        headers=people.auth("admin"),
    )
    assert r.status_code == 200 and r.json()["active"] is False
    r = client.post(
        f"/api/v1/retention/holds/{hold_id}/lift",
        json={"reason": "Lần hai"},
        headers=people.auth("admin"),
    )
    assert r.status_code == 409


def test_disposal_through_the_api(client: TestClient, people: People, vault: Vault) -> None:
    owner_id = create_owner(client, CITIZEN_ID)
    due = upload(
        client,
        owner_id,
        paper_type="health_certificate",
        issue_date="2015-03-01",
        valid_until="2016-03-01",
    )
    kept = upload(client, owner_id, paper_type="birth_certificate", issue_date="2015-03-01")
    records, records2 = people.auth("records"), people.auth("records2")
    assert client.post("/api/v1/retention/disposals", json={}).status_code == 403
    tomorrow = date.fromordinal(date.today().toordinal() + 1).isoformat()
    r = client.post("/api/v1/retention/disposals", json={"as_of": tomorrow}, headers=records)
    assert r.status_code == 422
    r = client.post("/api/v1/retention/disposals", json={}, headers=records)
    assert r.status_code == 202 and r.json()["status"] == "listed"
    batch_id = r.json()["id"]
    run_jobs(vault)
    detail = client.get(f"/api/v1/retention/disposals/{batch_id}", headers=records).json()
    assert [i["document_id"] for i in detail["items"]] == [due["id"]]
    decision = {"approve": True, "note": "Đồng ý hủy"}
    url = f"/api/v1/retention/disposals/{batch_id}/decision"
    assert client.post(url, json=decision, headers=records).status_code == 403  # four eyes
    assert client.post(url, json=decision, headers=people.auth("admin")).status_code == 403
    r = client.post(url, json=decision, headers=records2)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    run_jobs(vault)
    detail = client.get(
        f"/api/v1/retention/disposals/{batch_id}", headers=people.auth("auditor")
    ).json()
    assert detail["batch"]["status"] == "disposed"
    assert [t["sha256"] for t in detail["tombstones"]] == [due["content"]["sha256"]]
    r = client.get(f"/api/v1/documents/{due['id']}/content")
    assert r.status_code == 410 and r.json()["type"] == "urn:vault:problem:disposed"
    assert client.get(f"/api/v1/documents/{kept['id']}/content").status_code == 200
    state = client.get(f"/api/v1/documents/{due['id']}/retention", headers=records).json()
    assert state["tombstone"]["approved_by"] == people.actor("records2").name
    # no seal configured here: no record yet (tests/signing/vault makes a sealed one)
    r = client.get(f"/api/v1/retention/disposals/{batch_id}/record", headers=records)
    assert r.status_code == 404
