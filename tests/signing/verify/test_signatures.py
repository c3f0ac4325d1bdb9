"""Signed documents from the live signing service, verified in worker processes.

Online cases fetch OCSP responses and CRLs from the development PKI on loopback; offline
cases use only what the document carries (the worker refuses every connection).
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.csc_server.dev_pki import DevPki
from signing.verify import (
    ChangeKind,
    Coverage,
    Indication,
    RevocationStatus,
    SignatureLevel,
    SubIndication,
    TrustSettings,
    VerificationReport,
    Verifier,
)
from signing.verify.etsi_xml import VR, render
from tests.signing.conftest import asn1_cert
from tests.signing.verify import pdfs
from tests.signing.verify.conftest import LocalSigner, RemoteSigner


def only(report: VerificationReport):  # type: ignore[no-untyped-def]
    assert len(report.signatures) == 1, report.summary
    return report.signatures[0]


def test_valid_bt_passes_online_with_signer_time_chain_and_revocation(
    verifier: Verifier, signed_bt: bytes
) -> None:
    report = verifier.verify(signed_bt, offline=False)
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    sig = only(report)
    assert sig.indication is Indication.TOTAL_PASSED and sig.sub_indication is None
    assert sig.level is SignatureLevel.PADES_BASELINE_T
    assert sig.signer is not None and sig.signer.common_name == "Nguyễn Văn An"
    assert sig.signer.organizational_unit == "000.00.15.H57"
    assert sig.proven_signing_time is not None and sig.claimed_signing_time is not None
    assert abs(sig.proven_signing_time - sig.claimed_signing_time) < dt.timedelta(minutes=2)
    assert [t.indication for t in sig.signature_timestamps] == [Indication.TOTAL_PASSED]
    assert [c.common_name for c in sig.certificate_chain] == [
        "Nguyễn Văn An",
        "Dev Issuing CA 01 — NOT FOR PRODUCTION",
        "Dev Root CA — NOT FOR PRODUCTION",
    ]
    assert sig.certificate_chain[-1].is_trust_anchor
    assert sig.revocation is not None and sig.revocation.status is RevocationStatus.GOOD
    assert sig.scope is not None and sig.scope.coverage is Coverage.ENTIRE_FILE
    assert sig.modifications is not None and sig.modifications.permitted
    assert sig.digest_algorithm == "sha256" and sig.signature_algorithm == "rsassa_pkcs1v15"
    # The original document is inside the signature: listed, not compared.
    assert [r.analysed for r in report.revisions] == [False, True]


def test_bt_offline_has_no_revocation_data_and_is_not_passed(
    verifier: Verifier, signed_bt: bytes
) -> None:
    # Nothing is fetched offline (the worker refuses connections): no OCSP, no verdict.
    report = verifier.verify(signed_bt, offline=True)
    assert report.bottom_line is Indication.INDETERMINATE, report.summary
    sig = only(report)
    assert sig.revocation is not None and sig.revocation.status is RevocationStatus.UNKNOWN
    assert sig.ades is not None and sig.ades.indication is Indication.INDETERMINATE


def test_blt_validates_offline_from_the_embedded_revocation_data(
    verifier: Verifier, signed_lt: bytes
) -> None:
    report = verifier.verify(signed_lt, offline=True)
    assert report.offline
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    sig = only(report)
    assert sig.level is SignatureLevel.PADES_BASELINE_LT
    assert sig.revocation is not None and sig.revocation.status is RevocationStatus.GOOD
    assert sig.revocation.source.startswith("embedded (DSS)")
    assert sig.revocation.checked_for == sig.proven_signing_time
    assert sig.scope is not None and sig.scope.coverage is Coverage.ENTIRE_REVISION
    assert sig.modifications is not None and sig.modifications.permitted
    assert ChangeKind.DSS_UPDATED in sig.modifications.changes
    assert sig.modifications.pyhanko_level == "LTA_UPDATES"


def test_tampered_bytes_fail_with_hash_failure(verifier: Verifier, signed_bt: bytes) -> None:
    report = verifier.verify(pdfs.flip_signed_byte(signed_bt), offline=False)
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    assert report.bottom_line is Indication.TOTAL_FAILED


def test_content_added_after_signing_fails_though_ades_alone_passes(
    verifier: Verifier, signed_lt: bytes
) -> None:
    tampered = pdfs.add_text_to_page(signed_lt, "KET QUA: KHONG DAT")
    report = verifier.verify(tampered, offline=True)
    sig = only(report)
    # The AdES algorithm alone: the signed revision is intact, the signer trusted.
    assert sig.ades is not None and sig.ades.indication is Indication.TOTAL_PASSED
    assert (sig.indication, sig.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert sig.modifications is not None and not sig.modifications.permitted
    assert ChangeKind.PAGE_CONTENT_CHANGED in sig.modifications.changes
    last = report.revisions[-1]
    assert ChangeKind.PAGE_CONTENT_CHANGED in last.changes
    assert [p.page for p in last.pages_changed if p.content] == [1]
    assert any("page 1: content changed" in e for e in sig.errors)


def test_revoked_signer_fails_revoked(
    verifier: Verifier, remote_signer: RemoteSigner, result_pdf: bytes
) -> None:
    signed = remote_signer.sign(result_pdf, "h57-officer-revoked", "444444")
    report = verifier.verify(signed, offline=False)
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.REVOKED)
    assert sig.revocation is not None and sig.revocation.status is RevocationStatus.REVOKED
    assert sig.revocation.revocation_time == dt.datetime(2025, 6, 2, tzinfo=dt.UTC)
    assert sig.revocation.reason == "key_compromise"


def _foreign_root() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some other root CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_unknown_root_is_indeterminate_no_chain(signed_lt: bytes) -> None:
    with Verifier(TrustSettings(roots=(_foreign_root(),))) as other:
        report = other.verify(signed_lt, offline=True)
    sig = only(report)
    assert sig.indication is Indication.INDETERMINATE, report.summary
    assert sig.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert sig.trust_anchor is None


def test_expired_certificate_fails_expired_even_where_pyhanko_would_pass(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes, pki: DevPki
) -> None:
    # The service refuses to sign with an expired credential, so the key file signs here:
    # a signature timestamped in 2026 with a certificate that expired on 2024-01-01.
    signed = local_signer.sign(result_pdf, "officer-expired")
    report = verifier.verify(signed, offline=False)
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.EXPIRED)
    assert sig.signer is not None and sig.signer.not_after.year == 2024
    assert sig.proven_signing_time is not None and sig.proven_signing_time.year > 2024
    # Offline there is no revocation data either: never PASSED.
    offline = only(verifier.verify(signed, offline=True))
    assert offline.indication is not Indication.TOTAL_PASSED
    # pyHanko's legacy validation at the current time agrees it is not valid ...
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[asn1_cert(pki.root)], allow_fetching=True)
    assert not validate_pdf_signature(embedded, context).bottom_line


def test_officer_and_seal_both_pass_and_the_seal_is_a_permitted_change(
    verifier: Verifier, officer_and_seal: bytes
) -> None:
    report = verifier.verify(officer_and_seal, offline=True)
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    officer, seal = report.signatures
    assert officer.field_name == "Signature1" and seal.field_name == "Seal"
    assert officer.signer is not None and officer.signer.common_name == "Nguyễn Văn An"
    assert seal.signer is not None and seal.signer.common_name is not None
    assert "con dấu số" in seal.signer.common_name
    assert officer.level is SignatureLevel.PADES_BASELINE_LT
    assert seal.level is SignatureLevel.PADES_BASELINE_LT
    assert officer.modifications is not None and officer.modifications.permitted
    assert ChangeKind.SIGNATURE_ADDED in officer.modifications.changes
    assert officer.scope is not None and seal.scope is not None
    assert officer.scope.signed_revision is not None and seal.scope.signed_revision is not None
    assert officer.scope.signed_revision < seal.scope.signed_revision
    added = [r for r in report.revisions if r.signature_fields_added == ("Seal",)]
    assert len(added) == 1


def test_visible_signatures_pass_and_a_later_appearance_is_pointed_out(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes
) -> None:
    officer = local_signer.sign(result_pdf, box=(72, 100, 272, 160))
    both = local_signer.sign(officer, "seal-h57", field="Seal", box=(300, 100, 500, 160))
    report = verifier.verify(both, offline=False)
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    first = report.signatures[0]
    assert any("visible appearance of signature 'Seal'" in w for w in first.warnings)


def test_report_round_trips_through_json_and_renders_etsi_xml(
    verifier: Verifier, officer_and_seal: bytes
) -> None:
    report = verifier.verify(officer_and_seal, offline=True)
    assert VerificationReport.from_json(report.to_json()) == report
    data = report.to_dict()
    assert data["bottom_line"] == "TOTAL_PASSED"
    assert data["signatures"][0]["signer"]["common_name"] == "Nguyễn Văn An"
    root = ET.fromstring(render(report).encode())  # noqa: S314 - our own output
    reports = root.findall(f"{{{VR}}}SignatureValidationReport")
    assert len(reports) == 2
    main = reports[0].find(f"{{{VR}}}SignatureValidationStatus/{{{VR}}}MainIndication")
    assert main is not None and main.text == "urn:etsi:019102:mainindication:total-passed"
    assert root.find(f"{{{VR}}}SignatureValidationObjects") is not None
