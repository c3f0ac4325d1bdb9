"""Benign incremental updates that writers make after a signature are not failures: form
filling (with /Perms rewritten and the field's /DA redefined), a comment with a /Names
change, /OpenAction and unused page resources, the form's /DA and /DR. The same kinds of
update that change what was signed still fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyhanko.sign import fields

from signing.verify import (
    ChangeKind,
    Indication,
    TrustSettings,
    VerificationPolicy,
    VerificationReport,
    Verifier,
)
from tests.signing.verify import corpus, pdfs
from tests.signing.verify.conftest import LocalSigner


@pytest.fixture(scope="module")
def permissive(trust: TrustSettings) -> Iterator[Verifier]:
    """Annotations and form filling allowed (the signer's DocMDP still decides)."""
    policy = VerificationPolicy(
        name="forms-and-annotations", allow_annotations=True, allow_form_filling=True
    )
    with Verifier(trust, policy=policy) as verifier:
        yield verifier


@pytest.fixture(scope="module")
def signed_form(local_signer: LocalSigner) -> bytes:
    return local_signer.sign(corpus.form_document(), certify=fields.MDPPerm.FILL_FORMS)


def passed_with_artefacts(report: VerificationReport) -> None:
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_PASSED, report.summary
    assert sig.modifications is not None and sig.modifications.permitted
    assert ChangeKind.WRITER_ARTEFACT in sig.modifications.changes, sig.modifications
    assert sig.warnings, "writer artefacts are reported as warnings"


def test_unused_resources_and_open_action_are_artefacts(
    verifier: Verifier, locally_signed: bytes
) -> None:
    report = verifier.verify(corpus.open_action_and_unused_resources(locally_signed), offline=False)
    passed_with_artefacts(report)
    assert ChangeKind.PAGE_RESOURCES_CHANGED not in report.revisions[-1].changes
    assert any("/F9" in w for w in report.signatures[0].warnings), report.signatures[0].warnings


def test_form_defaults_are_artefacts(verifier: Verifier, signed_form: bytes) -> None:
    report = verifier.verify(corpus.change_form_defaults(signed_form), offline=False)
    passed_with_artefacts(report)
    assert ChangeKind.FORM_STRUCTURE_CHANGED not in report.revisions[-1].changes


def test_form_filling_with_perms_and_new_appearance_passes_when_permitted(
    verifier: Verifier, permissive: Verifier, signed_form: bytes
) -> None:
    filled = corpus.fill_form(signed_form)
    report = permissive.verify(filled, offline=False)
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_PASSED, report.summary
    assert sig.modifications is not None
    assert ChangeKind.FORM_FILLED in sig.modifications.changes
    assert ChangeKind.FORM_STRUCTURE_CHANGED not in sig.modifications.changes
    assert "/Perms" in report.revisions[-1].catalog_keys_changed
    # the vault's own policy still refuses form filling, and says so
    strict = verifier.verify(filled, offline=False)
    assert strict.signatures[0].indication is Indication.TOTAL_FAILED
    assert any("form filling" in e for e in strict.signatures[0].errors)


def test_comment_with_names_passes_when_annotations_are_permitted(
    verifier: Verifier, permissive: Verifier, locally_signed: bytes
) -> None:
    commented = corpus.comment_with_names(locally_signed)
    report = permissive.verify(commented, offline=False)
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_PASSED, report.summary
    assert sig.modifications is not None
    assert ChangeKind.CATALOG_CHANGED not in sig.modifications.changes
    strict = verifier.verify(commented, offline=False)
    assert strict.signatures[0].indication is Indication.TOTAL_FAILED
    assert not any("/Names" in e for e in strict.signatures[0].errors)


def test_used_font_replaced_is_not_an_artefact(verifier: Verifier, locally_signed: bytes) -> None:
    report = verifier.verify(corpus.replace_used_font(locally_signed), offline=False)
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_FAILED, report.summary
    assert ChangeKind.PAGE_RESOURCES_CHANGED in report.revisions[-1].changes


def test_script_in_names_is_not_an_artefact(verifier: Verifier, locally_signed: bytes) -> None:
    def add_script(writer: pdfs.IncrementalPdfFileWriter) -> None:
        js = pdfs.generic.DictionaryObject(
            {
                pdfs.generic.NameObject("/S"): pdfs.generic.NameObject("/JavaScript"),
                pdfs.generic.NameObject("/JS"): pdfs.generic.TextStringObject("app.alert(1)"),
            }
        )
        tree = pdfs.generic.DictionaryObject(
            {
                pdfs.generic.NameObject("/Names"): pdfs.generic.ArrayObject(
                    [pdfs.generic.TextStringObject("x"), writer.add_object(js)]
                )
            }
        )
        writer.root[pdfs.generic.NameObject("/Names")] = pdfs.generic.DictionaryObject(
            {pdfs.generic.NameObject("/JavaScript"): writer.add_object(tree)}
        )
        writer.update_root()

    report = verifier.verify(pdfs.writer_update(locally_signed, add_script), offline=False)
    assert report.signatures[0].indication is Indication.TOTAL_FAILED, report.summary
    assert ChangeKind.CATALOG_CHANGED in report.revisions[-1].changes


def test_what_a_reader_sees_is_compared(
    verifier: Verifier, permissive: Verifier, locally_signed: bytes
) -> None:
    # writer artefacts only: the pages render as signed
    artefacts = verifier.verify(
        corpus.open_action_and_unused_resources(locally_signed), offline=False
    )
    mods = artefacts.signatures[0].modifications
    assert mods is not None and mods.visual_difference_pages == ()

    # a (white) comment in the margin: over no text, and nothing visible changes
    margin = permissive.verify(corpus.comment_with_names(locally_signed), offline=False)
    mods = margin.signatures[0].modifications
    assert mods is not None and mods.visual_difference_pages == ()
    assert mods.annotations_overlapping_text == ()

    # a white box over the result line: it hides signed text, and the page looks different
    overlay = permissive.verify(pdfs.add_free_text_annotation(locally_signed), offline=False)
    mods = overlay.signatures[0].modifications
    assert mods is not None and len(mods.annotations_overlapping_text) == 1, mods
    assert mods.visual_difference_pages == (1,)
    assert any(f.code == "VISUAL_DIFFERENCE" for f in mods.findings)
    assert any("KET QUA" in w for w in overlay.signatures[0].warnings)


def test_pages_added_are_reported_by_number(verifier: Verifier, locally_signed: bytes) -> None:
    report = verifier.verify(pdfs.add_page(locally_signed), offline=False)
    assert report.revisions[-1].pages_added == (2,)
    assert [r.pages for r in report.revisions] == [1, 1, 2]
