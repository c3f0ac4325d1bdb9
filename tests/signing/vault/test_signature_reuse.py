"""Reuse refuses a paper whose digital signature does not hold, on every path.

Real throughout: a certified copy signed by the officer and the office seal (SoftHSM2 keys
behind the CSC service, development TSA/OCSP over HTTP), the same bytes tampered with and
stored by the citizen, the bounded verifier judging both, the verdicts recorded in the
database, and the API's reuse plan and attach obeying them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from signing.pki import DevPki
from signing.verify import TrustSettings, Verifier
from signing.wiring import VaultSigning
from tests.factories import CITIZEN_ID, upload
from tests.people import AGENCY, People
from tests.signing.vault.conftest import signing_app
from tests.signing.vault.test_certified_copies import certify, content, scanned_jpeg
from tests.signing.verify.pdfs import tamper
from vault.domain import SignatureStatus
from vault.runtime import Vault


@pytest.fixture
def api(vault: Vault, people: People, signing: VaultSigning, pki: DevPki) -> Iterator[TestClient]:
    app = signing_app(vault, signing)
    trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
    with Verifier(trust) as verifier:  # offline: certified copies carry their own evidence
        app.state.verifier = verifier
        with TestClient(app) as client:
            yield client


def _owner(api: TestClient, people: People) -> tuple[str, dict[str, str]]:
    r = api.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn Thị Hương"},
        headers=people.auth("clerk"),
    )
    assert r.status_code in (200, 201), r.text
    owner_id: str = r.json()["id"]
    people.owner_account(owner_id, "huong")
    return owner_id, people.auth("huong")


def _dossier(api: TestClient, people: People, owner_id: str, number: int) -> str:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    r = api.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{AGENCY}-{today:%y%m%d}-{number:04d}",
            "procedure_code": "1.001193",  # birth registration: needs the marriage certificate
            "owner_id": owner_id,
        },
        headers=people.auth("receiver"),
    )
    assert r.status_code in (200, 201), r.text
    dossier_id: str = r.json()["id"]
    return dossier_id


def test_a_tampered_paper_is_refused_and_a_good_one_is_offered(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id, citizen = _owner(api, people)
    made = certify(
        api,
        people,
        owner_id,
        [("ban-chinh.jpg", scanned_jpeg(), "image/jpeg")],
        paper_type="marriage_certificate",
        title="Giấy chứng nhận kết hôn",
    )
    assert made.status_code == 201, made.text
    good_id = made.json()["document"]["id"]
    forged = tamper(content(api, people, good_id))
    bad = upload(
        api,
        owner_id,
        forged,
        filename="ket-hon.pdf",
        content_type="application/pdf",
        headers=citizen,
        paper_type="marriage_certificate",
        title="Giấy chứng nhận kết hôn (bản tải lên)",
        origin="uploaded_by_owner",
    )
    assert bad["has_signature"] is True

    dossier_id = _dossier(api, people, owner_id, 1)
    plan = api.get(f"/api/v1/dossiers/{dossier_id}/reuse", headers=people.auth("receiver"))
    assert plan.status_code == 200, plan.text
    [marriage] = [n for n in plan.json()["needed"] if n["paper_type"] == "marriage_certificate"]
    by_id = {c["document"]["id"]: c for c in marriage["candidates"]}
    assert by_id[good_id]["usable"] is True
    assert by_id[good_id]["reasons"] == ["signature valid (signed by Nguyễn Văn An)"]
    assert by_id[bad["id"]]["usable"] is False
    assert by_id[bad["id"]]["reasons"] == ["signature invalid (HASH_FAILURE)"]

    # The plan recorded both verdicts against the bytes it judged.
    with vault.uows() as uow:
        checks = uow.signature_checks.latest([uuid.UUID(good_id), uuid.UUID(bad["id"])])
    assert checks[uuid.UUID(good_id)].status is SignatureStatus.VALID
    assert checks[uuid.UUID(bad["id"])].status is SignatureStatus.INVALID
    assert checks[uuid.UUID(bad["id"])].sha256 == bad["content"]["sha256"]

    attach = f"/api/v1/dossiers/{dossier_id}/documents"
    refused = api.post(attach, json={"document_id": bad["id"]}, headers=people.auth("receiver"))
    assert refused.status_code == 409, refused.text
    assert "signature invalid" in refused.json()["detail"]
    taken = api.post(attach, json={"document_id": good_id}, headers=people.auth("receiver"))
    assert taken.status_code in (200, 201), taken.text
    attached = api.get(attach, headers=people.auth("receiver")).json()
    assert [a["document_id"] for a in attached] == [good_id]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_attach_checks_a_signature_no_plan_has_judged_yet(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id, citizen = _owner(api, people)
    made = certify(
        api,
        people,
        owner_id,
        [("ban-chinh.jpg", scanned_jpeg(), "image/jpeg")],
        paper_type="marriage_certificate",
        title="Giấy chứng nhận kết hôn",
    )
    assert made.status_code == 201, made.text
    forged = tamper(content(api, people, made.json()["document"]["id"]))
    bad = upload(
        api,
        owner_id,
        forged,
        filename="ket-hon.pdf",
        content_type="application/pdf",
        headers=citizen,
        paper_type="marriage_certificate",
        title="Giấy chứng nhận kết hôn",
        origin="uploaded_by_owner",
    )
    dossier_id = _dossier(api, people, owner_id, 2)
    # Straight to attach, as an agency system that skips the plan would.
    r = api.post(
        f"/api/v1/dossiers/{dossier_id}/documents",
        json={"document_id": bad["id"]},
        headers=people.auth("receiver"),
    )
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == "this paper cannot be reused: signature invalid (HASH_FAILURE)"
    # Refused means nothing stays: no attachment (the verdict is judged again next time).
    listed = api.get(
        f"/api/v1/dossiers/{dossier_id}/documents", headers=people.auth("receiver")
    ).json()
    assert listed == []
