"""Fixtures for the signing service, all real: the development PKI served over HTTP on
loopback (TSA, OCSP, CRLs), a SoftHSM2 token, and the CSC API under uvicorn.

One signing runtime per test process (session scope): SoftHSM reads its configuration once
per process, so a process gets one token. Tests that count wrong PINs or play with clocks
build their own `SigningService` on the same token and credentials (`make_service`), so
they never lock a credential the other tests use.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pypdfium2
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper

from api.csc import create_csc_app
from signing.csc_server.assembly import DevEnvironment, SigningRuntime
from signing.csc_server.callers import CallerRegistry, token_digest
from signing.csc_server.credentials import PinHasher
from signing.csc_server.dev_pki import DevPki
from signing.csc_server.server_settings import ClientSettings, SigningSettings
from signing.csc_server.service import AuthPolicy, SigningService
from signing.csc_server.signature_log import JsonLinesSignatureLog
from signing.csc_server.state import CredentialStateStore, InMemoryStateStore
from signing.issuing.client import csc_signer
from tests.support.live import serve

VAULT_TOKEN = "test-vault-token-0123456789abcdef"
AGENCY_TOKEN = "test-agency-token-0123456789abcdef"
AGENCY_CREDENTIALS = ["h57-seal"]


# One runtime per process, however many modules import this fixture into their namespace
# (each import is a fixture definition of its own to pytest, and SoftHSM accepts one token
# configuration per process): the first user builds it, the last one closes it.
_shared: SigningRuntime | None = None
_users = 0


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningRuntime]:
    global _shared, _users
    if _shared is None:
        _shared = _build_runtime(tmp_path_factory)
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            _shared.close()
            _shared = None


def _build_runtime(tmp_path_factory: pytest.TempPathFactory) -> SigningRuntime:
    base = tmp_path_factory.mktemp("signing")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("VAULT_SIGNING_"):
                mp.delenv(name)  # a developer's own settings must not leak in
        settings = SigningSettings(
            dev_dir=base / "dev",
            dev_pki_port=0,
            signature_log=base / "signatures.jsonl",
            state_file=base / "credential-state.json",
            failure_delay_seconds=0,
            clients={
                "vault": ClientSettings(token_sha256=token_digest(VAULT_TOKEN)),
                "agency-h57": ClientSettings(
                    token_sha256=token_digest(AGENCY_TOKEN), credentials=AGENCY_CREDENTIALS
                ),
            },
        )
    return SigningRuntime.from_settings(settings)


@pytest.fixture(scope="session")
def dev(runtime: SigningRuntime) -> DevEnvironment:
    assert runtime.dev is not None
    return runtime.dev


@pytest.fixture(scope="session")
def pki(dev: DevEnvironment) -> DevPki:
    return dev.pki.pki


@pytest.fixture(scope="session")
def csc_url(runtime: SigningRuntime) -> Iterator[str]:
    with serve(create_csc_app(runtime.service)) as url:
        yield url


@pytest.fixture
def make_service(
    runtime: SigningRuntime, dev: DevEnvironment, tmp_path: Path
) -> Callable[..., SigningService]:
    """A service of its own on the shared token and credentials: own failure counters,
    SADs, signature log and clocks."""

    def build(
        *,
        policy: AuthPolicy | None = None,
        states: CredentialStateStore | None = None,
        monotonic_clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> SigningService:
        return SigningService(
            credentials=runtime.service.credentials,
            keys=dev.token,
            callers=CallerRegistry(
                {
                    "vault": (token_digest(VAULT_TOKEN), frozenset({"*"})),
                    "agency-h57": (token_digest(AGENCY_TOKEN), frozenset(AGENCY_CREDENTIALS)),
                }
            ),
            signature_log=JsonLinesSignatureLog(tmp_path / "signatures.jsonl"),
            states=states or InMemoryStateStore(),
            pin_hasher=PinHasher(runtime.settings.pin_pepper.get_secret_value().encode()),
            policy=policy or AuthPolicy(failure_delay_seconds=0),
            wall_clock=wall_clock or time.time,
            monotonic_clock=monotonic_clock or time.monotonic,
        )

    return build


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def asn1_cert(cert: object) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))  # type: ignore[attr-defined]


@dataclass
class RemoteSigning:
    """Signs PDFs through pyHanko's stock CSCSigner against the live service, PAdES B-T."""

    url: str
    tsa_url: str

    def sign(
        self,
        pdf: bytes,
        credential_id: str,
        pin: str,
        *,
        token: str = VAULT_TOKEN,
        otp: Callable[[], str] | None = None,
    ) -> bytes:
        async def run() -> bytes:
            async with aiohttp.ClientSession() as session:
                signer = await csc_signer(session, self.url, credential_id, token, pin=pin, otp=otp)
                meta = signers.PdfSignatureMetadata(
                    field_name="Signature1",
                    subfilter=fields.SigSeedSubFilter.PADES,
                    md_algorithm="sha256",
                )
                # With the session: else each timestamp builds a session and a TLS context.
                timestamper = HTTPTimeStamper(self.tsa_url, session=session)
                pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper)
                out = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
                return bytes(out.getvalue())

        return asyncio.run(run())


@pytest.fixture(scope="session")
def remote(csc_url: str, pki: DevPki) -> RemoteSigning:
    return RemoteSigning(csc_url, pki.tsa_url)


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory: pytest.TempPathFactory, pki: DevPki) -> str:
    """An NSS database trusting the development root, for pdfsig."""
    path = tmp_path_factory.mktemp("nssdb")
    db = f"sql:{path}"
    subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            db,
            "-n",
            "dev-root",
            "-t",
            "CT,C,C",
            "-i",
            str(pki.cert_path("root")),
        ],
        check=True,
    )
    return db
