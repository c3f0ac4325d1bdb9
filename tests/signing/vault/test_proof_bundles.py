"""Offline proof bundles of signed results and certified copies: one file (the PDF with its
long-term validation data, and the vault's sealed record statement) that a receiving agency
checks without the vault; checked by `vault verify --bundle`, the SDK and the public page.

Offline is checked in a network namespace of its own (`unshare -n`): the SDK's verifier and
the CLI run there with no network at all, so any fetch would fail.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from vault_client.packages import verify_bundle

from signing.csc_server.dev_pki import DevPki
from signing.issuing.pades import protection
from tests.factories import pdf_bytes
from tests.people import AGENCY, People
from tests.signing.vault.conftest import PINS, PUBLIC_BASE
from tests.signing.vault.test_certified_copies import BOOK, certify, scanned_jpeg
from tests.signing.vault.test_vault_signing import new_owner, stored_result

ISSUER_PIN = PINS["h57-officer-binh"]


def signed_result(api: TestClient, people: People, owner_id: str) -> dict[str, object]:
    draft = stored_result(api, people, owner_id)
    r = api.post(
        f"/api/v1/documents/{draft['id']}/sign",
        json={"pin": ISSUER_PIN},
        headers=people.auth("issuer"),
    )
    assert r.status_code == 201, r.text
    signed: dict[str, object] = r.json()
    return signed


def unpack(bundle: bytes) -> tuple[bytes, dict[str, object], bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as z:
        return (
            z.read("document.pdf"),
            json.loads(z.read("statement.json")),
            z.read("statement.json.p7s"),
        )


def repack(pdf: bytes, statement: bytes, signature: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("document.pdf", pdf)
        z.writestr("statement.json", statement)
        z.writestr("statement.json.p7s", signature)
    return out.getvalue()


def offline(*args: str) -> subprocess.CompletedProcess[str]:
    """A command run with no network at all (a network namespace of its own)."""
    return subprocess.run(
        ["unshare", "-n", sys.executable, *args], capture_output=True, text=True, timeout=300
    )


def test_a_signed_results_bundle_verifies_offline_and_tampering_fails(
    api: TestClient, people: People, pki: DevPki, tmp_path: Path
) -> None:
    owner_id = new_owner(api, people)
    signed = signed_result(api, people, owner_id)
    r = api.get(f"/api/v1/documents/{signed['id']}/proof-bundle", headers=people.auth("issuer"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    bundle = r.content
    pdf, statement, signature = unpack(bundle)

    # The stored result was B-T: the bundle's copy carries the validation data (B-LTA) and
    # begins with the version on record, byte for byte.
    recorded = api.get(
        f"/api/v1/documents/{signed['id']}/content", headers=people.auth("issuer")
    ).content
    assert pdf.startswith(recorded) and len(pdf) > len(recorded)
    evidence = protection(pdf)
    assert evidence is not None and evidence.level == "B-LTA"
    assert "/DSS" in PdfFileReader(io.BytesIO(pdf)).root
    assert statement["kind"] == "signed_result" and statement["status_at_issue"] == "current"
    assert statement["office"] == {"code": AGENCY, "name": "UBND phường Bến Nghé"}
    assert statement["status_url"] == f"{PUBLIC_BASE}/api/v1/public/proof-status/{signed['id']}"

    root = pki.cert_path("root")
    report = verify_bundle(bundle, [root])
    assert report.passed, report.problems
    assert report.seal is not None and report.seal.trusted and report.seal.timestamp
    assert report.pdf is not None and report.pdf.passed

    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    cli = offline("-m", "api.cli", "verify", "--bundle", str(path), "--trust-root", str(root))
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert cli.stdout.startswith("passed") and "signed_result" in cli.stdout
    sdk = offline(
        "-c",
        "import sys; from vault_client.packages import verify_bundle; "
        "r = verify_bundle(sys.argv[1], [sys.argv[2]], pdf_timeout=None); "
        "print(r.passed, r.problems); sys.exit(0 if r.passed else 1)",
        str(path),
        str(root),
    )
    assert sdk.returncode == 0, sdk.stdout + sdk.stderr

    raw = json.dumps(statement).encode()
    with zipfile.ZipFile(io.BytesIO(bundle)) as z:
        raw = z.read("statement.json")
    forged = raw.replace(b'"current"', b'"superseded"')
    cases = {
        "a changed PDF": repack(pdf + b"\n% appended\n", raw, signature),
        "a changed statement": repack(pdf, forged, signature),
        "another statement's seal": repack(pdf, raw, signature[:-40] + bytes(40)),
    }
    for name, tampered in cases.items():
        assert not verify_bundle(tampered, [root]).passed, name
        p = tmp_path / "t.zip"
        p.write_bytes(tampered)
        cli = offline("-m", "api.cli", "verify", "--bundle", str(p), "--trust-root", str(root))
        assert cli.returncode == 1, (name, cli.stdout)

    # The public page checks a dropped bundle: statement, seal, and the PDF's signatures.
    for lang, words in (("vi", "Gói bằng chứng hợp lệ"), ("en", "The proof bundle holds")):
        page = api.post(
            f"/public/verify?lang={lang}", files={"file": ("bundle.zip", bundle, "application/zip")}
        )
        assert page.status_code == 200, page.text
        assert 'id="bundle-statement" class="card" data-passed="yes"' in page.text
        assert words in page.text
    page = api.post(
        "/public/verify?lang=en",
        files={"file": ("b.zip", cases["a changed statement"], "application/zip")},
    )
    assert 'data-passed="no"' in page.text

    # The status URL answers online: current now, superseded once a newer version replaces it.
    status = api.get(f"/api/v1/public/proof-status/{signed['id']}").json()
    assert status["status"] == "current"
    r = api.post(
        f"/api/v1/documents/{signed['id']}/versions",
        data={"paper_type": "procedure_result", "title": "Quyết định (cấp lại)",
              "origin": "issued_result"},
        files={"file": ("r.pdf", pdf_bytes(1), "application/pdf")},
        headers=people.auth("issuer"),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert api.get(f"/api/v1/public/proof-status/{signed['id']}").json()["status"] == "superseded"


def test_a_certified_copys_bundle_names_its_number_and_book(
    api: TestClient, people: People, pki: DevPki
) -> None:
    owner_id = new_owner(api, people)
    r = certify(api, people, owner_id, [("trang-1.jpg", scanned_jpeg(), "image/jpeg")])
    assert r.status_code == 201, r.text
    body = r.json()
    document, cert = body["document"], body["certification"]
    r = api.get(
        f"/api/v1/documents/{document['id']}/proof-bundle", headers=people.auth("certifier")
    )
    assert r.status_code == 200, r.text
    _, statement, _ = unpack(r.content)
    assert statement["kind"] == "certified_copy"
    assert statement["book"] == BOOK
    assert statement["number"] == cert["number_text"]
    assert statement["recorded_sha256"] == document["content"]["sha256"]
    assert verify_bundle(r.content, [pki.cert_path("root")]).passed


def test_who_may_take_a_bundle_and_of_what(api: TestClient, people: People) -> None:
    owner_id = new_owner(api, people)
    signed = signed_result(api, people, owner_id)
    # An officer of another agency with no dossier or consent reads nothing of it.
    r = api.get(
        f"/api/v1/documents/{signed['id']}/proof-bundle", headers=people.auth("other_receiver")
    )
    assert r.status_code == 403
    assert api.get(f"/api/v1/documents/{signed['id']}/proof-bundle").status_code == 401
    # An unsigned paper has no bundle.
    draft = stored_result(api, people, owner_id)
    r = api.get(f"/api/v1/documents/{draft['id']}/proof-bundle", headers=people.auth("issuer"))
    assert r.status_code == 409
    people.owner_account(owner_id, "huong")
    r = api.get(f"/api/v1/documents/{signed['id']}/proof-bundle", headers=people.auth("huong"))
    assert r.status_code == 200
