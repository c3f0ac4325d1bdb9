"""Verifying a file without an account: the public page (/public/verify), the QR page's file
check, and the JSON report's wording by Accept-Language.

Real throughout: certified copies and signed results made through the CSC service (SoftHSM2
keys, development TSA and OCSP), stored on both backends, checked by the vault's bounded
verifier; the pages are read as HTML by their element hooks.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from signing.csc_server.dev_pki import DevPki
from signing.issuing.on_record import MAX_REVISIONS, _prefix_hashes
from signing.issuing.wiring import VaultSigning
from signing.verify import TrustSettings, Verifier
from tests.factories import pdf_bytes, signed_pdf_bytes
from tests.people import People
from tests.signing.vault.conftest import signing_app
from tests.signing.vault.test_certified_copies import certify, scanned_jpeg
from tests.signing.vault.test_vault_signing import new_owner, sign, stored_result
from tests.signing.verify.pdfs import add_text_to_page, tamper
from vault.db.models import AuditEntryRow
from vault.ratelimit import RateLimiter
from vault.runtime import Vault

CSP = "default-src 'none'"


@pytest.fixture
def verifier(pki: DevPki) -> Iterator[Verifier]:
    # Online: a B-T result carries no revocation data of its own; OCSP is on loopback.
    trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
    with Verifier(trust, offline=False) as made:
        yield made


@pytest.fixture
def client(vault: Vault, signing: VaultSigning, verifier: Verifier) -> Iterator[TestClient]:
    app = signing_app(vault, signing)
    app.state.verifier = verifier
    with TestClient(app) as made:
        yield made


def attr(page: str, element_id: str, name: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*?\s{name}="([^"]*)"', page)
    return found[1] if found else None


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert found, f"no #{element_id} on the page"
    return " ".join(found[1].split())


def drop(client: TestClient, data: bytes, url: str = "/public/verify", **kw: str) -> Response:
    return client.post(url, files={"file": ("ban-sao.pdf", data, "application/pdf")}, **kw)


def assert_public_page(r: Response) -> None:
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"].startswith(CSP)
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert "set-cookie" not in r.headers  # no session, no token: nothing to forge
    assert '<meta charset="utf-8">' in r.text
    assert "<style" not in r.text and "<script>" not in r.text and " style=" not in r.text


def make_copy(client: TestClient, people: People) -> tuple[str, bytes, str]:
    """(document id, the copy's file, its verification code), made through the API."""
    owner_id = new_owner(client, people)
    made = certify(client, people, owner_id, [("scan.jpg", scanned_jpeg(), "image/jpeg")])
    assert made.status_code == 201, made.text
    document_id = made.json()["document"]["id"]
    r = client.get(f"/api/v1/documents/{document_id}/content", headers=people.auth("certifier"))
    assert r.status_code == 200
    return document_id, r.content, made.json()["certification"]["verification_code"]


def audited(vault: Vault, document_id: str) -> list[str]:
    with vault.uows() as uow:
        rows = uow.session.execute(
            select(AuditEntryRow.detail).where(
                AuditEntryRow.action == "document.public_file_check",
                AuditEntryRow.document_id == uuid.UUID(document_id),
            )
        ).scalars()
        return sorted(str(d) for d in rows)


def test_a_certified_copy_is_named_and_compared_byte_for_byte(
    client: TestClient, people: People, vault: Vault
) -> None:
    document_id, copy, code = make_copy(client, people)

    # The copy as issued: valid, named (number, office, date), byte for byte the record.
    r = drop(client, copy)
    assert r.status_code == 200, r.text
    assert_public_page(r)
    assert attr(r.text, "verdict", "data-indication") == "TOTAL_PASSED"
    assert attr(r.text, "record-match", "data-kind") == "certified_copy"
    assert attr(r.text, "record-match", "data-identical") == "true"
    assert attr(r.text, "record-match", "data-found-by") == "same_file"
    heading = text_of(r.text, "record-heading")
    assert "bản sao điện tử có chứng thực số 1/ĐT" in heading, heading
    assert "(000.00.15.H57)" in heading, heading
    assert "trùng khớp từng byte" in text_of(r.text, "record-status")
    assert r.text.count('class="signature-entry signature-result"') == 2
    assert "Thay đổi sau khi ký" in r.text and "Chứng thư gốc tin cậy" in r.text
    assert "Trần" not in heading and "079203001234" not in r.text  # never the owner

    # One byte flipped inside what the signatures cover: still named (by the code printed
    # on its certification page), not the file on record, signatures broken.
    r = drop(client, tamper(copy))
    assert r.status_code == 200
    assert attr(r.text, "verdict", "data-indication") == "TOTAL_FAILED"
    assert attr(r.text, "record-match", "data-identical") == "false"
    assert attr(r.text, "record-match", "data-found-by") == "code_in_file"
    assert "KHÔNG trùng khớp" in text_of(r.text, "record-status")
    assert "1/ĐT" in text_of(r.text, "record-heading")

    # The copy with text added in a later update: the record's bytes, then changes.
    r = drop(client, add_text_to_page(copy, "DA SUA"))
    assert r.status_code == 200
    assert attr(r.text, "record-match", "data-identical") == "false"
    assert attr(r.text, "record-match", "data-found-by") == "record_then_changes"
    assert attr(r.text, "verdict", "data-indication") != "TOTAL_PASSED"

    # In English on request.
    r = drop(client, copy, url="/public/verify?lang=en")
    assert r.headers["content-language"] == "en"
    assert '<html lang="en">' in r.text
    assert "electronic certified copy no. 1/ĐT" in text_of(r.text, "record-heading")
    assert text_of(r.text, "record-status") == "The file is byte for byte the one on record."

    # The JSON report names it too, worded by Accept-Language.
    r = client.post(
        "/api/v1/verifications",
        files={"file": ("x.pdf", copy, "application/pdf")},
        headers={"Accept-Language": "vi"},
    )
    assert r.status_code == 200
    on_record = r.json()["on_record"]
    assert on_record["kind"] == "certified_copy" and on_record["identical"] is True
    assert on_record["number"] == "1/ĐT" and on_record["office_code"] == "000.00.15.H57"
    assert on_record["status"] == "Tệp trùng khớp từng byte với bản được lưu trong kho."
    r = client.post("/api/v1/verifications", files={"file": ("x.pdf", tamper(copy))})
    assert r.json()["on_record"]["identical"] is False
    assert r.json()["on_record"]["status"].startswith("The file is NOT the one on record")

    # Each match is in the owner's access log; nothing else about the upload is kept.
    assert audited(vault, document_id) == [
        "code_in_file, identical=false",
        "code_in_file, identical=false",
        "record_then_changes, identical=false",
        "same_file, identical=true",
        "same_file, identical=true",
        "same_file, identical=true",
    ]

    # The QR page checks the file in hand against the copy it describes.
    qr = f"/public/certified-copies/{code}"
    page = client.get(qr)
    assert page.status_code == 200
    assert_public_page(page)
    assert 'id="verify-form"' in page.text and f'action="{qr}"' in page.text
    english = client.get(qr, params={"sha256": "0" * 64, "lang": "en"})
    assert english.headers["content-language"] == "en"
    assert "Electronic copy certified from the original" in english.text
    assert "The hash in the QR code does not match" in english.text
    # The toggle back keeps the QR's own query.
    assert f'href="{qr}?sha256={"0" * 64}&amp;lang=vi"' in english.text
    r = drop(client, copy, url=qr)
    assert r.status_code == 200
    assert_public_page(r)
    assert attr(r.text, "record-match", "data-identical") == "true"
    assert attr(r.text, "record-match", "data-found-by") == "code_given"
    assert text_of(r.text, "copy-number") == "1/ĐT"
    r = drop(client, tamper(copy), url=qr)
    assert r.status_code == 200
    assert attr(r.text, "record-match", "data-identical") == "false"
    assert attr(r.text, "verdict", "data-indication") == "TOTAL_FAILED"
    # Another file entirely (unsigned): still compared with this copy, and it is not it.
    r = drop(client, pdf_bytes(1), url=qr + "?lang=en")
    assert attr(r.text, "record-match", "data-identical") == "false"
    assert "The file is NOT the one on record" in text_of(r.text, "record-status")
    assert client.post("/public/certified-copies/no-such-code-0123456789").status_code == 404


def test_a_signed_result_the_vault_issued_is_named(
    client: TestClient, people: People, vault: Vault
) -> None:
    owner_id = new_owner(client, people)
    draft = stored_result(client, people, owner_id)
    signed = sign(client, people, draft["id"])
    assert signed.status_code == 201, signed.text  # type: ignore[attr-defined]
    document_id = signed.json()["id"]  # type: ignore[attr-defined]
    pdf = client.get(f"/api/v1/documents/{document_id}/content", headers=people.auth("issuer"))

    r = drop(client, pdf.content)
    assert r.status_code == 200
    assert attr(r.text, "verdict", "data-indication") == "TOTAL_PASSED"
    assert attr(r.text, "record-match", "data-kind") == "issued_result"
    assert attr(r.text, "record-match", "data-identical") == "true"
    assert "do UBND" in text_of(r.text, "record-heading") or "(000.00.15.H57)" in text_of(
        r.text, "record-heading"
    )
    assert audited(vault, document_id) == ["same_file, identical=true"]

    # The unsigned draft of the same result is no paper the vault issued.
    draft_pdf = client.get(
        f"/api/v1/documents/{draft['id']}/content", headers=people.auth("issuer")
    )
    r = drop(client, draft_pdf.content)
    assert attr(r.text, "verdict", "data-indication") == "NO_SIGNATURE"
    assert 'id="record-match"' not in r.text
    assert 'id="record-none"' in r.text


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_foreign_unsigned_and_refused_files(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    page = client.get("/public/verify")
    assert page.status_code == 200
    assert_public_page(page)
    assert '<html lang="vi">' in page.text
    assert 'name="csrf_token"' not in page.text  # see public_verify's docstring: none needed
    assert 'href="/public/verify?lang=en"' in page.text

    # Signed by somebody the vault does not trust: reported, and not on record.
    r = drop(client, signed_pdf_bytes())
    assert r.status_code == 200
    assert attr(r.text, "verdict", "data-indication") in ("INDETERMINATE", "TOTAL_FAILED")
    assert "Test signer" in r.text
    assert "Chứng thư số không do tổ chức cung cấp dịch vụ tin cậy cấp." in r.text
    assert "Tệp không phải là giấy tờ do kho này cấp" in text_of(r.text, "record-none")

    # Not signed at all.
    r = drop(client, pdf_bytes(2))
    assert r.status_code == 200
    assert attr(r.text, "verdict", "data-indication") == "NO_SIGNATURE"
    assert text_of(r.text, "verdict") == "Tệp này không có chữ ký số."

    # Not a PDF, whatever its name says: 415, as a page.
    r = drop(client, b"GIF89a not a pdf at all")
    assert r.status_code == 415
    assert_public_page(r)
    assert attr(r.text, "verify-error", "data-status") == "415"
    assert text_of(r.text, "verify-error") == "Tệp không phải là PDF."
    # No file at all.
    assert client.post("/public/verify", data={"x": "y"}).status_code == 422
    # Nothing of the uploads reaches a log: not their names, not their content.
    assert "ban-sao.pdf" not in caplog.text and "GIF89a" not in caplog.text


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_oversize_is_413_and_too_many_is_429(
    vault: Vault, signing: VaultSigning, pki: DevPki
) -> None:
    app = signing_app(vault, signing)
    trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
    with Verifier(trust, max_document_bytes=50_000) as small, TestClient(app) as client:
        app.state.verifier = small
        app.state.public_verify_limiter = RateLimiter(1, burst=3)  # one a minute after three
        big = pdf_bytes(1) + b"%" + b"x" * 60_000 + b"\n"
        r = drop(client, big, url="/public/verify?lang=en")
        assert r.status_code == 413
        assert_public_page(r)
        assert text_of(r.text, "verify-error") == "The file is too large to verify."
        assert drop(client, pdf_bytes(1)).status_code == 200
        assert drop(client, pdf_bytes(1)).status_code == 200
        r = drop(client, pdf_bytes(1))
        assert r.status_code == 429
        assert_public_page(r)
        assert int(r.headers["retry-after"]) >= 1
        assert attr(r.text, "verify-error", "data-status") == "429"
        # Reading the page is not counted: only checks are.
        assert client.get("/public/verify").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_json_summaries_by_accept_language(client: TestClient) -> None:
    foreign = signed_pdf_bytes()
    files = {"file": ("x.pdf", foreign, "application/pdf")}

    plain = client.post("/api/v1/verifications", files=files)
    assert plain.status_code == 200
    assert plain.headers["content-language"] == "en"
    assert "accept-language" in plain.headers["vary"].lower()
    body = plain.json()
    # Without the header the verifier's own summary is unchanged; the worded one is English.
    assert body["summary"] and body["summary"] != body["summaries"]["verdict"]
    assert body["summaries"]["lang"] == "en"
    [signature] = body["summaries"]["signatures"]
    assert signature["summary"].startswith(("Could not be confirmed: Test signer", "Invalid"))
    assert "The certificate does not chain to a trusted authority." in signature["reasons"]
    assert body["on_record"] is None  # no paper of this vault

    vi = client.post(
        "/api/v1/verifications", files=files, headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}
    )
    assert vi.headers["content-language"] == "vi"
    words = vi.json()["summaries"]
    assert words["lang"] == "vi"
    assert vi.json()["summary"] == words["verdict"]
    assert words["verdict"] == (
        "Chưa xác định được tính hợp lệ của chữ ký số (xem chi tiết bên dưới)."
        if words["indication"] == "INDETERMINATE"
        else "Có chữ ký số không hợp lệ: không nên tin tưởng tệp này."
    )
    assert (
        "Chứng thư số không do tổ chức cung cấp dịch vụ tin cậy cấp."
        in (words["signatures"][0]["reasons"])
    )

    en = client.post(
        "/api/v1/verifications", files=files, headers={"Accept-Language": "fr, en;q=0.8, vi;q=0.2"}
    )
    assert en.json()["summaries"]["lang"] == "en"
    assert en.json()["summary"] == en.json()["summaries"]["verdict"]

    unsigned = client.post(
        "/api/v1/verifications",
        files={"file": ("u.pdf", pdf_bytes(1), "application/pdf")},
        headers={"Accept-Language": "vi"},
    )
    assert unsigned.json()["summary"] == "Tệp này không có chữ ký số."
    # The OpenAPI document names the multipart field.
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/verifications"]["post"]
    assert "`file`" in operation["description"]


def test_prefix_hashes_are_of_the_latest_revisions_in_one_pass() -> None:
    data = bytes(range(256)) * 40
    ends = [100, 5000, 2000, len(data), 0, 7000, 2000]
    assert _prefix_hashes(data, ends) == [
        hashlib.sha256(data[:end]).hexdigest() for end in (100, 2000, 5000, 7000)
    ]
    # A file of a thousand revisions: only the latest few are looked up.
    many = _prefix_hashes(data, list(range(1, 1001)))
    assert len(many) == MAX_REVISIONS
    assert many[-1] == hashlib.sha256(data[:1000]).hexdigest()
