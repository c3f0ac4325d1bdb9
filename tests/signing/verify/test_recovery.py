"""A verdict for every structurally recoverable file: hybrid-reference files, damaged or
inconsistent cross-reference tables, damaged later updates, encrypted files with an empty
user password, malformed CMS. Leniency never turns a failure into a pass."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asn1crypto import cms

from signing.verify import Indication, ProblemCode, SubIndication, Verifier
from tests.signing.verify import corpus, pdfs
from tests.signing.verify.conftest import LocalSigner


def codes(report: object) -> set[str]:
    return {f.code for f in getattr(report, "findings", ())}


def test_hybrid_reference_file_is_verified(verifier: Verifier, local_signer: LocalSigner) -> None:
    signed = local_signer.sign(corpus.hybrid_document(), lenient=True)
    report = verifier.verify(signed, offline=False)
    assert report.problem is None, report.summary
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    assert report.document is not None and report.document.hybrid_xref
    assert "HYBRID_XREF" in codes(report)
    # and an attack on it is still an attack
    attacked = verifier.verify(pdfs.add_text_to_page(signed, "KHONG DAT"), offline=False)
    assert attacked.signatures[0].indication is Indication.TOTAL_FAILED


def test_hybrid_file_whose_stream_redefines_a_table_object_is_flagged(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    signed = local_signer.sign(corpus.hybrid_document(conflict=True), lenient=True)
    report = verifier.verify(signed, offline=False)
    assert report.problem is None, report.summary
    assert "HYBRID_XREF_CONFLICT" in codes(report), report.findings


@pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(corpus.wrong_size_document, "STRUCTURE_LENIENT_READ", id="size-mismatch"),
        pytest.param(
            corpus.decreasing_sections_document, "STRUCTURE_LENIENT_READ", id="sizes-decrease"
        ),
        pytest.param(corpus.shifted_offsets_document, "XREF_OFFSETS_REPAIRED", id="bad-offsets"),
    ],
)
def test_signed_file_with_damaged_xref_gets_its_verdict(
    verifier: Verifier, local_signer: LocalSigner, make: Callable[[], bytes], code: str
) -> None:
    signed = local_signer.sign(make(), lenient=True)
    report = verifier.verify(signed, offline=False)
    assert report.problem is None, report.summary
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    assert report.document is not None and report.document.read_leniently
    assert code in codes(report)
    # the signed bytes are still checked exactly
    broken = verifier.verify(pdfs.flip_signed_byte(signed), offline=False)
    assert broken.signatures[0].indication is Indication.TOTAL_FAILED
    assert broken.signatures[0].sub_indication is SubIndication.HASH_FAILURE


def test_damaged_later_update_is_read(verifier: Verifier, locally_signed: bytes) -> None:
    report = verifier.verify(corpus.metadata_update_with_bad_offsets(locally_signed), offline=False)
    assert report.problem is None, report.summary
    assert "XREF_OFFSETS_REPAIRED" in codes(report)
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary


def test_unreadable_middle_revision_is_skipped_not_fatal(
    verifier: Verifier, locally_signed: bytes
) -> None:
    updated = corpus.unreadable_revision_then_restored(locally_signed)
    report = verifier.verify(updated, offline=False)
    assert report.problem is None, report.summary
    assert any(f.code == "REVISION_UNREADABLE" for r in report.revisions for f in r.findings), (
        report.revisions
    )
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary


def test_unreadable_last_revision_is_never_passed(
    verifier: Verifier, locally_signed: bytes
) -> None:
    broken = pdfs.raw_update(locally_signed, {91: b"(not a catalog)"}, root=91)
    report = verifier.verify(broken, offline=False)
    assert len(report.signatures) == 1, report.summary
    sig = report.signatures[0]
    assert sig.indication is Indication.INDETERMINATE, report.summary
    assert any("cannot be judged" in e for e in sig.errors), sig.errors


def test_empty_user_password_is_verified_and_reported(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    signed = local_signer.sign(corpus.encrypted_document(""), password="")
    report = verifier.verify(signed, offline=False)
    assert report.problem is None, report.summary
    assert report.document is not None and report.document.encrypted
    assert "ENCRYPTED" in codes(report)
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary


def test_password_protected_file_lists_its_signatures(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    signed = local_signer.sign(corpus.encrypted_document("secret"), password="secret")
    report = verifier.verify(signed, offline=False)
    assert report.problem is not None and report.problem.code is ProblemCode.ENCRYPTED
    assert report.document is not None and report.document.signatures_found == 1


def test_unreadable_file_still_lists_the_signatures_found(
    verifier: Verifier, locally_signed: bytes
) -> None:
    truncated = pdfs.truncated(locally_signed)
    report = verifier.verify(truncated, offline=False)
    assert report.problem is not None and report.problem.code is ProblemCode.UNREADABLE_PDF
    assert "truncated" in report.problem.message, report.problem.message
    assert report.document is not None and report.document.signatures_found == 1
    found = [f for f in report.findings if f.code == "SIGNATURE_FOUND_UNVERIFIED"]
    assert len(found) == 1 and "Signature1" in found[0].message, report.findings


def test_mangled_xref_keywords_get_a_signature_verdict(
    verifier: Verifier, locally_signed: bytes
) -> None:
    """No `startxref` and no `xref` keyword left: the structure is rebuilt from the objects
    (test_reconstruction.py), and the signature fails because the mangled keywords were
    inside its signed bytes."""
    mangled = locally_signed.replace(b"startxref", b"startxreF").replace(b"xref\n", b"xreF\n")
    report = verifier.verify(mangled, offline=False)
    assert report.problem is None, report.summary
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert report.signatures[0].indication is Indication.TOTAL_FAILED
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE


def _no_signer_infos(info: cms.ContentInfo) -> cms.ContentInfo:
    info["content"]["signer_infos"] = cms.SignerInfos([])
    return info


def _no_certificates(info: cms.ContentInfo) -> cms.ContentInfo:
    info["content"]["certificates"] = cms.CertificateSet([])
    return info


def _wrong_content_type(info: cms.ContentInfo) -> cms.ContentInfo:
    info["content"]["encap_content_info"] = cms.ContentInfo({"content_type": "signed_data"})
    return info


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_no_signer_infos, id="no-signer-info"),
        pytest.param(_no_certificates, id="no-certificates"),
        pytest.param(_wrong_content_type, id="wrong-content-type"),
    ],
)
def test_malformed_cms_is_a_signature_verdict(
    verifier: Verifier,
    locally_signed: bytes,
    change: Callable[[cms.ContentInfo], cms.ContentInfo],
) -> None:
    report = verifier.verify(pdfs.replace_cms(locally_signed, change), offline=False)
    assert report.problem is None, report.summary
    assert len(report.signatures) == 1, report.summary
    assert report.signatures[0].indication is not Indication.TOTAL_PASSED
    assert report.bottom_line is not Indication.TOTAL_PASSED


def test_too_complex_file_still_lists_its_signatures(
    verifier: Verifier, locally_signed: bytes
) -> None:
    report = verifier.verify(pdfs.page_tree_cycle(locally_signed), offline=False)
    assert report.problem is not None and report.problem.code is ProblemCode.TOO_COMPLEX
    assert report.document is not None and report.document.signatures_found == 1
