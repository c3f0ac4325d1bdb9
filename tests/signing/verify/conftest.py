"""Fixtures for the verifier tests, on top of `tests/signing/conftest.py`: the same live
development PKI (TSA, OCSP, CRLs on loopback), SoftHSM token and CSC service.

Signed documents come from two signers: the remote one (pyHanko's stock CSCSigner against
our service, as the vault signs) for the main cases, and a local pyHanko signer with the
development keys for the crafted attack documents (faster, and the only way to sign with
the expired officer's key: the service refuses an expired credential).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.csc_server.assembly import DEV_CREDENTIALS
from signing.csc_server.dev_pki import DevPki
from signing.issuing.client import csc_signer
from signing.verify import TrustSettings, Verifier
from signing.verify.recovery import open_pdf
from tests.signing.conftest import VAULT_TOKEN, asn1_cert
from tests.signing.seal_otp import seal_otp
from tests.signing.verify import pdfs

SEAL_OTP = next(c.otp_secret for c in DEV_CREDENTIALS if c.id == "h57-seal") or b""


def _metadata(
    field: str,
    *,
    lt: bool,
    pki: DevPki,
    md: str = "sha256",
    certify: fields.MDPPerm | None = None,
) -> signers.PdfSignatureMetadata:
    context = None
    if lt:
        context = ValidationContext(
            trust_roots=[asn1_cert(pki.root)], allow_fetching=True, revocation_mode="hard-fail"
        )
    return signers.PdfSignatureMetadata(
        field_name=field,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm=md,
        embed_validation_info=lt,
        validation_context=context,
        certify=certify is not None,
        docmdp_permissions=certify or fields.MDPPerm.FILL_FORMS,
    )


@dataclass
class RemoteSigner:
    """Signs through the live CSC service with pyHanko's stock CSCSigner, PAdES B-T (B-LT
    with `lt`: the validation data is fetched and stored in the DSS)."""

    url: str
    pki: DevPki

    def sign(
        self,
        pdf: bytes,
        credential: str,
        pin: str,
        *,
        field: str = "Signature1",
        lt: bool = False,
        otp: Callable[[], str] | None = None,
    ) -> bytes:
        async def run() -> bytes:
            async with aiohttp.ClientSession() as session:
                signer = await csc_signer(
                    session, self.url, credential, VAULT_TOKEN, pin=pin, otp=otp
                )
                timestamper = HTTPTimeStamper(self.pki.tsa_url, session=session)
                pdf_signer = signers.PdfSigner(
                    _metadata(field, lt=lt, pki=self.pki), signer, timestamper=timestamper
                )
                out = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
                return bytes(out.getvalue())

        return asyncio.run(run())


@dataclass
class LocalSigner:
    """pyHanko's SimpleSigner with a development key file, timestamped by the dev TSA."""

    pki: DevPki

    def sign(
        self,
        pdf: bytes,
        label: str = "officer-an",
        *,
        field: str = "Signature1",
        lt: bool = False,
        md: str = "sha256",
        timestamp: bool = True,
        box: tuple[int, int, int, int] | None = None,
        certify: fields.MDPPerm | None = None,
        lock: fields.FieldMDPSpec | None = None,
        lenient: bool = False,
        password: str | None = None,
    ) -> bytes:
        """`lenient`: open `pdf` as the verifier does (a damaged file, signed as is);
        `password`: the user password of an encrypted `pdf`."""
        cert = load_cert_from_pemder(str(self.pki.cert_path(label)))
        key = load_private_key_from_pemder(str(self.pki.key_path(label)), None)
        chain = [load_cert_from_pemder(str(self.pki.cert_path(x))) for x in ("issuing", "root")]
        signer = signers.SimpleSigner(
            signing_cert=cert,
            signing_key=key,
            cert_registry=SimpleCertificateStore.from_certs(chain),
        )
        timestamper = HTTPTimeStamper(self.pki.tsa_url) if timestamp else None
        spec = None
        if box or lock:
            spec = fields.SigFieldSpec(field, box=box, field_mdp_spec=lock)
        pdf_signer = signers.PdfSigner(
            _metadata(field, lt=lt, pki=self.pki, md=md, certify=certify),
            signer,
            timestamper=timestamper,
            new_field_spec=spec,
        )
        if lenient:
            reader = open_pdf(pdf).reader
            reader.strict = False  # pyHanko signs hybrid files only from a lenient reader
            writer = IncrementalPdfFileWriter.from_reader(reader)
        else:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        if password is not None:
            writer.encrypt(password)
        out = pdf_signer.sign_pdf(writer)
        return bytes(out.getvalue())


@pytest.fixture(scope="session")
def trust(pki: DevPki) -> TrustSettings:
    return TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))


@pytest.fixture(scope="session")
def verifier(trust: TrustSettings) -> Iterator[Verifier]:
    """Offline by default; tests that need OCSP/CRL fetching pass offline=False."""
    with Verifier(trust, workers=1, time_limit=60, queue_timeout=120) as v:
        v.start()
        yield v


@pytest.fixture(scope="session")
def remote_signer(csc_url: str, pki: DevPki) -> RemoteSigner:
    return RemoteSigner(csc_url, pki)


@pytest.fixture(scope="session")
def local_signer(pki: DevPki) -> LocalSigner:
    return LocalSigner(pki)


@pytest.fixture(scope="session")
def result_pdf() -> bytes:
    return pdfs.result_document()


@pytest.fixture(scope="session")
def signed_bt(remote_signer: RemoteSigner, result_pdf: bytes) -> bytes:
    return remote_signer.sign(result_pdf, "h57-officer-an", "111111")


@pytest.fixture(scope="session")
def signed_lt(remote_signer: RemoteSigner, result_pdf: bytes) -> bytes:
    return remote_signer.sign(result_pdf, "h57-officer-an", "111111", lt=True)


@pytest.fixture(scope="session")
def officer_and_seal(remote_signer: RemoteSigner, signed_lt: bytes) -> bytes:
    """The certified-copy flow: the officer signs, then the office's seal (PIN + OTP)."""
    return remote_signer.sign(
        signed_lt,
        "h57-seal",
        "333333",
        field="Seal",
        lt=True,
        otp=seal_otp,
    )


@pytest.fixture(scope="session")
def locally_signed(local_signer: LocalSigner, result_pdf: bytes) -> bytes:
    return local_signer.sign(result_pdf)
