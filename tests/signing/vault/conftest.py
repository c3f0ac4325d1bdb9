"""Fixtures for signing in the vault, all real: the development PKI (TSA, OCSP, CRLs over
HTTP), SoftHSM2 keys behind a CSC service under uvicorn, and the vault on both backends.

Each test gets a CSC service of its own on the session's token and credentials
(`csc`): own failure counters and own record of used one-time passwords. The office seal
needs a fresh TOTP step per signature (the service refuses a replayed one), and a vault's
`TotpSource` and the service must agree on which steps are spent; per-test pairs keep every
test independent of the others' seal signatures.
"""

from __future__ import annotations

import base64
import io
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from api import create_app
from api.csc import create_csc_app
from api.routers import signing as signing_routes
from signing.csc_server.assembly import DevEnvironment, SigningRuntime
from signing.csc_server.callers import CallerRegistry, token_digest
from signing.csc_server.credentials import PinHasher
from signing.csc_server.dev_pki import DevPki
from signing.csc_server.service import AuthPolicy, SigningService
from signing.csc_server.signature_log import JsonLinesSignatureLog
from signing.csc_server.state import InMemoryStateStore
from signing.issuing.signer_settings import SealCredential, SignerSettings
from signing.issuing.wiring import VaultSigning
from tests.people import AGENCY, People
from tests.signing.conftest import asn1_cert
from tests.support.live import serve
from vault.runtime import Vault

VAULT_TOKEN = "test-vault-signer-token-0123456789abcdef"
PUBLIC_BASE = "https://vault.example.gov.vn"
# username -> credential of the development PKI
OFFICERS = {
    "issuer": "h57-officer-binh",  # ECDSA P-256
    "clerk": "h57-officer-an",  # RSA-2048
    "certifier": "h57-officer-an",
    "other_clerk": "h57-officer-an",
    "revoked_issuer": "h57-officer-revoked",
}
PINS = {"h57-officer-an": "111111", "h57-officer-binh": "222222", "h57-officer-revoked": "444444"}


@dataclass
class Csc:
    url: str
    service: SigningService
    log_path: Path

    def logged_credentials(self) -> list[str]:
        if not self.log_path.exists():
            return []
        import json

        lines = self.log_path.read_text().splitlines()
        return [json.loads(x)["credential"] for x in lines if x.strip()]


@pytest.fixture
def csc(runtime: SigningRuntime, dev: DevEnvironment, tmp_path: Path) -> Iterator[Csc]:
    log_path = tmp_path / "signatures.jsonl"
    service = SigningService(
        credentials=runtime.service.credentials,
        keys=dev.token,
        callers=CallerRegistry({"vault": (token_digest(VAULT_TOKEN), frozenset({"*"}))}),
        signature_log=JsonLinesSignatureLog(log_path),
        states=InMemoryStateStore(),
        pin_hasher=PinHasher(runtime.settings.pin_pepper.get_secret_value().encode()),
        policy=AuthPolicy(failure_delay_seconds=0),
    )
    with serve(create_csc_app(service)) as url:
        yield Csc(url, service, log_path)


@pytest.fixture
def signer_settings(csc: Csc, pki: DevPki, dev: DevEnvironment) -> SignerSettings:
    seal = dev.credentials["h57-seal"]
    assert seal.otp_secret is not None
    return SignerSettings(
        service_url=csc.url,
        client_token=SecretStr(VAULT_TOKEN),
        tsa_url=pki.tsa_url,
        trust_roots=[pki.cert_path("root")],
        officers=OFFICERS,
        seals={
            AGENCY: SealCredential(
                credential_id="h57-seal",
                pin=SecretStr(seal.pin),
                otp_secret=SecretStr(base64.b32encode(seal.otp_secret).decode()),
            )
        },
        public_base_url=PUBLIC_BASE,
        timeout_seconds=60,
    )


@pytest.fixture
def signing(vault: Vault, signer_settings: SignerSettings) -> Iterator[VaultSigning]:
    built = VaultSigning.build(vault, signer_settings)
    yield built
    built.close()


def signing_app(vault: Vault, signing: VaultSigning) -> Any:
    """The API as `api.app.create_app` will serve it once the signing routers are wired."""
    app = create_app(vault=vault)
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/api/v1/public/certified-copies/{code}" not in paths:  # not wired in yet
        app.include_router(signing_routes.router, prefix="/api/v1")
        app.include_router(signing_routes.public_router)
    app.state.vault_signing = signing  # given ready-made, as `vault` is
    return app


@pytest.fixture
def api(vault: Vault, people: People, signing: VaultSigning) -> Iterator[TestClient]:
    """No default caller: each request says who it is (`people.auth(name)`)."""
    with TestClient(signing_app(vault, signing)) as client:
        yield client


# -- checking what was signed ------------------------------------------------------------------


def online_context(pki: DevPki) -> ValidationContext:
    return ValidationContext(
        trust_roots=[asn1_cert(pki.root)], allow_fetching=True, revocation_mode="hard-fail"
    )


def offline_context(reader: PdfFileReader, pki: DevPki) -> ValidationContext:
    """Nothing but the root and the document's own DSS: no fetching, revocation hard-fail."""
    return DocumentSecurityStore.read_dss(reader).as_validation_context(
        {
            "trust_roots": [asn1_cert(pki.root)],
            "allow_fetching": False,
            "revocation_mode": "hard-fail",
        }
    )


def offline_statuses(pdf: bytes, pki: DevPki) -> list[PdfSignatureStatus]:
    reader = PdfFileReader(io.BytesIO(pdf))
    return [
        validate_pdf_signature(sig, offline_context(reader, pki))
        for sig in reader.embedded_regular_signatures
    ]


def pdfsig(pdf: bytes, nss_db: str, tmp_path: Path) -> str:
    path = tmp_path / f"signed-{time.monotonic_ns()}.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", nss_db, str(path)], capture_output=True, text=True, timeout=60
    )
    return result.stdout + result.stderr


def page_text(pdf: bytes, index: int, *, with_annotations: bool = False) -> str:
    """The text of a page; with its annotations' appearances (signature stamps) flattened
    into it first, in memory."""
    import pypdfium2.raw as pdfium_c

    doc = pypdfium2.PdfDocument(pdf)
    try:
        index = index % len(doc)
        if with_annotations:
            page = doc[index]
            pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_PRINT)
            page.close()
        page = doc[index]
        text = str(page.get_textpage().get_text_range())
        page.close()
        return text
    finally:
        doc.close()
