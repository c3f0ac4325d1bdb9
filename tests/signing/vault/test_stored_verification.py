"""Verifying a stored document's signatures through the API (GET /documents/{id}/verification).

Real throughout: a result signed through the CSC service (SoftHSM2 keys, development TSA and
OCSP over HTTP), stored encrypted on both backends, then checked by the same bounded
verifier that checks uploaded files, under the same access rules and audit as a download.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from sqlalchemy import select

from signing.csc_server.dev_pki import DevPki
from signing.issuing.wiring import VaultSigning
from signing.verify import TrustSettings, Verifier
from tests.factories import png_bytes, upload
from tests.people import People
from tests.signing.vault.conftest import signing_app
from tests.signing.vault.test_vault_signing import new_owner, sign, stored_result
from vault.db.models import AuditEntryRow
from vault.runtime import Vault


@pytest.fixture
def api(vault: Vault, people: People, signing: VaultSigning, pki: DevPki) -> Iterator[TestClient]:
    app = signing_app(vault, signing)
    # Online: a B-T result carries no revocation data of its own; OCSP is on loopback.
    trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
    with Verifier(trust, offline=False) as verifier:
        app.state.verifier = verifier
        with TestClient(app) as client:
            yield client


def test_a_signed_stored_result_gets_the_same_report_as_the_uploaded_file(
    api: TestClient, people: People
) -> None:
    owner_id = new_owner(api, people)
    draft = stored_result(api, people, owner_id)
    signed = sign(api, people, draft["id"])
    assert signed.status_code == 201, signed.text  # type: ignore[attr-defined]
    signed_id = signed.json()["id"]  # type: ignore[attr-defined]

    r = api.get(f"/api/v1/documents/{signed_id}/verification", headers=people.auth("issuer"))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["bottom_line"] == "TOTAL_PASSED"
    [signature] = report["signatures"]
    assert signature["level"] == "PAdES-BASELINE-T"
    assert signature["signer"]["common_name"] == "Trần Thị Bình"

    pdf = api.get(f"/api/v1/documents/{signed_id}/content", headers=people.auth("issuer"))
    uploaded = api.post("/api/v1/verifications", files={"file": ("ket-qua.pdf", pdf.content)})
    assert uploaded.status_code == 200
    assert uploaded.json()["bottom_line"] == report["bottom_line"]
    assert uploaded.json()["signatures"][0]["signer"] == signature["signer"]

    xml = api.get(
        f"/api/v1/documents/{signed_id}/verification?format=etsi-xml",
        headers=people.auth("issuer"),
    )
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    assert b"ValidationReport" in xml.content

    # The unsigned draft is a report with nothing to judge, not an error.
    unsigned = api.get(
        f"/api/v1/documents/{draft['id']}/verification", headers=people.auth("issuer")
    )
    assert unsigned.status_code == 200
    assert unsigned.json()["signatures"] == []
    assert unsigned.json()["bottom_line"] != "TOTAL_PASSED"


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_access_rules_and_audit_apply(api: TestClient, people: People, vault: Vault) -> None:
    owner_id = new_owner(api, people)
    draft = stored_result(api, people, owner_id)
    url = f"/api/v1/documents/{draft['id']}/verification"

    assert api.get(url).status_code == 401
    denied = api.get(url, headers=people.auth("other_receiver"))
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    assert api.get(url, headers=people.auth("auditor")).status_code == 403
    missing = api.get(
        "/api/v1/documents/0190d5a0-0000-7000-8000-000000000000/verification",
        headers=people.auth("issuer"),
    )
    assert missing.status_code == 404
    assert api.get(url, headers=people.auth("issuer")).status_code == 200

    with vault.uows() as uow:
        rows = uow.session.execute(
            select(AuditEntryRow.outcome).where(
                AuditEntryRow.action == "document.verify",
                AuditEntryRow.document_id == uuid.UUID(str(draft["id"])),
            )
        ).scalars()
        outcomes = sorted(str(o) for o in rows)
    assert outcomes == ["denied", "denied", "ok"]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_a_scan_is_415_not_a_crash(api: TestClient, people: People) -> None:
    owner_id = new_owner(api, people)
    scan = upload(api, owner_id, png_bytes(), headers=people.auth("clerk"))
    r = api.get(f"/api/v1/documents/{scan['id']}/verification", headers=people.auth("clerk"))
    assert r.status_code == 415
    assert "PAdES" in r.json()["detail"]
