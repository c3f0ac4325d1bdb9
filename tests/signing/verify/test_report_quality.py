"""Report quality: the summary gives the primary reason, a missing chain is named even when
the certificate has also expired, names are RFC 4514, the policy name says which settings
were in force, the level is the file's format whatever the trust outcome, every revision
has its page count."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper

from signing.csc_server.dev_pki import DevPki
from signing.verify import (
    Indication,
    SignatureLevel,
    SubIndication,
    TrustSettings,
    VerificationPolicy,
    Verifier,
)
from tests.signing.verify import pdfs
from tests.signing.verify.conftest import LocalSigner
from tests.signing.verify.test_signatures import _foreign_root


def test_policy_name_reflects_the_settings() -> None:
    assert VerificationPolicy().name == "vault-reference-1"
    assert VerificationPolicy.strict().name == "vault-strict-1"
    assert VerificationPolicy(allow_form_filling=False).name == "vault-reference-1+no-forms"
    both = VerificationPolicy(allow_form_filling=False, allow_annotations=False)
    assert both.name == "vault-reference-1+no-forms+no-annotations"
    assert VerificationPolicy(enforce_mdp=True).name == "vault-reference-1+mdp-enforced"
    assert VerificationPolicy(name="custom", allow_annotations=False).name == "custom"


def test_summary_leads_with_the_byte_range_not_the_expiry(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes
) -> None:
    signed = local_signer.sign(result_pdf, "officer-expired")
    report = verifier.verify(pdfs.byte_range_outside_file(signed), offline=False)
    sig = report.signatures[0]
    assert (sig.indication, sig.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert "past the end of the file" in sig.errors[0], sig.errors
    assert "past the end of the file" in report.summary
    assert "certificate expired" not in report.summary, report.summary


def test_missing_chain_is_named_when_the_certificate_also_expired(
    local_signer: LocalSigner, result_pdf: bytes
) -> None:
    signed = local_signer.sign(result_pdf, "officer-expired")
    with Verifier(TrustSettings(roots=(_foreign_root(),))) as other:
        report = other.verify(signed, offline=True)
    sig = report.signatures[0]
    assert sig.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND, report.summary
    assert any("no chain" in e and "expired" in e for e in sig.errors), sig.errors
    # the level is what the file carries, whatever the trust outcome
    assert sig.level is SignatureLevel.PADES_BASELINE_T


def test_names_are_rfc4514_and_every_revision_has_its_page_count(
    verifier: Verifier, locally_signed: bytes
) -> None:
    report = verifier.verify(locally_signed, offline=False)
    sig = report.signatures[0]
    assert sig.signer is not None and sig.signer.subject.startswith("CN=")
    assert sig.signer.issuer.startswith("CN=") or "=" in sig.signer.issuer
    assert sig.trust_anchor is not None and "=" in sig.trust_anchor
    tsa = sig.signature_timestamps[0].tsa
    assert tsa is not None and "OrderedDict" not in tsa and "=" in tsa, tsa
    assert [r.pages for r in report.revisions] == [1, 1]


def test_an_untrusted_tsa_is_reported_one_way(
    local_signer: LocalSigner, locally_signed: bytes, pki: DevPki
) -> None:
    stamped = PdfTimeStamper(HTTPTimeStamper(pki.tsa_url)).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(locally_signed)), "sha256"
    )
    with Verifier(TrustSettings(roots=(_foreign_root(),))) as other:
        report = other.verify(stamped.getvalue(), offline=True)
    sig = report.signatures[0]
    (doc_ts,) = report.document_timestamps
    subs = {
        sig.sub_indication,
        sig.signature_timestamps[0].sub_indication,
        doc_ts.sub_indication,
    }
    assert subs == {SubIndication.NO_CERTIFICATE_CHAIN_FOUND}, report.summary


def test_revocation_says_whether_it_was_embedded_or_fetched(
    verifier: Verifier, locally_signed: bytes, signed_lt: bytes
) -> None:
    embedded = verifier.verify(signed_lt, offline=True).signatures[0].revocation
    assert embedded is not None and embedded.source == "embedded (DSS)", embedded
    fetched = verifier.verify(locally_signed, offline=False).signatures[0].revocation
    assert fetched is not None and "fetched online" in fetched.source, fetched
