"""The app builds one verifier at start-up, over one setting of trust roots, and every route
that judges signatures uses it: the same file gets the same verdict from `POST
/api/v1/verifications`, the public file check (/public/verify) and a certified copy's public
page. (They once had a verifier each: the copies' one over the signer's trust roots, the
verification routes' one over `VAULT_VERIFY_*`, so the same file could pass on one and fail on
the other.)

Real: the copy is made through the CSC service and the app's own `VaultSigning`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from signing.csc_server.dev_pki import DevPki
from signing.issuing.signer_settings import SignerSettings
from tests.factories import signed_pdf_bytes, signer_certificate
from tests.people import People
from tests.signing.vault.test_certified_copies import certify, scanned_jpeg
from tests.signing.vault.test_vault_signing import new_owner
from vault.runtime import Vault


@pytest.fixture
def client(
    vault: Vault,
    signer_settings: SignerSettings,
    pki: DevPki,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    """The app as deployed: it builds its own signing and its own verifier, whose trust
    roots (`VAULT_VERIFY_TRUST_ROOTS`) are NOT the signer's: only the throw-away test signer
    of `signed_pdf_bytes`, never the development PKI that signs the copies."""
    assert signer_settings.trust_roots == [pki.cert_path("root")]
    other_root = tmp_path / "other-root.der"
    other_root.write_bytes(signer_certificate())
    monkeypatch.setenv("VAULT_VERIFY_TRUST_ROOTS", json.dumps([str(other_root)]))
    app = create_app(vault=vault, signer_settings=signer_settings)
    with TestClient(app) as made:
        assert app.state.vault_signing.verifier is app.state.verifier  # one, shared
        yield made


def test_every_route_gives_the_same_verdict_under_the_configured_trust_roots(
    client: TestClient, people: People
) -> None:
    owner_id = new_owner(client, people)
    made = certify(client, people, owner_id, [("scan.jpg", scanned_jpeg(), "image/jpeg")])
    assert made.status_code == 201, made.text
    code = made.json()["certification"]["verification_code"]
    document_id = made.json()["document"]["id"]
    r = client.get(f"/api/v1/documents/{document_id}/content", headers=people.auth("certifier"))
    assert r.status_code == 200
    copy = r.content

    # The verification route: the development PKI is not trusted here.
    r = client.post(
        "/api/v1/verifications", files={"file": ("ban-sao.pdf", copy, "application/pdf")}
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["bottom_line"] != "TOTAL_PASSED"
    indications = [(s["indication"], s["sub_indication"]) for s in report["signatures"]]
    assert len(indications) == 2  # the officer's and the seal's

    # The copy's public page: judged by the same verifier, so the same verdict per signature.
    r = client.get(f"/api/v1/public/certified-copies/{code}")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["signatures_valid"] is False
    assert page["signatures_problem"] is None
    assert [(s["indication"], s["sub_indication"]) for s in page["signatures"]] == indications

    # The public file check (HTML) says so too.
    r = client.post("/public/verify", files={"file": ("ban-sao.pdf", copy, "application/pdf")})
    assert r.status_code == 200, r.text
    verdict = re.search(r'id="verdict"[^>]*?\sdata-indication="([^"]*)"', r.text)
    assert verdict is not None and verdict[1] == report["bottom_line"]

    # And the setting is the configured one, not a default: the test signer's file passes.
    r = client.post(
        "/api/v1/verifications",
        files={"file": ("ket-qua.pdf", signed_pdf_bytes(), "application/pdf")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["bottom_line"] == "TOTAL_PASSED"
