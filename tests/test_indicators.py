"""The 766 digitisation indicators, exact on a fixture checked by hand.

Agency A, January 2025 (Vietnam time):
| dossier | procedure | what happened | 4.1 | 4.2 | 4.3 | 4.4 |
| D1 | 1.001193 | scan digitised for it, signed result | yes | yes | no | yes (result) |
| D2 | 1.001193 | card reused from the warehouse, unsigned result | no | no | yes | yes |
| D3 | 1.000894 | nothing | no | no | no | no |
| D4 | 2.000001 (no result) | reused through a replacing result | (not counted) | no | yes | yes |
| D5 | 1.001193, 31 Jan 23:30 +07 | scan, signed result | yes | yes | no | yes |
Not counted: D6 (1 Feb 00:30 +07, which is still 31 Jan in UTC) and D7 (agency B).
4.1 = 2/4 = 50 %; 4.2 = 2/5 = 40 %; 4.3 = 2/5 = 40 %; 4.4 = 4/5 = 80 %.
"""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.factories import create_owner, png_bytes, signed_pdf_bytes, upload
from tests.people import AGENCY, OTHER_AGENCY, People


def make_dossier(
    client: TestClient,
    owner: str,
    procedure: str,
    seq: int,
    at: str,
    agency: str = AGENCY,
    headers: dict[str, str] | None = None,
) -> str:
    day = at[2:4] + at[5:7] + at[8:10]
    r = client.post(
        "/api/v1/dossiers",
        headers=headers,
        json={
            "dossier_code": f"{agency}-{day}-{seq:04d}",
            "procedure_code": procedure,
            "owner_id": owner,
            "received_at": at,
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def scan_for(client: TestClient, owner: str, dossier: str) -> None:
    r = client.post(
        f"/api/v1/owners/{owner}/documents",
        data={
            "paper_type": "marriage_certificate",
            "title": "Bản scan",
            "origin": "digitised",
            "dossier_id": dossier,
        },
        files={"file": ("s.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 201, r.text


def result_for(client: TestClient, owner: str, dossier: str, *, signed: bool) -> str:
    content = signed_pdf_bytes() if signed else png_bytes()
    doc = upload(client, owner, content, paper_type="procedure_result", title="Kết quả")
    assert doc["has_signature"] is signed
    r = client.post(
        f"/api/v1/dossiers/{dossier}/results",
        json={"document_id": doc["id"], "result_code": "KQ.G15.000031"},
    )
    assert r.status_code == 201, r.text
    return str(doc["id"])


def test_indicators_match_the_hand_checked_fixture(client: TestClient, people: People) -> None:
    r = client.put(
        "/api/v1/procedures/2.000001",
        headers=people.auth("admin"),
        json={
            "code": "2.000001",
            "name_vi": "Thông báo không trả kết quả",
            "returns_result": False,
            "requirements": [
                {
                    "paper_type": "marital_status_certificate",
                    "component_name": "Giấy xác nhận tình trạng hôn nhân",
                    "replacing_result_codes": ["KQ.G15.000031"],
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    owner = create_owner(client)
    card = upload(client, owner, paper_type="chip_id_card")

    d1 = make_dossier(client, owner, "1.001193", 1, "2025-01-06T08:00:00+07:00")
    scan_for(client, owner, d1)
    d1_result = result_for(client, owner, d1, signed=True)

    d2 = make_dossier(client, owner, "1.001193", 2, "2025-01-10T08:00:00+07:00")
    assert (
        client.post(
            f"/api/v1/dossiers/{d2}/documents", json={"document_id": card["id"]}
        ).status_code
        == 201
    )
    result_for(client, owner, d2, signed=False)

    make_dossier(client, owner, "1.000894", 3, "2025-01-12T08:00:00+07:00")

    d4 = make_dossier(client, owner, "2.000001", 4, "2025-01-20T08:00:00+07:00")
    r = client.post(
        f"/api/v1/dossiers/{d4}/documents",
        json={"document_id": d1_result, "reused": 2, "replacing_result_code": "KQ.G15.000031"},
    )
    assert r.status_code == 201, r.text

    d5 = make_dossier(client, owner, "1.001193", 5, "2025-01-31T23:30:00+07:00")
    scan_for(client, owner, d5)
    result_for(client, owner, d5, signed=True)

    d6 = make_dossier(client, owner, "1.001193", 6, "2025-02-01T00:30:00+07:00")
    scan_for(client, owner, d6)
    result_for(client, owner, d6, signed=True)

    b = people.auth("other_clerk")
    make_dossier(client, owner, "1.001193", 7, "2025-01-15T08:00:00+07:00", OTHER_AGENCY, b)

    r = client.get("/api/v1/indicators", params={"agency_code": AGENCY, "month": "2025-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dossiers_received"] == 5
    got = {i["code"]: (i["numerator"], i["denominator"], i["percent"]) for i in body["indicators"]}
    assert got == {
        "4.1": (2, 4, 50.0),
        "4.2": (2, 5, 40.0),
        "4.3": (2, 5, 40.0),
        "4.4": (4, 5, 80.0),
    }

    february = client.get(
        "/api/v1/indicators", params={"agency_code": AGENCY, "month": "2025-02"}
    ).json()
    assert february["dossiers_received"] == 1

    as_csv = client.get(
        "/api/v1/indicators", params={"agency_code": AGENCY, "month": "2025-01", "format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["code"], r["numerator"], r["denominator"], r["percent"]) for r in rows] == [
        ("4.1", "2", "4", "50.00"),
        ("4.2", "2", "5", "40.00"),
        ("4.3", "2", "5", "40.00"),
        ("4.4", "4", "5", "80.00"),
    ]


def test_indicators_are_the_agencys_or_an_auditors(client: TestClient, people: People) -> None:
    params = {"agency_code": OTHER_AGENCY, "month": "2025-01"}
    assert client.get("/api/v1/indicators", params=params).status_code == 403
    assert (
        client.get("/api/v1/indicators", params=params, headers=people.auth("auditor")).status_code
        == 200
    )
    empty = client.get("/api/v1/indicators", params={"agency_code": AGENCY, "month": "2025-03"})
    assert empty.json()["dossiers_received"] == 0
    assert all(i["percent"] is None for i in empty.json()["indicators"])
    bad = client.get("/api/v1/indicators", params={"agency_code": AGENCY, "month": "2025-13"})
    assert bad.status_code == 422
