"""Receiving a dossier: which needed papers are on file and usable, why the others are not,
and what attaching them records."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import create_owner, pdf_bytes, png_bytes, upload
from tests.people import AGENCY, People


def dossier(
    client: TestClient, owner_id: str, procedure: str, seq: int = 1, day: str = "2025-01-15"
) -> dict[str, object]:
    yymmdd = day[2:4] + day[5:7] + day[8:10]
    r = client.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{AGENCY}-{yymmdd}-{seq:04d}",
            "procedure_code": procedure,
            "owner_id": owner_id,
            "received_at": f"{day}T09:00:00+07:00",
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_reuse_plan_explains_each_needed_paper(client: TestClient, people: People) -> None:
    owner = create_owner(client)
    # Driving licence renewal (1.002809) needs: driving_licence, health_certificate, chip_id_card.
    old_licence = upload(
        client,
        owner,
        paper_type="driving_licence",
        issue_date="2015-03-01",
        valid_until="2035-03-01",
    )
    r = client.post(
        f"/api/v1/documents/{old_licence['id']}/versions",
        data={
            "paper_type": "driving_licence",
            "title": "GPLX cấp lại",
            "origin": "issued_result",
            "issue_date": "2020-06-01",
            "valid_until": "2030-06-01",
        },
        files={"file": ("v2.pdf", pdf_bytes(), "application/pdf")},
    )
    new_licence = r.json()
    expired_health = upload(
        client, owner, paper_type="health_certificate", issue_date="2023-01-10"
    )  # 365 days: expired 2024-01-10
    d = dossier(client, owner, "1.002809")
    plan = client.get(f"/api/v1/dossiers/{d['id']}/reuse")
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["received_on"] == "2025-01-15"
    needed = {n["paper_type"]: n for n in body["needed"]}
    assert set(needed) == {"driving_licence", "health_certificate", "chip_id_card"}

    licence = needed["driving_licence"]
    assert licence["on_file"] is True
    assert licence["action"] == "attach"
    first, second = licence["candidates"]
    assert first["document"]["id"] == new_licence["id"]
    assert first["usable"] is True
    assert second["document"]["id"] == old_licence["id"]
    assert second["usable"] is False
    assert any(r.startswith("superseded by version 2") for r in second["reasons"])
    # Refusals and notes apart: a usable paper has notes only, a refused one its refusals.
    assert first["refusals"] == []
    assert first["notes"] == [{"code": "unsigned", "text": "no digital signature", "day": None}]
    assert first["reasons"] == ["no digital signature"]
    assert [r["code"] for r in second["refusals"]] == ["superseded"]
    assert second["notes"] == first["notes"]

    health = needed["health_certificate"]
    assert health["on_file"] is False
    assert health["action"] == "ask the owner"
    assert health["candidates"][0]["document"]["id"] == expired_health["id"]
    assert health["candidates"][0]["reasons"] == ["expired on 2024-01-10"]
    assert health["candidates"][0]["refusals"] == [
        {"code": "expired", "text": "expired on 2024-01-10", "day": "2024-01-10"}
    ]

    assert needed["chip_id_card"] == {**needed["chip_id_card"], "on_file": False, "candidates": []}


def test_attach_records_the_sync_flags_and_the_scan_is_kept_for_next_time(
    client: TestClient, people: People
) -> None:
    owner = create_owner(client)
    card = upload(client, owner, paper_type="chip_id_card")
    d = dossier(client, owner, "1.001193")
    url = f"/api/v1/dossiers/{d['id']}/documents"
    attached = client.post(url, json={"document_id": card["id"]})
    assert attached.status_code == 201
    assert attached.json() | {"attached_at": None} == {
        "dossier_id": d["id"],
        "document_id": card["id"],
        "attached_at": None,
        "role": "component",
        "digitised": False,
        "reused": 1,
        "from_warehouse": True,
        "replacing_result_code": None,
        "result_code": None,
    }
    # The officer scans the paper the citizen brought: digitised for this dossier.
    scan = client.post(
        f"/api/v1/owners/{owner}/documents",
        data={
            "paper_type": "marriage_certificate",
            "title": "GCN kết hôn",
            "origin": "digitised",
            "dossier_id": d["id"],
        },
        files={"file": ("scan.png", png_bytes(), "image/png")},
    )
    assert scan.status_code == 201, scan.text
    flags = {a["document_id"]: a for a in client.get(url).json()}
    assert flags[scan.json()["id"]]["digitised"] is True
    assert flags[scan.json()["id"]]["reused"] == 0
    plan = client.get(f"/api/v1/dossiers/{d['id']}/reuse").json()
    on_file = {n["paper_type"]: n["on_file"] for n in plan["needed"]}
    assert on_file == {"chip_id_card": True, "marriage_certificate": True}
    assert all(c["attached"] for n in plan["needed"] for c in n["candidates"])

    # Reuse through a replacing result needs its code, in the national format.
    bad = client.post(url, json={"document_id": card["id"], "reused": 2})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "replacing_result_code"


def test_a_result_that_replaces_a_component_is_offered(client: TestClient) -> None:
    owner = create_owner(client)
    # A marital status certificate issued earlier as the result of another dossier.
    first = dossier(client, owner, "1.001193", seq=7)
    result = upload(
        client,
        owner,
        paper_type="procedure_result",
        title="Kết quả xác nhận",
        issue_date="2025-01-10",
    )
    r = client.post(
        f"/api/v1/dossiers/{first['id']}/results",
        json={"document_id": result["id"], "result_code": "KQ.G15.000031"},
    )
    assert r.status_code == 201, r.text
    marriage = dossier(client, owner, "1.000894", seq=8)
    plan = client.get(f"/api/v1/dossiers/{marriage['id']}/reuse").json()
    status = {n["paper_type"]: n for n in plan["needed"]}["marital_status_certificate"]
    assert status["on_file"] is True
    (candidate,) = status["candidates"]
    assert candidate["reuse"] == 2
    assert candidate["replacing_result_code"] == "KQ.G15.000031"
    attach = client.post(
        f"/api/v1/dossiers/{marriage['id']}/documents",
        json={"document_id": result["id"], "reused": 2, "replacing_result_code": "KQ.G15.000031"},
    )
    assert attach.status_code == 201, attach.text
    assert attach.json()["reused"] == 2


def test_reuse_is_for_the_receiving_agency_only(client: TestClient, people: People) -> None:
    owner = create_owner(client)
    d = dossier(client, owner, "1.001193")
    other = client.get(f"/api/v1/dossiers/{d['id']}/reuse", headers=people.auth("other_clerk"))
    assert other.status_code == 403
    auditor = client.get(f"/api/v1/dossiers/{d['id']}/reuse", headers=people.auth("auditor"))
    assert auditor.status_code == 403
    # A dossier may only be recorded by an officer of the agency in its code.
    r = client.post(
        "/api/v1/dossiers",
        headers=people.auth("other_receiver"),
        json={
            "dossier_code": f"{AGENCY}-250115-0099",
            "procedure_code": "1.001193",
            "owner_id": owner,
            "received_at": "2025-01-15T09:00:00+07:00",
        },
    )
    assert r.status_code == 403


def test_closing_the_dossier_ends_its_access(client: TestClient, people: People) -> None:
    owner = create_owner(client)
    card = upload(client, owner, paper_type="chip_id_card", headers=people.auth("other_clerk"))
    url = f"/api/v1/documents/{card['id']}"
    assert client.get(url, headers=people.auth("receiver")).status_code == 403
    d = dossier(client, owner, "1.001193")
    assert client.get(url, headers=people.auth("receiver")).status_code == 200
    assert client.post(f"/api/v1/dossiers/{d['id']}/close").status_code == 200
    assert client.get(url, headers=people.auth("receiver")).status_code == 403
    again = client.post(f"/api/v1/dossiers/{d['id']}/documents", json={"document_id": card["id"]})
    assert again.status_code == 409
