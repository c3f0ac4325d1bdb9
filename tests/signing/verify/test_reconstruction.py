"""Files whose cross-reference chain cannot be read at all (issue 14): `startxref` missing
or pointing past the end, a truncated table, a garbled cross-reference stream, a deleted
trailer. The structure is rebuilt by scanning the objects, as PDF readers do, and every
signature still gets its own verdict; leniency never turns a failure into a pass."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pikepdf
import pytest
from pyhanko.pdf_utils import generic

from signing.verify import Indication, ProblemCode, SubIndication, Verifier
from signing.verify.reconstruct import rebuild
from tests.signing.verify import corpus, pdfs
from tests.signing.verify.conftest import LocalSigner

Damage = Callable[[bytes], bytes]

DAMAGES = [
    pytest.param(corpus.no_startxref, id="no-startxref"),
    pytest.param(corpus.startxref_past_eof, id="startxref-past-eof"),
    pytest.param(corpus.truncated_table, id="truncated-table"),
    pytest.param(corpus.no_trailer, id="no-trailer"),
]


def codes(report: object) -> set[str]:
    return {f.code for f in getattr(report, "findings", ())}


@pytest.mark.parametrize("damage", DAMAGES)
def test_benign_update_with_unreadable_xref_is_verified(
    verifier: Verifier, locally_signed: bytes, damage: Damage
) -> None:
    """The signed revision still reads as written; the damaged update after it is rebuilt
    from its objects and judged like any update (here: new document information)."""
    report = verifier.verify(damage(corpus.info_update(locally_signed)), offline=False)
    assert report.problem is None, report.summary
    assert report.document is not None and report.document.read_leniently
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert len(report.signatures) == 1, report.summary
    assert report.signatures[0].indication is Indication.TOTAL_PASSED, report.signatures[0]
    assert report.document.revisions == 3


def test_garbled_xref_stream_update_is_verified(verifier: Verifier, locally_signed: bytes) -> None:
    updated = corpus.xref_stream_update(locally_signed)
    intact = verifier.verify(updated, offline=False)
    assert intact.bottom_line is Indication.TOTAL_PASSED and "XREF_RECONSTRUCTED" not in codes(
        intact
    )
    report = verifier.verify(corpus.garbled_xref_stream(updated), offline=False)
    assert report.problem is None, report.summary
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert report.signatures[0].indication is Indication.TOTAL_PASSED, report.signatures[0]


@pytest.mark.parametrize("damage", DAMAGES)
def test_attack_behind_unreadable_xref_still_fails(
    verifier: Verifier, locally_signed: bytes, damage: Damage
) -> None:
    """New text on the signed page, its update's cross-reference then broken: the rebuilt
    revision shows the new text, and the comparison refuses it."""
    attacked = damage(pdfs.add_text_to_page(locally_signed, "KHONG DAT"))
    report = verifier.verify(attacked, offline=False)
    assert report.problem is None, report.summary
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_FAILED, sig
    assert any("content changed" in e for e in sig.errors), sig.errors


def test_attack_in_garbled_xref_stream_update_still_fails(
    verifier: Verifier, locally_signed: bytes
) -> None:
    """An update with a stream section that re-defines the signed page's content, garbled:
    the scan finds the new content object all the same."""
    updated = corpus.xref_stream_update(locally_signed)
    page_content = pdfs.stream(pdfs.text("KHONG DAT"))
    attacked = corpus.garbled_xref_stream(updated) + b"4 0 obj\n" + page_content + b"\nendobj\n"
    report = verifier.verify(attacked, offline=False)
    assert report.problem is None, report.summary
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert report.signatures[0].indication is not Indication.TOTAL_PASSED, report.signatures[0]
    assert report.bottom_line is not Indication.TOTAL_PASSED


@pytest.mark.parametrize("damage", DAMAGES)
def test_damage_inside_the_signed_bytes_fails(
    verifier: Verifier, locally_signed: bytes, damage: Damage
) -> None:
    """The signature's own revision broken: the file is read (no longer "cannot be
    validated"), and the signature fails on its exact bytes."""
    report = verifier.verify(damage(locally_signed), offline=False)
    assert report.problem is None, report.summary
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert len(report.signatures) == 1, report.summary
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_FAILED, sig
    assert sig.sub_indication in {SubIndication.HASH_FAILURE, SubIndication.FORMAT_FAILURE}


def _appended(objects: bytes) -> bytes:
    """The result document with `objects` appended and a `startxref` pointing nowhere."""
    return pdfs.result_document() + objects + b"startxref\n999999\n%%EOF\n"


def test_last_definition_of_an_object_wins() -> None:
    """Two definitions of the same object after the readable prefix: the later one is
    what the rebuilt revision lists, as readers take it."""
    rebuilt = rebuild(_appended(b"9 0 obj\n(first)\nendobj\n9 0 obj\n(second)\nendobj\n"))
    assert rebuilt.kept_revisions == 1
    assert str(rebuilt.reader.get_object(generic.Reference(9, 0))) == "second"


def test_object_header_inside_a_stream_is_not_rebuilt() -> None:
    """A stream holding the text "3 0 obj" after the readable revisions: readers that scan
    every header and readers that skip stream data would show different pages, so no
    rebuilt view is offered (the file cannot be validated)."""
    fake = pdfs.stream(b"3 0 obj\n(not a page)\nendobj\n")
    with pytest.raises(ValueError, match="inside another object"):
        rebuild(_appended(b"20 0 obj\n" + fake + b"\nendobj\n"))


def test_ambiguous_update_after_a_signature_cannot_be_validated(
    verifier: Verifier, locally_signed: bytes
) -> None:
    fake = pdfs.stream(b"3 0 obj\n<< /Type /Page >>\nendobj\n")
    damaged = locally_signed + b"20 0 obj\n" + fake + b"\nendobj\nstartxref\n1\n%%EOF\n"
    report = verifier.verify(damaged, offline=False)
    assert report.problem is not None and report.problem.code is ProblemCode.UNREADABLE_PDF
    assert "rebuild this file differently" in report.problem.message
    assert report.bottom_line is Indication.INDETERMINATE


def test_nothing_to_rebuild_from_stays_unreadable() -> None:
    with pytest.raises(ValueError, match="catalog"):
        rebuild(b"%PDF-1.7\n1 0 obj\n(no catalog)\nendobj\n%%EOF\n")


def test_new_catalog_without_trailer_is_the_one_shown(
    verifier: Verifier, locally_signed: bytes
) -> None:
    """An update that writes a new catalog and no trailer: readers take the last catalog,
    so the comparison sees the catalog switch; the signature does not pass."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    attacked = locally_signed + b"95 0 obj\n" + catalog + b"\nendobj\n"
    attacked = corpus.no_startxref(attacked + b"startxref\n0\n%%EOF\n")
    report = verifier.verify(attacked, offline=False)
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert report.bottom_line is not Indication.TOTAL_PASSED, report.summary


def _page_text(contents: object) -> bytes:
    """The decoded content of a page's /Contents (one stream or an array of them)."""
    items = contents if isinstance(contents, list | pikepdf.Array) else [contents]
    out = b""
    for item in items:
        out += item.read_bytes() if isinstance(item, pikepdf.Stream) else item.get_object().data
    return out


@pytest.mark.parametrize("damage", DAMAGES[1:])
def test_rebuilt_page_is_what_qpdf_shows(locally_signed: bytes, damage: Damage) -> None:
    """Cross-check with qpdf's own reconstruction: the rebuilt final revision shows the
    page qpdf shows, the added text included. (With `startxref` gone, qpdf instead finds
    the signed revision's `startxref` near the end and shows the signed page: readers do
    differ there, hence the warning; the verifier judges the update, the stricter view.)"""
    attacked = damage(pdfs.add_text_to_page(locally_signed, "KHONG DAT"))
    with pikepdf.open(io.BytesIO(attacked)) as pdf:
        qpdf_page = _page_text(pdf.pages[0].obj.Contents)
    page = rebuild(attacked).reader.root["/Pages"]["/Kids"][0]
    ours = _page_text(
        list(page["/Contents"]) if isinstance(page["/Contents"], list) else page["/Contents"]
    )
    assert b"KHONG DAT" in qpdf_page
    assert ours == qpdf_page


def test_signed_while_damaged_then_updated(verifier: Verifier, local_signer: LocalSigner) -> None:
    """A document whose trailer was already gone when it was signed (the signing software
    read it leniently and pointed /Prev at nothing): no chain reads at any revision end, so
    every revision is rebuilt; the signed revision ends where its bytes end and is judged
    on them."""
    signed = local_signer.sign(corpus.no_trailer(pdfs.result_document()), lenient=True)
    report = verifier.verify(signed, offline=False)
    assert report.problem is None, report.summary
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    # a later update with no cross-reference at all: a new document information object
    benign = signed + b"90 0 obj\n<< /Producer (office suite) >>\nendobj\n"
    report = verifier.verify(benign, offline=False)
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    assert report.document is not None and report.document.revisions == 2
    # ... or new content for the signed page, just as bare
    contents = re.search(rb"/Contents (\d+) 0 R", signed)
    assert contents is not None
    forged = pdfs.stream(pdfs.text("KHONG DAT"))
    attacked = signed + contents.group(1) + b" 0 obj\n" + forged + b"\nendobj\n"
    report = verifier.verify(attacked, offline=False)
    assert report.signatures[0].indication is Indication.TOTAL_FAILED, report.summary
    # and the signed bytes are still checked exactly
    broken = verifier.verify(pdfs.flip_signed_byte(signed), offline=False)
    assert broken.signatures[0].sub_indication is SubIndication.HASH_FAILURE


def test_hidden_later_twin_shown_by_a_rebuild_fails(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    """Shadow attack through the rebuild itself: the signed file holds, after the real
    covering box (object 6), an unlisted empty twin of it. Breaking the chain after the
    signature makes reconstructing readers take that later twin, which uncovers the hidden
    text: the rebuilt revision lists it and the comparison refuses it."""
    prepared, _hidden = pdfs.shadow_hide_document()
    at = prepared.rindex(b"\nxref\n") + 1
    twin = b"6 0 obj\n" + pdfs.stream(b"% nothing") + b"\nendobj\n"
    old_startxref = re.search(rb"startxref\n(\d+)", prepared[at:])
    assert old_startxref is not None
    prepared = prepared[:at] + twin + prepared[at:]
    prepared = prepared.replace(
        b"startxref\n%s" % old_startxref.group(1),
        b"startxref\n%d" % (int(old_startxref.group(1)) + len(twin)),
    )
    signed = local_signer.sign(prepared)
    assert verifier.verify(signed, offline=False).bottom_line is Indication.TOTAL_PASSED
    attacked = signed + b"startxref\n1\n%%EOF\n"
    report = verifier.verify(attacked, offline=False)
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_FAILED, report.summary
    assert any("content changed" in e for e in sig.errors), sig.errors


def test_objects_in_an_object_stream_are_rebuilt(
    verifier: Verifier, local_signer: LocalSigner
) -> None:
    """A compressed signed file (object streams, cross-reference streams), then an update
    whose new object lives in an object stream and that has no cross-reference section."""
    signed = local_signer.sign(corpus.object_stream_document())
    updated = corpus.object_stream_update(signed)
    rebuilt = rebuild(updated)
    info = rebuilt.reader.trailer["/Info"]
    assert str(info["/Producer"]) == "office suite"
    last = rebuilt.reader.xrefs.get_xref_data(rebuilt.kept_revisions)
    assert set(last.xrefs_in_objstm) == {31} and set(last.standard_xrefs) == {30}
    report = verifier.verify(updated, offline=False)
    assert "XREF_RECONSTRUCTED" in codes(report), report.findings
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
