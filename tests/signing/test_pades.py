"""PAdES B-T through the remote service, with pyHanko's stock CSC client, validated for real.

The PDF is signed by `pyhanko.sign.signers.csc_signer.CSCSigner` over HTTP against the
service under uvicorn; the key is in SoftHSM2; the timestamp comes from the development TSA
over HTTP; pyHanko then validates with the development root as its only trust root and
fetches OCSP responses and CRLs from the development PKI's HTTP server (hard-fail), and
poppler's pdfsig checks the signature with an NSS database that trusts the same root.
"""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509 import ocsp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.csc_server.assembly import SigningRuntime
from signing.csc_server.dev_pki import DevPki
from tests.signing.conftest import RemoteSigning, asn1_cert

CASES = [
    pytest.param("h57-officer-an", "111111", "sha256_rsa", id="rsa-2048"),
    pytest.param("h57-officer-binh", "222222", "sha256_ecdsa", id="ecdsa-p256"),
]


def validation_context(pki: DevPki) -> ValidationContext:
    return ValidationContext(
        trust_roots=[asn1_cert(pki.root)],
        allow_fetching=True,  # OCSP and CRLs from the development PKI's server
        revocation_mode="hard-fail",
    )


def pdfsig(path: Path, nss_db: str) -> str:
    result = subprocess.run(
        ["pdfsig", "-nssdir", nss_db, str(path)], capture_output=True, text=True, timeout=60
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize(("credential", "pin", "mechanism"), CASES)
def test_stock_csc_signer_signs_pades_bt_that_validates(
    remote: RemoteSigning,
    pki: DevPki,
    runtime: SigningRuntime,
    pdf_bytes: bytes,
    nss_db: str,
    tmp_path: Path,
    credential: str,
    pin: str,
    mechanism: str,
) -> None:
    signed = remote.sign(pdf_bytes, credential, pin)

    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = validate_pdf_signature(sig, validation_context(pki))
    assert status.intact and status.valid, status.summary()
    assert status.trusted and not status.revoked, status.summary()
    assert status.md_algorithm == "sha256"
    assert sig.signer_info["signature_algorithm"].signature_algo in ("rsassa_pkcs1v15", "ecdsa")
    assert status.timestamp_validity is not None, "B-T: a signature timestamp is required"
    ts = status.timestamp_validity
    assert ts.intact and ts.valid and ts.trusted
    assert abs(ts.timestamp - datetime.now(UTC)) < timedelta(minutes=5)
    assert status.bottom_line

    if mechanism == "sha256_ecdsa":
        # CMS carries ECDSA-Sig-Value in DER (RFC 5753), never raw r || s.
        raw = sig.signer_info["signature"].native
        r, s = decode_dss_signature(raw)
        assert encode_dss_signature(r, s) == raw

    # The signature log has the hash of the signed attributes, for this caller.
    signed_attrs_digest = hashes.Hash(hashes.SHA256())
    signed_attrs_digest.update(sig.signer_info["signed_attrs"].untag().dump())
    wanted = signed_attrs_digest.finalize().hex()
    lines = runtime.settings.signature_log.read_text().splitlines()
    records = [json.loads(x) for x in lines]
    assert any(
        r["hash"] == wanted and r["credential"] == credential and r["client"] == "vault"
        for r in records
    )

    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    report = pdfsig(path, nss_db)
    assert "Signature is Valid." in report, report
    # NSS builds the chain to the trusted root and asks the development OCSP responder.
    assert "Certificate is Trusted." in report, report


def test_pdfsig_without_the_dev_root_does_not_trust_the_issuer(
    remote: RemoteSigning, pdf_bytes: bytes, tmp_path: Path
) -> None:
    signed = remote.sign(pdf_bytes, "h57-officer-an", "111111")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    empty = tmp_path / "empty-nssdb"
    empty.mkdir()
    db = f"sql:{empty}"
    subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True)
    report = pdfsig(path, db)
    assert "Signature is Valid." in report
    assert "Certificate issuer isn't Trusted." in report


def ocsp_status(pki: DevPki, label: str) -> ocsp.OCSPCertStatus:
    cert = pki.certificate(label)
    issuer = pki.certificate("issuing")
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    url = next(
        d.access_location.value
        for d in aia
        if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP
    )
    assert url == pki.ocsp_url  # the certificate points at the loopback responder
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    response = httpx.post(
        url,
        content=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
        timeout=30,
    )
    assert response.status_code == 200
    parsed = ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert parsed.serial_number == cert.serial_number
    return parsed.certificate_status


def test_ocsp_reports_the_revoked_officer_revoked_and_the_others_good(pki: DevPki) -> None:
    assert ocsp_status(pki, "officer-revoked") == ocsp.OCSPCertStatus.REVOKED
    assert ocsp_status(pki, "officer-an") == ocsp.OCSPCertStatus.GOOD
    crl = x509.load_der_x509_crl(httpx.get(pki.crl_url("issuing"), timeout=30).content)
    revoked = crl.get_revoked_certificate_by_serial_number(
        pki.certificate("officer-revoked").serial_number
    )
    assert revoked is not None
    assert (
        crl.get_revoked_certificate_by_serial_number(pki.certificate("officer-an").serial_number)
        is None
    )


def test_a_signature_by_the_revoked_officer_validates_as_revoked(
    remote: RemoteSigning, pki: DevPki, pdf_bytes: bytes, nss_db: str, tmp_path: Path
) -> None:
    # The service signs (it holds the key; revocation is the relying party's check) ...
    signed = remote.sign(pdf_bytes, "h57-officer-revoked", "444444")
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    # ... and validation, with OCSP fetched from the development responder, says revoked.
    status = validate_pdf_signature(sig, validation_context(pki))
    assert status.intact and status.valid
    assert status.revoked
    assert not status.bottom_line
    path = tmp_path / "revoked.pdf"
    path.write_bytes(signed)
    report = pdfsig(path, nss_db)
    assert "Signature is Valid." in report
    assert "Certificate has been Revoked." in report, report
