"""Per-signature integrity facts, each a field of its own, and every attack class named by
its own finding code (not inferred from the sub-indication)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asn1crypto import cms

from signing.verify import Indication, IntegrityFacts, SignatureReport, Verifier
from tests.signing.verify import pdfs
from tests.signing.verify.conftest import LocalSigner


def only(report_signatures: tuple[SignatureReport, ...]) -> SignatureReport:
    assert len(report_signatures) == 1
    return report_signatures[0]


def test_a_valid_signature_has_every_fact_established(
    verifier: Verifier, locally_signed: bytes
) -> None:
    sig = only(verifier.verify(locally_signed, offline=False).signatures)
    assert sig.integrity == IntegrityFacts(True, True, True, True, 1)
    assert sig.findings == ()


def test_modified_signed_bytes_are_a_digest_mismatch(
    verifier: Verifier, locally_signed: bytes
) -> None:
    sig = only(verifier.verify(pdfs.flip_signed_byte(locally_signed), offline=False).signatures)
    assert sig.integrity is not None
    assert sig.integrity.message_digest_match is False
    assert sig.integrity.byte_range_valid is True
    assert "MESSAGE_DIGEST_MISMATCH" in {f.code for f in sig.findings}


def test_wrapping_keeps_the_digest_but_not_the_byte_range(
    verifier: Verifier, locally_signed: bytes
) -> None:
    sig = only(verifier.verify(pdfs.signature_wrapping(locally_signed), offline=False).signatures)
    assert sig.integrity is not None
    assert sig.integrity.message_digest_match is True
    assert sig.integrity.signature_intact is True
    assert sig.integrity.byte_range_valid is False
    assert "SIGNATURE_WRAPPING" in {f.code for f in sig.findings}


def _overlapping(pdf: bytes) -> bytes:
    """The second part of the /ByteRange starting inside the first."""
    _start, _end, values = pdfs._signature_span(pdf)
    return b"0 %d %d %d" % (values[1], values[1] - 10, values[3] + 10)


def _second_signer_info(info: cms.ContentInfo) -> cms.ContentInfo:
    signed_data = info["content"]
    first = signed_data["signer_infos"][0]
    second = cms.SignerInfo.load(first.dump())
    second["unsigned_attrs"] = cms.CMSAttributes([])  # small enough for the reserved space
    signed_data["signer_infos"] = cms.SignerInfos([first, second])
    return info


@pytest.mark.parametrize(
    ("attack", "code"),
    [
        pytest.param(pdfs.usf_rename_contents, "UNIVERSAL_SIGNATURE_FORGERY", id="usf-contents"),
        pytest.param(pdfs.usf_remove_byte_range, "UNIVERSAL_SIGNATURE_FORGERY", id="usf-br"),
        pytest.param(pdfs.usf_null_byte_range, "UNIVERSAL_SIGNATURE_FORGERY", id="usf-null-br"),
        pytest.param(pdfs.byte_range_outside_file, "BYTE_RANGE_OUTSIDE_FILE", id="br-past-eof"),
        pytest.param(pdfs.usf_zero_contents, "UNIVERSAL_SIGNATURE_FORGERY", id="usf-zeroed"),
        pytest.param(
            lambda p: pdfs._rewrite_byte_range(p, _overlapping(p)),
            "BYTE_RANGE_OVERLAP",
            id="br-overlap",
        ),
        pytest.param(
            lambda p: pdfs.add_text_to_page(p, "KHONG DAT"), "INCREMENTAL_SAVING_ATTACK", id="isa"
        ),
        pytest.param(pdfs.add_page, "INCREMENTAL_SAVING_ATTACK", id="isa-page"),
        pytest.param(
            pdfs.change_signature_field, "SIGNATURE_DICTIONARY_CHANGED", id="sig-field-changed"
        ),
        pytest.param(
            pdfs.rewrite_signature_dictionary,
            "SIGNATURE_DICTIONARY_INCONSISTENT",
            id="sig-dict-rewritten",
        ),
        pytest.param(
            lambda p: pdfs.replace_cms(p, _second_signer_info),
            "MULTIPLE_SIGNER_INFOS",
            id="second-signer-info",
        ),
    ],
)
def test_each_attack_has_its_own_finding(
    verifier: Verifier, locally_signed: bytes, attack: Callable[[bytes], bytes], code: str
) -> None:
    report = verifier.verify(attack(locally_signed), offline=False)
    sig = only(report.signatures)
    assert sig.indication is Indication.TOTAL_FAILED, report.summary
    assert code in {f.code for f in sig.findings}, sig.findings


def test_shadow_attacks_are_named(verifier: Verifier, local_signer: LocalSigner) -> None:
    prepared, hidden = pdfs.shadow_hide_document()
    hide = verifier.verify(
        pdfs.uncover_via_xref(local_signer.sign(prepared), hidden), offline=False
    )
    assert "SHADOW_ATTACK_HIDE" in {f.code for f in only(hide.signatures).findings}

    signed = local_signer.sign(pdfs.hide_and_replace_document())
    both = verifier.verify(pdfs.switch_root(signed), offline=False)
    codes = {f.code for f in only(both.signatures).findings}
    assert "SHADOW_ATTACK_HIDE_AND_REPLACE" in codes, codes

    replace = verifier.verify(
        pdfs.fill_replace_field(local_signer.sign(pdfs.shadow_replace_document())), offline=False
    )
    assert "SHADOW_ATTACK_REPLACE" in {f.code for f in only(replace.signatures).findings}


def test_timestamps_copied_or_duplicated_are_named(
    verifier: Verifier, local_signer: LocalSigner, result_pdf: bytes, locally_signed: bytes
) -> None:
    token = pdfs.signature_timestamp(local_signer.sign(result_pdf))
    copied = verifier.verify(
        pdfs.replace_cms(locally_signed, pdfs.with_timestamp(token)), offline=False
    )
    codes = {f.code for f in only(copied.signatures).findings}
    assert "TIMESTAMP_NOT_FOR_THIS_SIGNATURE" in codes, codes

    two = local_signer.sign(locally_signed, "seal-h57", field="Seal")
    forged = pdfs.replace_cms(two, pdfs.with_timestamp(pdfs.signature_timestamp(two, 0)), index=1)
    second = verifier.verify(forged, offline=False).signatures[1]
    assert "TIMESTAMP_DUPLICATED" in {f.code for f in second.findings}


@pytest.mark.parametrize(
    ("attack", "vi", "en"),
    [
        (pdfs.signature_wrapping, "bọc chữ ký", "signature wrapping"),
        (pdfs.usf_zero_contents, "Chữ ký giả mạo", "forged signature"),
    ],
)
def test_the_words_a_person_reads_name_the_attack_first(
    verifier: Verifier,
    locally_signed: bytes,
    attack: Callable[[bytes], bytes],
    vi: str,
    en: str,
) -> None:
    from api.verification_wording import describe

    report = verifier.verify(attack(locally_signed), offline=False)
    assert report.bottom_line is not Indication.TOTAL_PASSED
    for lang, expected in (("vi", vi), ("en", en)):
        words = describe(report, lang)  # type: ignore[arg-type]
        assert len(words.signatures) == 1
        assert expected in words.signatures[0].reasons[0]
