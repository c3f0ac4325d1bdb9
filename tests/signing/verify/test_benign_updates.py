"""Benign incremental updates that writers make after a signature are not failures under
the default (reference) policy, EU DSS's levels: form filling (with /Perms rewritten and the
field's /DA redefined), a comment with a /Names change, /OpenAction and unused page
resources, the form's /DA and /DR each pass with warnings. A DocMDP/FieldMDP violation is a
warning finding too; the strict policy refuses all of them. The same kinds of update that
change what was signed still fail under every policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pyhanko.sign import fields

from signing.verify import (
    ChangeKind,
    Indication,
    Severity,
    SignatureReport,
    TrustSettings,
    VerificationPolicy,
    VerificationReport,
    Verifier,
)
from signing.verify.trust import DEFAULT_POLICY_NAME, STRICT_POLICY_NAME
from tests.signing.verify import corpus, pdfs
from tests.signing.verify.conftest import LocalSigner


@pytest.fixture(scope="module")
def strict(trust: TrustSettings) -> Iterator[Verifier]:
    """No form filling, no annotations after signing; DocMDP/FieldMDP enforced."""
    with Verifier(trust, policy=VerificationPolicy.strict()) as verifier:
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


def passed_with_warnings(report: VerificationReport, *codes: str) -> SignatureReport:
    """TOTAL_PASSED under the default policy, with the warning findings `codes` (and no
    error finding) in the report."""
    assert report.policy == DEFAULT_POLICY_NAME
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_PASSED, report.summary
    assert report.bottom_line is Indication.TOTAL_PASSED
    assert sig.modifications is not None and sig.modifications.permitted
    assert sig.warnings, "what changed after signing is reported"
    found = {f.code: f.severity for f in sig.modifications.findings}
    for code in codes:
        assert found.get(code) is Severity.WARNING, (code, sig.modifications.findings)
    assert Severity.ERROR not in found.values(), sig.modifications.findings
    assert not any(f.severity is Severity.ERROR for f in sig.findings), sig.findings
    return sig


def failed_under_strict(report: VerificationReport, needle: str) -> None:
    assert report.policy == STRICT_POLICY_NAME
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_FAILED, report.summary
    assert any(needle in e for e in sig.errors), sig.errors


@pytest.mark.parametrize(
    ("update", "form", "codes"),
    [
        pytest.param(
            corpus.comment_with_names, False, ("ANNOTATION_ADDED",), id="free-text-with-names"
        ),
        pytest.param(corpus.fill_form, True, ("FORM_FILLED",), id="form-fill"),
        pytest.param(
            corpus.open_action_and_unused_resources,
            False,
            ("WRITER_ARTEFACT",),
            id="open-action-resources",
        ),
        pytest.param(corpus.change_form_defaults, True, ("WRITER_ARTEFACT",), id="form-da-dr"),
    ],
)
def test_the_four_benign_updates_pass_with_warnings_by_default(
    verifier: Verifier,
    locally_signed: bytes,
    signed_form: bytes,
    update: Callable[[bytes], bytes],
    form: bool,
    codes: tuple[str, ...],
) -> None:
    # The four false alarms of issue 14: EU DSS accepts each (warnings only).
    passed_with_warnings(
        verifier.verify(update(signed_form if form else locally_signed), offline=False), *codes
    )


def test_form_filling_with_perms_and_new_appearance_passes_by_default(
    verifier: Verifier, strict: Verifier, signed_form: bytes
) -> None:
    filled = corpus.fill_form(signed_form)
    sig = passed_with_warnings(verifier.verify(filled, offline=False), "FORM_FILLED")
    assert sig.modifications is not None
    assert ChangeKind.FORM_FILLED in sig.modifications.changes
    assert ChangeKind.FORM_STRUCTURE_CHANGED not in sig.modifications.changes
    assert any("filled in" in w for w in sig.warnings), sig.warnings
    # the strict policy refuses form filling, and says so (not as an attack)
    refused = strict.verify(filled, offline=False)
    failed_under_strict(refused, "form filling")
    codes = {f.code for f in refused.signatures[0].findings}
    assert "FORM_FILLING_NOT_PERMITTED" in codes and "SHADOW_ATTACK_REPLACE" not in codes, codes


def test_comment_with_names_passes_by_default(
    verifier: Verifier, strict: Verifier, locally_signed: bytes
) -> None:
    commented = corpus.comment_with_names(locally_signed)
    sig = passed_with_warnings(verifier.verify(commented, offline=False), "ANNOTATION_ADDED")
    assert sig.modifications is not None
    assert ChangeKind.CATALOG_CHANGED not in sig.modifications.changes
    assert any("annotation added" in w for w in sig.warnings), sig.warnings
    failed_under_strict(strict.verify(commented, offline=False), "no annotations")
    refused = strict.verify(commented, offline=False).signatures[0]
    assert not any("/Names" in e for e in refused.errors), refused.errors


@pytest.mark.parametrize(
    ("certify", "lock", "code", "needle"),
    [
        pytest.param(
            fields.MDPPerm.NO_CHANGES,
            None,
            "DOCMDP_VIOLATED",
            "permits no changes",
            id="docmdp-p1",
        ),
        pytest.param(
            None,
            fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, ["Note"]),
            "FIELDMDP_VIOLATED",
            "locked by this signature",
            id="fieldmdp-lock",
        ),
    ],
)
def test_docmdp_and_fieldmdp_violations_warn_by_default_and_fail_when_strict(
    verifier: Verifier,
    strict: Verifier,
    local_signer: LocalSigner,
    certify: fields.MDPPerm | None,
    lock: fields.FieldMDPSpec | None,
    code: str,
    needle: str,
) -> None:
    # An empty field under no text filled in: EU DSS warns of the DocMDP/FieldMDP violation.
    signed = local_signer.sign(corpus.form_document(), certify=certify, lock=lock)
    filled = corpus.fill_form(signed)
    sig = passed_with_warnings(verifier.verify(filled, offline=False), code, "FORM_FILLED")
    assert any(needle in w for w in sig.warnings), sig.warnings
    failed_under_strict(strict.verify(filled, offline=False), needle)


def test_filling_a_field_over_signed_text_fails_under_every_policy(
    verifier: Verifier, strict: Verifier, local_signer: LocalSigner
) -> None:
    # An empty field laid over the result line, filled after signing: its appearance now
    # covers signed text (overlay variant of the shadow "replace" attack).
    signed = local_signer.sign(corpus.form_document(rect=b"60 690 360 730"))
    filled = corpus.fill_form(signed)
    default = verifier.verify(filled, offline=False).signatures[0]
    assert default.indication is Indication.TOTAL_FAILED
    assert "SHADOW_ATTACK_REPLACE" in {f.code for f in default.findings}, default.findings
    assert any("lies over signed text" in e for e in default.errors), default.errors
    strictly = strict.verify(filled, offline=False).signatures[0]
    assert strictly.indication is Indication.TOTAL_FAILED
    assert "SHADOW_ATTACK_REPLACE" in {f.code for f in strictly.findings}, strictly.findings


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


def test_what_a_reader_sees_is_compared(verifier: Verifier, locally_signed: bytes) -> None:
    # writer artefacts only: the pages render as signed
    artefacts = verifier.verify(
        corpus.open_action_and_unused_resources(locally_signed), offline=False
    )
    mods = artefacts.signatures[0].modifications
    assert mods is not None and mods.visual_difference_pages == ()

    # a (white) comment in the margin: over no text, and nothing visible changes
    margin = verifier.verify(corpus.comment_with_names(locally_signed), offline=False)
    mods = margin.signatures[0].modifications
    assert mods is not None and mods.visual_difference_pages == ()
    assert mods.annotations_overlapping_text == ()

    # a white box over the result line: it hides signed text, and the page looks different;
    # EU DSS only warns of the overlap, the vault fails it under every policy
    overlay = verifier.verify(pdfs.add_free_text_annotation(locally_signed), offline=False)
    sig = overlay.signatures[0]
    mods = sig.modifications
    assert mods is not None and len(mods.annotations_overlapping_text) == 1, mods
    assert mods.visual_difference_pages == (1,)
    assert any(f.code == "VISUAL_DIFFERENCE" for f in mods.findings)
    assert sig.indication is Indication.TOTAL_FAILED
    assert any("KET QUA" in e for e in sig.errors), sig.errors
    assert "INCREMENTAL_SAVING_ATTACK" in {f.code for f in sig.findings}


def test_pages_added_are_reported_by_number(verifier: Verifier, locally_signed: bytes) -> None:
    report = verifier.verify(pdfs.add_page(locally_signed), offline=False)
    assert report.revisions[-1].pages_added == (2,)
    assert [r.pages for r in report.revisions] == [1, 1, 2]
