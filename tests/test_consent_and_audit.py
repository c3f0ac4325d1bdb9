"""Consent (given, listed, revoked, with a signed receipt), the owner's access log, and the
tamper-evident audit chain."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import Backend
from tests.factories import CITIZEN_ID, create_owner, upload
from tests.people import AGENCY, People
from tests.test_atomicity import settings_env
from vault.audit import AuditDraft, verify_chain
from vault.runtime import Vault


def test_consent_opens_and_revocation_closes_at_once(
    client: TestClient, people: People, vault: Vault
) -> None:
    owner = create_owner(client)
    people.owner_account(owner, "huong")
    me = people.auth("huong")
    card = upload(client, owner, paper_type="chip_id_card", headers=people.auth("other_clerk"))
    url = f"/api/v1/documents/{card['id']}"
    assert client.get(url, headers=people.auth("verifier")).status_code == 403

    r = client.post(
        "/api/v1/me/consents",
        headers=me,
        json={
            "agency_code": AGENCY,
            "paper_types": ["chip_id_card"],
            "purpose": "Mở tài khoản",
            "days": 30,
        },
    )
    assert r.status_code == 201, r.text
    consent = r.json()
    assert consent["active"] is True
    assert client.get(url, headers=people.auth("verifier")).status_code == 200
    listed = client.get("/api/v1/me/consents", headers=me).json()
    assert [c["id"] for c in listed] == [consent["id"]]

    receipt = client.get(f"/api/v1/me/consents/{consent['id']}/receipt", headers=me).json()
    assert receipt["receipt"]["piiControllers"][0]["agencyCode"] == AGENCY
    assert CITIZEN_ID not in str(receipt)
    jwks = client.get("/.well-known/jwks.json").json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    signed = jwt.decode(receipt["jws"], key, algorithms=["EdDSA"], options={"verify_aud": False})
    assert signed["receipt"] == receipt["receipt"]

    revoked = client.post(f"/api/v1/me/consents/{consent['id']}/revoke", headers=me).json()
    assert revoked["active"] is False
    assert client.get(url, headers=people.auth("verifier")).status_code == 403

    # Consent is the owner's to give: officers cannot, other owners cannot see it.
    assert (
        client.post(
            "/api/v1/me/consents",
            json={"agency_code": AGENCY, "paper_types": ["chip_id_card"], "purpose": "x"},
        ).status_code
        == 403
    )
    other = create_owner(client, "001099012345", "Trần Văn Đức")
    people.owner_account(other, "duc")
    assert (
        client.get(
            f"/api/v1/me/consents/{consent['id']}/receipt", headers=people.auth("duc")
        ).status_code
        == 404
    )
    for bad in [
        {"paper_types": []},
        {"paper_types": ["spaceship"]},
        {"agency_code": "X"},
        {"days": 0},
        {"purpose": " "},
    ]:
        body = {"agency_code": AGENCY, "paper_types": ["chip_id_card"], "purpose": "p", **bad}
        assert client.post("/api/v1/me/consents", headers=me, json=body).status_code == 422, bad


def test_owner_sees_who_read_their_papers_and_why(client: TestClient, people: People) -> None:
    owner = create_owner(client)
    people.owner_account(owner, "huong")
    card = upload(client, owner, paper_type="chip_id_card", headers=people.auth("other_clerk"))
    r = client.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{AGENCY}-250115-0001",
            "procedure_code": "1.001193",
            "owner_id": owner,
            "received_at": "2025-01-15T09:00:00+07:00",
        },
    )
    dossier = r.json()
    client.get(f"/api/v1/documents/{card['id']}/content", headers=people.auth("receiver"))
    client.get(f"/api/v1/documents/{card['id']}", headers=people.auth("auditor"))  # denied

    log = client.get("/api/v1/me/access-log", headers=people.auth("huong"))
    assert log.status_code == 200
    entries = log.json()["items"]
    download = next(e for e in entries if e["action"] == "document.download")
    assert download["who"] == "Receiver"
    assert download["agency_code"] == AGENCY
    assert download["agency_name"] == "UBND phường Bến Nghé"
    assert download["dossier_code"] == dossier["dossier_code"]
    assert download["procedure_code"] == "1.001193"
    assert download["purpose"].startswith(f"dossier {dossier['dossier_code']}")
    denied = next(e for e in entries if e["outcome"] == "denied")
    assert denied["who"] == "Auditor"
    assert [e["seq"] for e in entries] == sorted((e["seq"] for e in entries), reverse=True)
    # Officers have no such view.
    assert client.get("/api/v1/me/access-log").status_code == 403


def test_chain_detects_edits_and_deletions(
    client: TestClient, vault: Vault, backend: Backend, tmp_path: Path
) -> None:
    owner = create_owner(client)
    doc = upload(client, owner)
    for _ in range(3):
        client.get(f"/api/v1/documents/{doc['id']}")
    report = verify_chain(vault.uows)
    assert report.ok
    assert report.entries >= 5

    env = settings_env(backend.settings)
    cli = [str(Path(sys.prefix, "bin", "vault")), "audit", "verify"]
    ok = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stderr

    with vault.engine.begin() as connection:  # an insider edits one row
        connection.execute(text("UPDATE audit_entries SET actor_name = 'Nobody' WHERE seq = 3"))
    report = verify_chain(vault.uows)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 3, "the entry was altered")
    broken = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert broken.returncode == 1
    assert "BROKEN at entry 3" in broken.stderr

    with vault.engine.begin() as connection:  # ... and hides it by deleting it instead
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    assert verify_chain(vault.uows).problem == "an entry is missing"


def test_concurrent_appends_keep_one_unbroken_chain(vault: Vault) -> None:
    def writer(n: int) -> None:
        for i in range(25):
            vault.uows.audit_log.write([AuditDraft(action="test.append", detail=f"{n}-{i}")])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    report = verify_chain(vault.uows)
    assert report.ok, report
    assert report.entries == 16 * 25
    assert report.head_seq == 400
    # Cutting the tail off is caught too: the head remembers where the chain ended.
    with vault.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq > 390"))
    assert verify_chain(vault.uows).problem == "entries after the last one were removed"


def test_the_chain_head_is_anchored_with_an_rfc3161_timestamp(
    client: TestClient, vault: Vault, tmp_path: Path
) -> None:
    from signing.csc_server.dev_pki import start_dev_pki
    from vault.audit import anchor_head, verify_anchors

    owner = create_owner(client)
    upload(client, owner)
    pki = start_dev_pki(tmp_path / "pki")
    try:
        anchor = anchor_head(vault.uows, pki.pki.tsa_url)
        assert anchor is not None
        assert anchor_head(vault.uows, pki.pki.tsa_url) is None  # nothing new to anchor
    finally:
        pki.stop()
    with vault.uows() as uow:
        assert uow.audit.head() == (anchor.seq, anchor.hash)
    assert verify_anchors(vault.uows) == []
    # Rewriting the chain up to the anchored entry cannot be hidden: the token says otherwise.
    with vault.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET hash = :h WHERE seq = :s"),
            {"h": "f" * 64, "s": anchor.seq},
        )
    assert verify_anchors(vault.uows) == [
        f"anchor at {anchor.seq}: the chain no longer has that hash"
    ]
