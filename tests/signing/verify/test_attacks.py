"""The published attacks on PDF signature verifiers, each on a crafted document.

Every case asserts the combined verdict is not TOTAL_PASSED and names what was found; where
it matters, it also shows that the AdES check alone (or pyHanko's difference analysis
alone) would have been fooled.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pyhanko.sign import fields

from signing.verify import (
    ChangeKind,
    Indication,
    SignatureReport,
    SubIndication,
    TrustSettings,
    VerificationPolicy,
    VerificationReport,
    Verifier,
)
from tests.signing.verify import pdfs
from tests.signing.verify.conftest import LocalSigner


def only(report: VerificationReport) -> SignatureReport:
    assert len(report.signatures) == 1, report.summary
    return report.signatures[0]


def assert_failed(
    report: VerificationReport, sub: SubIndication = SubIndication.FORMAT_FAILURE
) -> SignatureReport:
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == (Indication.TOTAL_FAILED, sub), report.summary
    assert report.bottom_line is Indication.TOTAL_FAILED
    return sig


# -- universal signature forgery ----------------------------------------------------------


@pytest.mark.parametrize(
    ("forge", "needle"),
    [
        pytest.param(pdfs.usf_rename_contents, "/Contents", id="contents-missing"),
        pytest.param(pdfs.usf_zero_contents, "ContentInfo", id="contents-zeroed"),
        pytest.param(pdfs.usf_remove_byte_range, "/ByteRange", id="byte-range-missing"),
        pytest.param(pdfs.usf_null_byte_range, "/ByteRange parts", id="byte-range-0-0-0-0"),
    ],
)
def test_universal_signature_forgery_fails_format(
    verifier: Verifier, locally_signed: bytes, forge: Callable[[bytes], bytes], needle: str
) -> None:
    report = verifier.verify(forge(locally_signed), offline=False)
    sig = assert_failed(report)
    assert any(needle in e for e in sig.errors), sig.errors


# -- incremental saving attacks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("attack", "kind"),
    [
        pytest.param(
            lambda p: pdfs.add_text_to_page(p, "KHONG DAT"),
            ChangeKind.PAGE_CONTENT_CHANGED,
            id="content",
        ),
        pytest.param(pdfs.add_page, ChangeKind.PAGES_ADDED, id="page-added"),
        pytest.param(
            pdfs.add_free_text_annotation, ChangeKind.ANNOTATION_ADDED, id="overlay-annotation"
        ),
        pytest.param(pdfs.add_open_action, ChangeKind.CATALOG_CHANGED, id="open-action-script"),
    ],
)
def test_incremental_saving_attack_fails(
    verifier: Verifier, locally_signed: bytes, attack: Callable[[bytes], bytes], kind: ChangeKind
) -> None:
    report = verifier.verify(attack(locally_signed), offline=False)
    sig = assert_failed(report)
    assert sig.ades is not None and sig.ades.indication is Indication.TOTAL_PASSED
    assert sig.modifications is not None and kind in sig.modifications.changes
    assert kind in report.revisions[-1].changes


def test_page_removed_after_signing_fails(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes
) -> None:
    signed = local_signer.sign(pdfs.add_page(result_pdf))
    report = verifier.verify(pdfs.remove_last_page(signed), offline=False)
    sig = assert_failed(report)
    assert sig.scope is not None and sig.scope.pages_signed == 2
    assert ChangeKind.PAGES_REMOVED in report.revisions[-1].changes
    assert report.document is not None and report.document.pages == 1


# -- signature wrapping -------------------------------------------------------------------


def test_signature_wrapping_fails_although_the_digest_matches(
    verifier: Verifier, locally_signed: bytes
) -> None:
    wrapped = pdfs.signature_wrapping(locally_signed)
    report = verifier.verify(wrapped, offline=False)
    sig = assert_failed(report)
    # The moved bytes still hash to the signed value: only the shape gives it away.
    assert sig.ades is not None and sig.ades.indication is Indication.TOTAL_PASSED
    assert any("gap" in e for e in sig.errors), sig.errors


# -- shadow attacks -------------------------------------------------------------------------


def test_shadow_hide_fails(verifier: Verifier, local_signer: LocalSigner) -> None:
    prepared, _hidden = pdfs.shadow_hide_document()
    signed = local_signer.sign(prepared)
    assert verifier.verify(signed, offline=False).bottom_line is Indication.TOTAL_PASSED
    report = verifier.verify(pdfs.uncover(signed), offline=False)
    sig = assert_failed(report)
    assert sig.modifications is not None
    assert ChangeKind.PAGE_CONTENT_CHANGED in sig.modifications.changes


def test_shadow_hide_through_the_xref_alone_fails(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    prepared, hidden_offset = pdfs.shadow_hide_document()
    signed = local_signer.sign(prepared)
    # The update adds no object: one xref entry aims object 6 at its empty twin, which was
    # inside the signed bytes all along.
    attacked = pdfs.uncover_via_xref(signed, hidden_offset)
    assert len(attacked) - len(signed) < 300
    report = verifier.verify(attacked, offline=False)
    sig = assert_failed(report)
    last = report.revisions[-1]
    assert ChangeKind.XREF_REDIRECTED in last.changes
    assert ChangeKind.PAGE_CONTENT_CHANGED in last.changes
    assert [c.change for c in last.changed_objects] == ["redirected"]
    assert sig.modifications is not None and not sig.modifications.permitted


def test_attacks_are_judged_under_the_default_reference_policy(verifier: Verifier) -> None:
    # Every test here uses `verifier`: the default policy, which lets benign annotations
    # and form filling pass with warnings (EU DSS's levels). The attacks still fail.
    assert verifier.policy == VerificationPolicy()
    assert verifier.policy.name == "vault-reference-1"
    assert verifier.policy.allow_form_filling and verifier.policy.allow_annotations


def test_shadow_replace_by_form_filling_fails_where_pyhanko_sees_form_filling(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    signed = local_signer.sign(pdfs.shadow_replace_document())
    attacked = pdfs.fill_replace_field(signed)
    report = verifier.verify(attacked, offline=False)
    sig = assert_failed(report)
    assert sig.modifications is not None
    # pyHanko's difference analysis alone rates it as harmless form filling ...
    assert sig.modifications.pyhanko_level == "FORM_FILLING"
    # ... our analysis sees the overlay field's shown value and appearance change after
    # signing, although the default policy permits form filling.
    assert ChangeKind.FORM_FILLED in sig.modifications.changes
    assert report.revisions[-1].fields_changed == ("ketqua",)
    assert any("showed a value when signed" in e for e in sig.errors), sig.errors
    assert "SHADOW_ATTACK_REPLACE" in {f.code for f in sig.findings}


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(VerificationPolicy.strict(), id="strict"),
        pytest.param(VerificationPolicy(enforce_mdp=True), id="mdp-enforced"),
        pytest.param(VerificationPolicy(name="forms-allowed"), id="custom"),
    ],
)
def test_shadow_replace_fails_under_every_policy(
    trust: TrustSettings, local_signer: LocalSigner, policy: VerificationPolicy
) -> None:
    attacked = pdfs.fill_replace_field(local_signer.sign(pdfs.shadow_replace_document()))
    with Verifier(trust, policy=policy) as other:
        report = other.verify(attacked, offline=False)
    assert report.policy == policy.name
    sig = assert_failed(report)
    assert "SHADOW_ATTACK_REPLACE" in {f.code for f in sig.findings}, sig.findings


@pytest.mark.parametrize(
    ("certify", "lock"),
    [
        pytest.param(fields.MDPPerm.FILL_FORMS, None, id="docmdp-p2"),
        pytest.param(fields.MDPPerm.NO_CHANGES, None, id="docmdp-p1"),
        pytest.param(
            None, fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, ["ketqua"]), id="fieldmdp"
        ),
    ],
)
def test_shadow_replace_fails_whatever_the_docmdp_and_fieldmdp(
    verifier: Verifier,
    local_signer: LocalSigner,
    certify: fields.MDPPerm | None,
    lock: fields.FieldMDPSpec | None,
) -> None:
    # DocMDP/FieldMDP violations are only warnings by default (EU DSS); a P2 certification
    # even permits form filling. The replaced signed value fails in every case.
    signed = local_signer.sign(pdfs.shadow_replace_document(), certify=certify, lock=lock)
    report = verifier.verify(pdfs.fill_replace_field(signed), offline=False)
    sig = assert_failed(report)
    assert "SHADOW_ATTACK_REPLACE" in {f.code for f in sig.findings}, sig.findings
    if certify is not None:
        assert sig.certification and sig.modifications is not None
        assert sig.modifications.docmdp == int(certify.value)


def _redraw_first_annotation(pdf: bytes) -> bytes:
    """The page's first annotation gets a new appearance saying "KHONG DAT"."""

    def change(writer: pdfs.IncrementalPdfFileWriter) -> None:
        _page_ref, page = pdfs.first_page(writer)
        annot_ref = next(
            a for a in page["/Annots"] if a.get_object().get("/Subtype") == "/FreeText"
        )
        annot = annot_ref.get_object()
        old_ap = annot["/AP"]["/N"]
        ap = pdfs.generic.StreamObject(
            {k: v for k, v in old_ap.items() if k not in ("/Length", "/Filter")},
            stream_data=b"BT /F1 18 Tf 2 10 Td (KET QUA: KHONG DAT) Tj ET",
        )
        annot[pdfs.generic.NameObject("/AP")] = pdfs.generic.DictionaryObject(
            {pdfs.generic.NameObject("/N"): writer.add_object(ap)}
        )
        writer.mark_update(annot_ref)

    return pdfs.writer_update(pdf, change)


def test_a_signed_annotation_redrawn_fails_although_annotations_are_permitted(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes
) -> None:
    # A comment in the margin was part of what the signer saw; after signing its appearance
    # is replaced (the annotation variant of shadow "replace"; EU DSS only warns).
    commented = pdfs.add_free_text_annotation(result_pdf, rect=(400, 20, 580, 60))
    signed = local_signer.sign(commented)
    assert verifier.verify(signed, offline=False).bottom_line is Indication.TOTAL_PASSED
    report = verifier.verify(_redraw_first_annotation(signed), offline=False)
    sig = assert_failed(report)
    assert sig.modifications is not None
    assert ChangeKind.ANNOTATION_CHANGED in sig.modifications.changes
    assert "SHADOW_ATTACK_REPLACE" in {f.code for f in sig.findings}, sig.findings
    assert any("was drawn when signed" in e for e in sig.errors), sig.errors


def test_shadow_replace_of_a_font_fails(verifier: Verifier, locally_signed: bytes) -> None:
    report = verifier.verify(pdfs.replace_font(locally_signed), offline=False)
    assert_failed(report)
    assert ChangeKind.PAGE_RESOURCES_CHANGED in report.revisions[-1].changes


def test_shadow_hide_and_replace_fails(verifier: Verifier, local_signer: LocalSigner) -> None:
    signed = local_signer.sign(pdfs.hide_and_replace_document())
    assert verifier.verify(signed, offline=False).bottom_line is Indication.TOTAL_PASSED
    # The whole attack is a new trailer naming the prepared, unused catalog.
    report = verifier.verify(pdfs.switch_root(signed), offline=False)
    sig = assert_failed(report)
    assert sig.ades is not None and sig.ades.indication is Indication.TOTAL_PASSED
    last = report.revisions[-1]
    assert ChangeKind.TRAILER_CHANGED in last.changes
    assert ChangeKind.PAGE_CONTENT_CHANGED in last.changes


def test_a_signature_dropped_by_a_new_catalog_is_still_reported(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    # Variant: the prepared catalog has no form at all, so the signature disappears.
    prepared = pdfs.hide_and_replace_document().replace(
        b"<< /Type /Catalog /Pages 21 0 R /AcroForm << /Fields [30 0 R] >> >>",
        b"<< /Type /Catalog /Pages 21 0 R                                   >>",
    )
    signed = local_signer.sign(prepared)
    report = verifier.verify(pdfs.switch_root(signed), offline=False)
    sig = assert_failed(report)
    assert any("SIGNATURE_REMOVED" in e for e in sig.errors)


# -- timestamps -----------------------------------------------------------------------------


def test_timestamp_copied_from_another_signature_is_caught(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes, locally_signed: bytes
) -> None:
    other = local_signer.sign(result_pdf)
    token = pdfs.signature_timestamp(other)
    forged = pdfs.replace_cms(locally_signed, pdfs.with_timestamp(token))
    report = verifier.verify(forged, offline=False)
    sig = only(report)
    assert sig.indication is not Indication.TOTAL_PASSED
    assert sig.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert sig.proven_signing_time is None
    assert [t.message_imprint_ok for t in sig.signature_timestamps] == [False]
    assert any("copied timestamp" in e for e in sig.errors)


def test_timestamp_duplicated_between_two_signatures_is_caught(
    verifier: Verifier, local_signer: LocalSigner, locally_signed: bytes
) -> None:
    two = local_signer.sign(locally_signed, "seal-h57", field="Seal")
    first_token = pdfs.signature_timestamp(two, 0)
    forged = pdfs.replace_cms(two, pdfs.with_timestamp(first_token), index=1)
    report = verifier.verify(forged, offline=False)
    first, second = report.signatures
    assert first.indication is Indication.TOTAL_PASSED, report.summary
    assert second.indication is Indication.INDETERMINATE
    assert any("duplicated from S1" in e for e in second.errors)
    assert report.bottom_line is Indication.INDETERMINATE


# -- digest algorithms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oid", "sub"),
    [
        pytest.param("sha512", SubIndication.HASH_FAILURE, id="claims-sha512"),
        pytest.param("md5", SubIndication.HASH_FAILURE, id="claims-md5"),
        pytest.param("1.2.3.4.5", SubIndication.FORMAT_FAILURE, id="unknown-oid"),
    ],
)
def test_mismatched_or_unsupported_digest_algorithm_fails(
    verifier: Verifier, locally_signed: bytes, oid: str, sub: SubIndication
) -> None:
    forged = pdfs.replace_cms(locally_signed, pdfs.with_digest_algorithm(oid))
    report = verifier.verify(forged, offline=False)
    assert_failed(report, sub)


def test_sha1_signature_is_not_passed(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes
) -> None:
    signed = local_signer.sign(result_pdf, md="sha1")
    sig = only(verifier.verify(signed, offline=False))
    assert sig.indication is Indication.INDETERMINATE
    assert sig.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert any("sha1 is not accepted" in e for e in sig.errors)


# -- the signature field after signing -----------------------------------------------------


def test_signature_field_changed_after_signing_fails(
    verifier: Verifier, locally_signed: bytes
) -> None:
    report = verifier.verify(pdfs.change_signature_field(locally_signed), offline=False)
    sig = assert_failed(report)
    assert sig.modifications is not None
    assert ChangeKind.SIGNATURE_FIELD_CHANGED in sig.modifications.changes


def test_signature_dictionary_rewritten_in_a_later_revision_fails(
    verifier: Verifier, locally_signed: bytes
) -> None:
    report = verifier.verify(pdfs.rewrite_signature_dictionary(locally_signed), offline=False)
    sig = assert_failed(report)
    assert any("not part of the revision it signs" in e for e in sig.errors), sig.errors
