"""Signature algorithms: plain ECDSA (BSI TR-03111), ECDSA with each hash, RSA-PSS; an
algorithm the verifier cannot check is reported as unsupported, not as a signature value
that does not verify.

The EC signer's certificate is self-signed (the development PKI's keys are RSA), so the
verdict is "no chain"; what matters is that the signature value is checked."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from asn1crypto import algos, cms, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.csc_server.dev_pki import DevPki
from signing.verify import Indication, SubIndication, Verifier
from signing.verify.algorithms import PLAIN_ECDSA
from tests.signing.verify import pdfs

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_PLAIN_OID = {name: oid for oid, name in PLAIN_ECDSA.items()}


def _ec_identity() -> tuple[ec.EllipticCurvePrivateKey, asn1_x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EC signer (test)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class PlainEcdsaSigner(signers.Signer):
    """Signs as BSI TR-03111 plain ECDSA: r || s under the ecdsa-plain-SHA* OIDs."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: asn1_x509.Certificate, md: str):
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs([cert]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": _PLAIN_OID[md]}),
        )
        self.key, self.md = key, md

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        size = (self.key.curve.key_size + 7) // 8
        if dry_run:
            return bytes(2 * size)
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(_HASHES[self.md]())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _sign(pdf: bytes, signer: signers.Signer, md: str) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", md_algorithm=md, subfilter=fields.SigSeedSubFilter.PADES
    )
    out = signers.PdfSigner(meta, signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return bytes(out.getvalue())


def _assert_checked(verifier: Verifier, signed: bytes) -> None:
    report = verifier.verify(signed)
    sig = report.signatures[0]
    assert sig.integrity is not None, report.summary
    assert sig.integrity.signature_intact is True, report.summary
    assert sig.integrity.message_digest_match is True
    # a self-signed certificate outside the trust anchors: a trust verdict, not a crypto one
    assert sig.indication is Indication.INDETERMINATE, report.summary
    assert sig.sub_indication in (
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
    ), report.summary


@pytest.mark.parametrize("md", ["sha256", "sha384", "sha512"])
def test_plain_ecdsa_is_verified(verifier: Verifier, result_pdf: bytes, md: str) -> None:
    key, cert = _ec_identity()
    signed = _sign(result_pdf, PlainEcdsaSigner(key, cert, md), md)
    _assert_checked(verifier, signed)
    report = verifier.verify(signed)
    assert report.signatures[0].signature_algorithm == "ecdsa_plain"

    def flip(info: cms.ContentInfo) -> cms.ContentInfo:
        signer_info = info["content"]["signer_infos"][0]
        value = bytearray(signer_info["signature"].native)
        value[5] ^= 0x01
        signer_info["signature"] = bytes(value)
        return info

    forged = verifier.verify(pdfs.replace_cms(signed, flip)).signatures[0]
    assert forged.integrity is not None and forged.integrity.signature_intact is False
    assert (forged.indication, forged.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )


@pytest.mark.parametrize("md", ["sha256", "sha384", "sha512"])
def test_ecdsa_with_each_hash_is_verified(verifier: Verifier, result_pdf: bytes, md: str) -> None:
    key, cert = _ec_identity()
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    _assert_checked(verifier, _sign(result_pdf, signer, md))


def test_rsa_pss_passes(verifier: Verifier, pki: DevPki, result_pdf: bytes) -> None:
    signer = signers.SimpleSigner(
        signing_cert=load_cert_from_pemder(str(pki.cert_path("officer-an"))),
        signing_key=load_private_key_from_pemder(str(pki.key_path("officer-an")), None),
        cert_registry=SimpleCertificateStore.from_certs(
            [load_cert_from_pemder(str(pki.cert_path(x))) for x in ("issuing", "root")]
        ),
        prefer_pss=True,
    )
    report = verifier.verify(_sign(result_pdf, signer, "sha256"), offline=False)
    sig = report.signatures[0]
    assert sig.signature_algorithm == "rsassa_pss"
    assert sig.integrity is not None and sig.integrity.signature_intact is True, report.summary
    assert sig.indication is Indication.TOTAL_PASSED, report.summary


def test_unsupported_algorithm_is_reported_as_unsupported(
    verifier: Verifier, pki: DevPki, result_pdf: bytes
) -> None:
    # Plain ECDSA claimed for an RSA key: nothing can check that.
    cert = load_cert_from_pemder(str(pki.cert_path("officer-an")))
    key, _ = _ec_identity()
    signed = _sign(result_pdf, PlainEcdsaSigner(key, cert, "sha256"), "sha256")
    report = verifier.verify(signed, offline=False)
    sig = report.signatures[0]
    assert sig.indication is Indication.INDETERMINATE, report.summary
    assert sig.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert any("not supported" in e or "unsupported" in e.lower() for e in sig.errors), sig.errors
    assert not any("does not verify" in e for e in sig.errors), sig.errors
