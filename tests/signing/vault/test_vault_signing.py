"""Signing stored results through the remote service, and keeping them verifiable (B-LTA).

Real everywhere: the CSC service under uvicorn with keys in SoftHSM2, the development TSA
and OCSP over HTTP, the vault on SQLite + folder and on PostgreSQL + S3, pyHanko and
poppler's pdfsig as the verifiers.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

from signing.csc_server.dev_pki import DevPki
from signing.issuing import extend
from signing.issuing.pades import protection
from signing.issuing.signer_settings import SignerSettings
from signing.issuing.wiring import VaultSigning
from tests.factories import CITIZEN_ID, pdf_bytes, upload
from tests.people import AGENCY, People
from tests.signing.vault.conftest import (
    PINS,
    Csc,
    offline_context,
    online_context,
    page_text,
    pdfsig,
)
from vault import metrics
from vault.auth import Role
from vault.runtime import Vault

MADE = "vault_signatures_made_total"

ISSUER_PIN = PINS["h57-officer-binh"]


def new_owner(api: TestClient, people: People) -> str:
    r = api.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn Thị Hương"},
        headers=people.auth("clerk"),
    )
    assert r.status_code in (200, 201), r.text
    owner_id: str = r.json()["id"]
    return owner_id


def stored_result(client: TestClient, people: People, owner_id: str) -> dict[str, object]:
    return upload(
        client,
        owner_id,
        pdf_bytes(2),
        filename="ket-qua.pdf",
        content_type="application/pdf",
        headers=people.auth("issuer"),
        paper_type="procedure_result",
        title="Quyết định cấp giấy phép xây dựng",
        origin="issued_result",
    )


def sign(
    client: TestClient, people: People, document_id: object, *, who: str = "issuer", **body: str
) -> object:
    return client.post(
        f"/api/v1/documents/{document_id}/sign",
        json={"pin": ISSUER_PIN, **body},
        headers=people.auth(who),
    )


def content(client: TestClient, people: People, document_id: object) -> bytes:
    r = client.get(f"/api/v1/documents/{document_id}/content", headers=people.auth("issuer"))
    assert r.status_code == 200, r.text
    return r.content


def test_signing_a_stored_result_stores_a_signed_version_and_keeps_the_draft(
    api: TestClient, people: People, pki: DevPki, nss_db: str, tmp_path: Path
) -> None:
    owner_id = new_owner(api, people)
    draft = stored_result(api, people, owner_id)

    made_before = metrics.REGISTRY.get_sample_value(MADE, {"outcome": "made"}) or 0
    r = sign(api, people, draft["id"])
    assert r.status_code == 201, r.text
    signed = r.json()
    # Counted for /metrics: one signature made, and how long it took.
    assert metrics.REGISTRY.get_sample_value(MADE, {"outcome": "made"}) == made_before + 1
    assert (metrics.REGISTRY.get_sample_value("vault_signing_duration_seconds_count") or 0) >= 1
    assert signed["origin"] == "issued_result"
    assert signed["has_signature"] is True
    assert signed["version"] == 2 and signed["supersedes_id"] == draft["id"]
    assert r.headers["Location"] == f"/api/v1/documents/{signed['id']}"

    # The unsigned draft stays on record, superseded, with its bytes unchanged.
    versions = api.get(
        f"/api/v1/documents/{signed['id']}/versions", headers=people.auth("issuer")
    ).json()
    assert [(v["version"], v["status"], v["has_signature"]) for v in versions] == [
        (1, "superseded", False),
        (2, "current", True),
    ]
    original = content(api, people, draft["id"])
    assert PdfFileReader(io.BytesIO(original)).embedded_signatures == []

    pdf = content(api, people, signed["id"])
    assert pdf.startswith(original)  # an incremental update: the draft's bytes are signed as is
    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(sig, online_context(pki))
    assert status.bottom_line, status.summary()
    assert status.intact and status.valid and status.trusted and not status.revoked
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted  # B-T
    assert "Trần Thị Bình" in status.signing_cert.subject.human_friendly

    report = pdfsig(pdf, nss_db, tmp_path)
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report

    # The visible stamp, in Vietnamese: who, for which agency, when.
    stamp = page_text(pdf, -1, with_annotations=True)
    assert "Ký số bởi: Trần Thị Bình" in stamp
    assert f"Cơ quan: UBND phường Bến Nghé ({AGENCY})" in stamp
    assert "Thời gian:" in stamp and "(GMT+7)" in stamp

    assert protection(pdf) is not None and protection(pdf).level == "B-T"  # type: ignore[union-attr]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_b_lt_on_request_validates_offline(api: TestClient, people: People, pki: DevPki) -> None:
    owner_id = new_owner(api, people)
    draft = stored_result(api, people, owner_id)
    r = sign(api, people, draft["id"], level="B-LT")
    assert r.status_code == 201, r.text
    pdf = content(api, people, r.json()["id"])
    reader = PdfFileReader(io.BytesIO(pdf))
    vc = offline_context(reader, pki)
    status = validate_pdf_signature(reader.embedded_signatures[0], vc)
    assert status.bottom_line, status.summary()
    assert protection(pdf).level == "B-LT"  # type: ignore[union-attr]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_what_may_not_be_signed_is_refused_before_anything_is_signed(
    api: TestClient, people: People, vault: Vault, csc: Csc
) -> None:
    owner_id = new_owner(api, people)
    draft = stored_result(api, people, owner_id)

    # A wrong PIN: the officer's mistake, on the field that carries it; nothing stored.
    r = sign(api, people, draft["id"], pin="000000")
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "pin", "detail": "the signing service refused the PIN"}]

    # Not an issuing officer; an issuing officer of another agency.
    assert sign(api, people, draft["id"], who="certifier").status_code == 403
    assert sign(api, people, draft["id"], who="other_clerk").status_code == 403

    # An officer whose certificate is revoked: refused before any signature is made.
    with vault.uows() as uow:
        people.accounts["revoked_issuer"] = vault.auth.add_officer(
            uow,
            username="revoked_issuer",
            full_name="Lê Văn Cường",
            agency_code=AGENCY,
            roles=[Role.ISSUING_OFFICER],
        )
        uow.commit()
    r = sign(api, people, draft["id"], who="revoked_issuer", pin=PINS["h57-officer-revoked"])
    assert r.status_code == 409, r.text
    assert "revoked" in r.json()["detail"]

    # An officer without a credential in the signing service.
    with vault.uows() as uow:
        people.accounts["no_key"] = vault.auth.add_officer(
            uow,
            username="no_key",
            full_name="Không Khóa",
            agency_code=AGENCY,
            roles=[Role.ISSUING_OFFICER],
        )
        uow.commit()
    assert sign(api, people, draft["id"], who="no_key").status_code == 403

    # An image is not a PDF result.
    image = upload(api, owner_id, headers=people.auth("issuer"), origin="issued_result")
    assert sign(api, people, image["id"]).status_code == 422

    versions = api.get(
        f"/api/v1/documents/{draft['id']}/versions", headers=people.auth("issuer")
    ).json()
    assert len(versions) == 1
    assert csc.logged_credentials() == []  # the signing service signed nothing

    # And signing twice: the second time the draft is superseded.
    assert sign(api, people, draft["id"]).status_code == 201
    assert sign(api, people, draft["id"]).status_code == 409


def test_extend_signatures_adds_a_document_timestamp(
    api: TestClient, people: People, vault: Vault, signing: VaultSigning, pki: DevPki
) -> None:
    owner_id = new_owner(api, people)
    draft = stored_result(api, people, owner_id)
    signed = sign(api, people, draft["id"]).json()  # type: ignore[attr-defined]
    assert signing.signer is not None

    # The development certificates last until 2035-2040: nothing is due within a year ...
    report = extend.extend_signatures(vault, signing.signer, within_days=365)
    assert (report.examined, report.extended, report.not_due) == (1, 0, 1)
    # ... but all of it is within thirty years.
    report = extend.extend_signatures(vault, signing.signer, within_days=365 * 30)
    assert (report.extended, report.failed) == (1, 0), report
    item = report.items[0]
    assert item.level == "B-T" and item.new_document_id is not None

    versions = api.get(
        f"/api/v1/documents/{signed['id']}/versions", headers=people.auth("issuer")
    ).json()
    assert [v["status"] for v in versions] == ["superseded", "superseded", "current"]
    pdf = content(api, people, item.new_document_id)
    assert pdf.startswith(content(api, people, signed["id"]))  # appended, never rewritten

    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_timestamp_signatures) == 1
    assert protection(pdf).level == "B-LTA"  # type: ignore[union-attr]
    vc = offline_context(reader, pki)
    ts_status = validate_pdf_timestamp(reader.embedded_timestamp_signatures[0], vc)
    assert ts_status.valid and ts_status.intact and ts_status.trusted, ts_status.summary()
    # The original signature now validates offline, its DSS and timestamp judged harmless.
    status = validate_pdf_signature(reader.embedded_regular_signatures[0], vc)
    assert status.bottom_line, status.summary()
    assert status.modification_level is ModificationLevel.LTA_UPDATES

    with vault.uows() as uow:
        entries = uow.audit.for_owner(uuid.UUID(owner_id), before_seq=None, limit=50)
    assert any(e.action == "document.extend_signatures" for e in entries)


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_extend_signatures_command(
    api: TestClient,
    people: People,
    vault: Vault,
    signer_settings: SignerSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner_id = new_owner(api, people)
    signed = sign(api, people, stored_result(api, people, owner_id)["id"]).json()  # type: ignore[attr-defined]

    settings = vault.settings
    env = {
        "VAULT_ENV": "test",
        "VAULT_DATABASE_URL": settings.database_url,
        "VAULT_STORAGE_BACKEND": "filesystem",
        "VAULT_STORAGE_PATH": str(settings.storage_path),
        "VAULT_SIGNER_SERVICE_URL": str(signer_settings.service_url),
        "VAULT_SIGNER_CLIENT_TOKEN": signer_settings.client_token.get_secret_value(),
        "VAULT_SIGNER_TSA_URL": str(signer_settings.tsa_url),
        "VAULT_SIGNER_TRUST_ROOTS": json.dumps([str(p) for p in signer_settings.trust_roots]),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert extend.cli_main(["--dry-run", "--within-days", str(365 * 30)]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["items"][0]["action"] == "due" and dry["extended"] == 0

    assert extend.cli_main(["--within-days", str(365 * 30)]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["extended"] == 1 and done["items"][0]["document_id"] == signed["id"]

    monkeypatch.delenv("VAULT_SIGNER_SERVICE_URL")
    assert extend.cli_main([]) == 2


def test_signer_settings_refuse_what_cannot_work(tmp_path: Path) -> None:
    from pydantic import SecretStr, ValidationError

    from vault.settings import Environment

    assert not SignerSettings().enabled  # no service: signing is off, nothing is required
    root = tmp_path / "root.pem"
    complete = {
        "service_url": "https://signing.example.gov.vn/",
        "client_token": SecretStr("t" * 32),
        "tsa_url": "http://tsa.example.gov.vn",
        "trust_roots": [root],
        "public_base_url": "https://vault.example.gov.vn",
    }
    settings = SignerSettings(env=Environment.PRODUCTION, **complete)  # type: ignore[arg-type]
    assert settings.enabled and settings.service_url == "https://signing.example.gov.vn"
    empty = {"client_token": SecretStr(""), "tsa_url": None, "trust_roots": []}
    for name, value in empty.items():
        with pytest.raises(ValidationError, match=name.upper()):
            SignerSettings(**{**complete, name: value})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="https"):
        SignerSettings(  # type: ignore[arg-type]
            env=Environment.PRODUCTION, **{**complete, "public_base_url": "http://vault"}
        )
    with pytest.raises(ValidationError, match="base32"):
        SignerSettings(
            seals={"000.00.15.H57": {"credential_id": "s", "pin": "1", "otp_secret": "!!"}}
        )


def test_signing_a_recorded_result_makes_it_the_dossiers_signed_result_and_tells_the_portal(
    api: TestClient, people: People, vault: Vault
) -> None:
    from vault.db.outbox_repository import OutboxRepository

    owner_id = new_owner(api, people)
    r = api.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{AGENCY}-250106-0001",
            "procedure_code": "1.001193",
            "owner_id": owner_id,
            "received_at": "2025-01-06T08:00:00+07:00",
        },
        headers=people.auth("clerk"),
    )
    dossier = r.json()["id"]
    draft = stored_result(api, people, owner_id)
    r = api.post(
        f"/api/v1/dossiers/{dossier}/results",
        json={"document_id": draft["id"], "result_code": "KQ.G15.000031"},
        headers=people.auth("issuer"),
    )
    assert r.status_code == 201, r.text
    monthly = {"agency_code": AGENCY, "month": "2025-01"}
    before = api.get("/api/v1/indicators", params=monthly, headers=people.auth("clerk")).json()
    assert before["indicators"][0]["numerator"] == 0  # 4.1: an unsigned result
    signed = sign(api, people, draft["id"])
    assert signed.status_code == 201, signed.text  # type: ignore[attr-defined]
    signed_id = signed.json()["id"]  # type: ignore[attr-defined]

    results = api.get(f"/api/v1/dossiers/{dossier}/documents", headers=people.auth("issuer"))
    by_document = {a["document_id"]: a for a in results.json()}
    assert by_document[signed_id]["result_code"] == "KQ.G15.000031"
    after = api.get("/api/v1/indicators", params=monthly, headers=people.auth("clerk")).json()
    assert after["indicators"][0]["numerator"] == 1
    with vault.uows() as uow:
        events = uow.repository(OutboxRepository).find(limit=100)
    last = max(events, key=lambda e: e.sequence)
    assert last.kind == "result_signed"
    signed_results = [
        r for r in last.payload["hoSo"]["DanhSachGiayToKetQua"] if r["GiayToId"] == signed_id
    ]
    assert [(r["DaKySo"], r["MaGiayToKetQua"]) for r in signed_results] == [("1", "KQ.G15.000031")]
