"""The HTTP endpoint (public, multipart), the CLI entry and the settings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.routers import verifications
from signing.csc_server.dev_pki import DevPki
from signing.verify import (
    Indication,
    ProblemCode,
    TrustConfigurationError,
    TrustSettings,
    Verifier,
    cli_main,
    close_shared_verifiers,
    verify_pdf,
)
from signing.verify.etsi_xml import VR
from signing.verify.trust import VerificationPolicy
from signing.verify.verifier_settings import VerifySettings


@pytest.fixture(scope="module")
def client(trust: TrustSettings) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(verifications.router, prefix="/api/v1")
    with Verifier(trust, max_document_bytes=200_000) as verifier:
        app.state.verifier = verifier
        with TestClient(app) as c:
            yield c


def test_post_a_pdf_gets_the_report_without_signing_in(
    client: TestClient, signed_lt: bytes
) -> None:
    r = client.post(
        "/api/v1/verifications", files={"file": ("ket-qua.pdf", signed_lt, "application/pdf")}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bottom_line"] == "TOTAL_PASSED"
    assert body["offline"] is True
    sig = body["signatures"][0]
    assert sig["level"] == "PAdES-BASELINE-LT"
    assert sig["signer"]["common_name"] == "Nguyễn Văn An"
    assert sig["revocation"]["status"] == "GOOD"
    assert body["revisions"][2]["changes"] == ["DSS_UPDATED", "METADATA_UPDATED"]


def test_a_failed_signature_is_still_a_200_report(client: TestClient, signed_lt: bytes) -> None:
    from tests.signing.verify import pdfs

    r = client.post(
        "/api/v1/verifications", files={"file": ("x.pdf", pdfs.flip_signed_byte(signed_lt))}
    )
    assert r.status_code == 200
    assert r.json()["bottom_line"] == "TOTAL_FAILED"
    assert r.json()["sub_indication"] == "HASH_FAILURE"


def test_etsi_xml_report(client: TestClient, signed_lt: bytes) -> None:
    r = client.post("/api/v1/verifications?format=etsi-xml", files={"file": ("x.pdf", signed_lt)})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)  # noqa: S314 - our own output
    assert root.tag == f"{{{VR}}}ValidationReport"


def test_not_a_pdf_is_415_by_its_bytes_not_its_name(client: TestClient) -> None:
    r = client.post(
        "/api/v1/verifications",
        files={"file": ("looks.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "application/pdf")},
    )
    assert r.status_code == 415
    assert r.headers["content-type"].startswith("application/problem+json")


def test_too_large_is_413(client: TestClient) -> None:
    r = client.post(
        "/api/v1/verifications", files={"file": ("big.pdf", b"%PDF-1.7\n" + b"x" * 300_000)}
    )
    assert r.status_code == 413


def test_cli_prints_the_report_and_exits_by_verdict(
    tmp_path: Path, signed_lt: bytes, pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_lt)
    root = str(pki.cert_path("root"))
    assert cli_main([str(path), "--trust-root", root]) == 0
    out = capsys.readouterr().out
    assert "Result: TOTAL_PASSED" in out and "PAdES-BASELINE-LT" in out
    assert cli_main([str(path), "--trust-root", root, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bottom_line"] == "TOTAL_PASSED"
    (tmp_path / "broken.pdf").write_bytes(signed_lt[: len(signed_lt) // 2])
    assert cli_main([str(tmp_path / "broken.pdf"), "--trust-root", root]) == 2
    assert "cannot be validated" in capsys.readouterr().out
    assert cli_main([str(tmp_path / "missing.pdf")]) == 64


def test_production_needs_configured_roots_and_refuses_the_development_root(
    pki: DevPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("VAULT_VERIFY_TRUST_ROOTS", "VAULT_VERIFY_ENV"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError):
        VerifySettings(env="production")  # type: ignore[arg-type]
    settings = VerifySettings(env="production", trust_roots=[pki.cert_path("root")])  # type: ignore[arg-type]
    with pytest.raises(TrustConfigurationError):
        settings.trust()
    dev = VerifySettings(trust_roots=[pki.cert_path("root")])
    assert len(dev.trust().roots) == 1


def test_settings_from_the_environment(pki: DevPki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_VERIFY_TRUST_ROOTS", json.dumps([str(pki.cert_path("root"))]))
    monkeypatch.setenv("VAULT_VERIFY_TIME_LIMIT_SECONDS", "12")
    settings = VerifySettings()
    assert settings.time_limit_seconds == 12
    assert settings.trust().roots[0] == TrustSettings.from_files([pki.cert_path("root")]).roots[0]


def test_the_policy_is_the_reference_one_unless_configured_strict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("STRICT", "ALLOW_FORM_FILLING", "ALLOW_ANNOTATIONS", "ENFORCE_MDP"):
        monkeypatch.delenv(f"VAULT_VERIFY_{name}", raising=False)
    assert VerifySettings().policy() == VerificationPolicy()
    assert VerifySettings().policy().name == "vault-reference-1"
    monkeypatch.setenv("VAULT_VERIFY_ALLOW_ANNOTATIONS", "false")
    tightened = VerifySettings().policy()
    assert tightened.name == "vault-reference-1+no-annotations"
    assert tightened.allow_form_filling and not tightened.allow_annotations
    monkeypatch.setenv("VAULT_VERIFY_STRICT", "true")
    strict = VerifySettings().policy()
    assert strict == VerificationPolicy.strict() and strict.name == "vault-strict-1"


def test_verify_pdf_runs_in_a_shared_worker(trust: TrustSettings, signed_lt: bytes) -> None:
    try:
        report = verify_pdf(signed_lt, trust, offline=True, time_limit=60)
        assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
        again = verify_pdf(b"not a pdf", trust, offline=True, time_limit=60)
        assert again.problem is not None and again.problem.code is ProblemCode.NOT_A_PDF
    finally:
        close_shared_verifiers()
