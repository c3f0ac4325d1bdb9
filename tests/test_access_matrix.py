"""Every role × every access path × read / list / download: only the allowed cells succeed.

Access paths (owner X, officer of agency A = 000.00.15.H57):
- dossier: an open dossier A received for X, and the paper is a type its procedure needs;
- wrong_type: an open dossier A received for X, but the paper's type is not needed;
- other_agency: an open dossier that agency B received for X;
- closed: a dossier A received for X, now closed;
- none: nothing links A to X;
- consent / expired_consent / revoked_consent: X's consent for A;
- issued: A issued the paper itself;
- stated_issuer: agency B scanned the paper into its own dossier for X, stating A as its
  issuer, and closed the dossier (a stated issuer is unverified and grants nothing);
- self_stated: the same, B stating itself as the issuer (B reads it no longer once closed).
(Search joins this matrix when the search issue lands.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import png_bytes
from tests.people import AGENCY, OTHER_AGENCY, People
from vault.domain import Consent, new_id
from vault.runtime import Vault

PATHS = [
    "dossier",
    "wrong_type",
    "other_agency",
    "closed",
    "none",
    "consent",
    "expired_consent",
    "revoked_consent",
    "issued",
    "stated_issuer",
    "self_stated",
]
SCANNED_BY_B = {"stated_issuer": AGENCY, "self_stated": OTHER_AGENCY}
GRANTING_PATHS = {"dossier", "consent", "issued"}
READING_OFFICERS = ["receiver", "certifier", "issuer", "verifier", "clerk"]
# Officers with no grant in the world below (agency B's clerk differs: see expected).
NON_READING_OFFICERS = ["auditor", "admin", "other_clerk"]


@dataclass
class Cell:
    owner_id: str
    document_id: str


def post(client: TestClient, who: dict[str, str], url: str, **kwargs: object) -> dict[str, object]:
    r = client.post(url, headers=who, **kwargs)  # type: ignore[arg-type]
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def build_world(client: TestClient, vault: Vault, people: People) -> dict[str, Cell]:
    a_clerk, b_clerk = people.auth("clerk"), people.auth("other_clerk")
    world: dict[str, Cell] = {}
    for n, path in enumerate(PATHS, start=1):
        identifier = f"0010990000{n:02d}"
        owner = post(
            client,
            a_clerk,
            "/api/v1/owners",
            json={"kind": "citizen", "identifier": identifier, "display_name": f"Công dân {n}"},
        )
        owner_id = str(owner["id"])
        paper_type = "diploma" if path == "wrong_type" else "chip_id_card"
        if path in SCANNED_BY_B:
            world[path] = Cell(
                owner_id, scan_into_closed_dossier(client, b_clerk, owner_id, n, path)
            )
            continue
        issuer = a_clerk if path == "issued" else b_clerk
        doc = post(
            client,
            issuer,
            f"/api/v1/owners/{owner_id}/documents",
            data={"paper_type": paper_type, "title": "Thẻ căn cước", "origin": "issued_result"},
            files={"file": ("a.png", png_bytes(), "image/png")},
        )
        world[path] = Cell(owner_id, str(doc["id"]))
        if path in ("dossier", "wrong_type", "closed", "other_agency"):
            agency, who = (OTHER_AGENCY, b_clerk) if path == "other_agency" else (AGENCY, a_clerk)
            dossier = post(
                client,
                who,
                "/api/v1/dossiers",
                json={
                    "dossier_code": f"{agency}-250115-{n:04d}",
                    "procedure_code": "1.001193",
                    "owner_id": owner_id,
                    "received_at": "2025-01-15T08:00:00+07:00",
                },
            )
            if path == "closed":
                post(client, a_clerk, f"/api/v1/dossiers/{dossier['id']}/close")
        if path in ("consent", "revoked_consent"):
            people.owner_account(owner_id, f"owner-{path}")
            me = people.auth(f"owner-{path}")
            consent = post(
                client,
                me,
                "/api/v1/me/consents",
                json={
                    "agency_code": AGENCY,
                    "paper_types": ["chip_id_card"],
                    "purpose": "Vay vốn ngân hàng chính sách",
                    "days": 30,
                },
            )
            if path == "revoked_consent":
                post(client, me, f"/api/v1/me/consents/{consent['id']}/revoke")
        if path == "expired_consent":
            past = datetime.now(UTC) - timedelta(days=1)
            with vault.uows() as uow:
                uow.consents.add(
                    Consent(
                        new_id(),
                        uuid.UUID(owner_id),
                        AGENCY,
                        ("chip_id_card",),
                        "Hết hạn",
                        past - timedelta(days=30),
                        past,
                        None,
                    )
                )
                uow.commit()
    people.owner_account(world["none"].owner_id, "owner-self")
    return world


def scan_into_closed_dossier(
    client: TestClient, b_clerk: dict[str, str], owner_id: str, n: int, path: str
) -> str:
    """Agency B's receiving officer scans a paper for B's dossier, stating an issuer; then B
    closes the dossier."""
    dossier = post(
        client,
        b_clerk,
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{OTHER_AGENCY}-250115-{n:04d}",
            "procedure_code": "1.001193",
            "owner_id": owner_id,
            "received_at": "2025-01-15T08:00:00+07:00",
        },
    )
    scan = post(
        client,
        b_clerk,
        f"/api/v1/owners/{owner_id}/documents",
        data={
            "paper_type": "chip_id_card",
            "title": "Thẻ căn cước (bản scan)",
            "origin": "digitised",
            "issuer_agency_code": SCANNED_BY_B[path],
            "dossier_id": str(dossier["id"]),
        },
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    # The issuer is kept as stated, and shown as unverified.
    assert scan["issuer_agency_code"] == SCANNED_BY_B[path]
    assert scan["origin"] == "digitised"
    post(client, b_clerk, f"/api/v1/dossiers/{dossier['id']}/close")
    return str(scan["id"])


def attempt(client: TestClient, who: dict[str, str], cell: Cell, op: str) -> bool:
    if op == "read":
        r = client.get(f"/api/v1/documents/{cell.document_id}", headers=who)
    elif op == "download":
        r = client.get(f"/api/v1/documents/{cell.document_id}/content", headers=who)
    else:
        r = client.get(f"/api/v1/owners/{cell.owner_id}/documents", headers=who)
        if r.status_code == 200:
            return cell.document_id in {d["id"] for d in r.json()["items"]}
    assert r.status_code in (200, 403), (op, r.status_code, r.text)
    if r.status_code == 403:
        assert r.json()["type"].endswith("forbidden")
    return r.status_code == 200


@pytest.mark.parametrize("op", ["read", "list", "download"])
def test_access_matrix(client: TestClient, vault: Vault, people: People, op: str) -> None:
    world = build_world(client, vault, people)
    results: dict[tuple[str, str], bool] = {}
    for role in READING_OFFICERS + NON_READING_OFFICERS:
        for path, cell in world.items():
            results[(role, path)] = attempt(client, people.auth(role), cell, op)
    for path, cell in world.items():
        results[("owner_self", path)] = attempt(client, people.auth("owner-self"), cell, op)

    expected = {}
    for role in READING_OFFICERS:
        for path in PATHS:
            expected[(role, path)] = path in GRANTING_PATHS
    for role in NON_READING_OFFICERS:
        for path in PATHS:
            # Agency B issued every paper but "issued"'s and its scans': it reads what it
            # issued (rule 3), and not what it only scanned once its dossier closed.
            expected[(role, path)] = role == "other_clerk" and path not in {
                "issued",
                *SCANNED_BY_B,
            }
    for path in PATHS:
        expected[("owner_self", path)] = path == "none"  # the owner-self account owns "none"
    wrong = {
        cell: (results[cell], want) for cell, want in expected.items() if results[cell] != want
    }
    assert wrong == {}, f"cells that disagree (got, expected): {wrong}"

    # Denials are audited with who tried what.
    with vault.uows() as uow:
        denied = [e for e in uow.audit.iter_all() if e.outcome == "denied"]
    assert denied, "a refused access left no audit entry"
    assert {e.actor_name for e in denied} >= {"Auditor", "Admin"}
