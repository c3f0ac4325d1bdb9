"""Generated real-world shapes the verifier must give a verdict on: hybrid-reference files,
damaged or inconsistent cross-reference tables, files encrypted with an empty user password,
and the benign incremental updates that writers make after a signature (form filling with
/Perms, a comment with a /Names change, /OpenAction and page resources, the form's /DA /DR).

Written by hand (byte for byte, as the damaged files are) or with pyHanko and pikepdf.
"""

from __future__ import annotations

import io
import re
import zlib

import pikepdf
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tests.signing.verify import pdfs

_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
    b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
)
_CONTENT = b"\n".join(
    (pdfs.text("UBND TINH DONG NAI - GIAY CHUNG NHAN", 760), pdfs.text("KET QUA: DAT"))
)


def hybrid_document(*, conflict: bool = False) -> bytes:
    """A hybrid-reference file as office suites write them: the font lives in an object
    stream that only the /XRefStm stream lists; the classic table leaves it out. With
    `conflict`, the stream also lists the page content, which the table lists too."""
    out = bytearray(pdfs.HEADER)
    offsets: dict[int, int] = {}
    plain = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: _PAGE,
        4: pdfs.stream(_CONTENT),
    }
    for num, body in plain.items():
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    header = b"5 0 "
    objstm = header + pdfs.FONT
    offsets[6] = len(out)
    out += b"6 0 obj\n" + pdfs.stream(objstm, b"/Type /ObjStm /N 1 /First %d " % len(header))
    out += b"\nendobj\n"
    # The xref stream (object 7): type 2 entry for object 5 (in object stream 6, index 0).
    entries = ((1, offsets[4], 0), (2, 6, 0)) if conflict else ((2, 6, 0),)
    rows = b"".join(
        bytes([kind]) + value.to_bytes(4, "big") + bytes([gen]) for kind, value, gen in entries
    )
    offsets[7] = len(out)
    index = b"[4 2]" if conflict else b"[5 1]"
    out += b"7 0 obj\n" + pdfs.stream(rows, b"/Type /XRef /Size 8 /W [1 4 1] /Index %s " % index)
    out += b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n"
    for num in range(1, 5):
        out += b"%010d 00000 n \n" % offsets[num]
    out += b"6 2\n%010d 00000 n \n%010d 00000 n \n" % (offsets[6], offsets[7])
    out += (
        b"trailer\n<< /Size 8 /Root 1 0 R /XRefStm %d /ID [<0123456789abcdef0123456789abcdef>"
        b" <0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n" % (offsets[7], xref_at)
    )
    return bytes(out)


def _set_trailer_size(pdf: bytes, size: int) -> bytes:
    """The last trailer's /Size rewritten in place (same length, offsets unchanged)."""
    at = pdf.rindex(b"/Size ")
    old = re.match(rb"/Size (\d+)", pdf[at:])
    assert old is not None
    new = b"/Size %d" % size
    return pdf[:at] + new.ljust(len(old.group(0))) + pdf[at + len(old.group(0)) :]


def wrong_size_document() -> bytes:
    """The trailer's /Size is smaller than the table (strict readers refuse the file)."""
    return _set_trailer_size(pdfs.result_document(), 3)


def decreasing_sections_document() -> bytes:
    """An update whose section declares a smaller /Size than the one before."""
    base = pdfs.result_document()
    updated = pdfs.raw_update(base, {3: _PAGE.replace(b"/Type /Page ", b"/Type /Page /Rotate 0 ")})
    return _set_trailer_size(updated, 4)


def shifted_offsets_document(shift: int = 7) -> bytes:
    """Every xref entry misses its object by `shift` bytes (the bytes before the header)."""
    pdf = pdfs.result_document()

    def move(match: re.Match[bytes]) -> bytes:
        offset = int(match.group(1))
        return b"%010d 00000 n" % (offset - shift if offset else offset)

    xref_at = pdf.rindex(b"\nxref\n")
    return pdf[:xref_at] + re.sub(rb"(\d{10}) 00000 n", move, pdf[xref_at:])


def metadata_update_with_bad_offsets(signed: bytes) -> bytes:
    """A benign later update (document information) whose xref entry misses its object."""
    updated = pdfs.raw_update(signed, {90: b"<< /Producer (office suite) >>"})
    updated = updated.replace(b"/Root 1 0 R /Prev", b"/Info 90 0 R /Root 1 0 R /Prev")
    at = updated.rindex(b"90 1\n")
    entry = updated[at + 5 : at + 15]
    broken = b"%010d" % (int(entry) + 3)
    return updated[: at + 5] + broken + updated[at + 15 :]


def unreadable_revision_then_restored(signed: bytes) -> bytes:
    """A later revision whose trailer points at no catalog, and one after it that points
    back at the real catalog (with a metadata change): only the last one is displayed."""
    broken = pdfs.raw_update(signed, {91: b"(not a catalog)"}, root=91)
    restored = pdfs.raw_update(broken, {92: b"<< /Producer (restored) >>"}, root=1)
    return restored.replace(b"/Root 1 0 R /Prev", b"/Info 92 0 R /Root 1 0 R /Prev")


def encrypted_document(user: str = "") -> bytes:
    """The result document, AES-256 encrypted by qpdf with the given user password."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdfs.result_document())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user=user, owner="owner-secret", R=6))
    return out.getvalue()


def compressed(data: bytes) -> bytes:
    return zlib.compress(data)


# -- benign updates after a signature, as real writers make them ---------------------------


def _write(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form_document(rect: bytes = b"72 100 300 130") -> bytes:
    """The result document with an empty text field (Note) and the form's /DA and /DR; by
    default the field lies under no text (`rect` b"60 690 360 730" puts it on the result
    line, as the overlay variant of the shadow "replace" attack does)."""
    pdf = pdfs.result_document()
    widget = (
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Note) /Rect [%s] "
        b"/P 3 0 R /DA (/Helv 10 Tf 0 g) /F 4 >>" % rect
    )
    page = _PAGE.replace(b"/Contents 4 0 R", b"/Contents 4 0 R /Annots [7 0 R]")
    catalog = (
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] "
        b"/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 5 0 R >> >> >> >>"
    )
    return pdfs.raw_update(pdf, {1: catalog, 3: page, 7: widget})


def fill_form(signed: bytes) -> bytes:
    """Form filling as viewers save it: the field's value and a new appearance, the field's
    /DA redefined, /Perms rewritten in the catalog and the form's /NeedAppearances."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    root = writer.root
    acroform = root["/AcroForm"]
    field_ref = next(f for f in acroform["/Fields"] if f.get_object().get("/T") == "Note")
    field = field_ref.get_object()
    field[generic.NameObject("/V")] = generic.TextStringObject("Da kiem tra")
    field[generic.NameObject("/DA")] = generic.TextStringObject("/Helv 9 Tf 0 0 1 rg")
    appearance = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                map(generic.NumberObject, (0, 0, 228, 30))
            ),
        },
        stream_data=b"/Tx BMC BT /Helv 9 Tf 0 0 1 rg 2 10 Td (Da kiem tra) Tj ET EMC",
    )
    field[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): writer.add_object(appearance)}
    )
    writer.mark_update(field_ref)
    if "/Perms" in root:
        perms = root["/Perms"]
        root[generic.NameObject("/Perms")] = writer.add_object(
            generic.DictionaryObject({k: perms.raw_get(k) for k in perms})
        )
        writer.update_root()
    return _write(writer)


def change_form_defaults(signed: bytes) -> bytes:
    """The form dictionary's default appearance and resources changed, nothing else."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    acroform = writer.root["/AcroForm"]
    acroform[generic.NameObject("/DA")] = generic.TextStringObject("/Helv 12 Tf 0 g")
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/ZapfDingbats"),
            }
        )
    )
    dr = generic.DictionaryObject(
        {generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/ZaDb"): font})}
    )
    acroform[generic.NameObject("/DR")] = dr
    writer.update_container(writer.root.raw_get("/AcroForm"))
    writer.update_root()
    return _write(writer)


def comment_with_names(signed: bytes) -> bytes:
    """A comment in the margin plus a /Names entry (a named destination), as viewers save
    a sticky note."""
    annotated = pdfs.add_free_text_annotation(signed, rect=(400, 20, 580, 60))
    writer = IncrementalPdfFileWriter(io.BytesIO(annotated))
    page_ref, _page = pdfs.first_page(writer)
    dests = generic.DictionaryObject(
        {
            generic.NameObject("/Names"): generic.ArrayObject(
                [
                    generic.TextStringObject("note-1"),
                    generic.ArrayObject([page_ref, generic.NameObject("/Fit")]),
                ]
            )
        }
    )
    writer.root[generic.NameObject("/Names")] = generic.DictionaryObject(
        {generic.NameObject("/Dests"): writer.add_object(dests)}
    )
    writer.update_root()
    return _write(writer)


def open_action_and_unused_resources(signed: bytes) -> bytes:
    """/OpenAction set to show the first page, and a font the content does not use added to
    the page's resources (as "optimisers" and viewers do)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref, page = pdfs.first_page(writer)
    writer.root[generic.NameObject("/OpenAction")] = generic.ArrayObject(
        [page_ref, generic.NameObject("/FitH"), generic.NumberObject(842)]
    )
    writer.update_root()
    resources = page["/Resources"]
    fonts = generic.DictionaryObject(dict(resources["/Font"].items()))
    fonts[generic.NameObject("/F9")] = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/Courier"),
            }
        )
    )
    new_resources = generic.DictionaryObject(dict(resources.items()))
    new_resources[generic.NameObject("/Font")] = fonts
    page[generic.NameObject("/Resources")] = new_resources
    writer.mark_update(page_ref)
    return _write(writer)


def replace_used_font(signed: bytes) -> bytes:
    """The font the signed content uses, swapped for another: not a writer artefact."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref, page = pdfs.first_page(writer)
    resources = generic.DictionaryObject(dict(page["/Resources"].items()))
    resources[generic.NameObject("/Font")] = generic.DictionaryObject(
        {
            generic.NameObject("/F1"): writer.add_object(
                generic.DictionaryObject(
                    {
                        generic.NameObject("/Type"): generic.NameObject("/Font"),
                        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                        generic.NameObject("/BaseFont"): generic.NameObject("/Symbol"),
                    }
                )
            )
        }
    )
    page[generic.NameObject("/Resources")] = resources
    writer.mark_update(page_ref)
    return _write(writer)


# -- cross-reference chains that cannot be read at all (rebuilt by scanning) --------------


def info_update(signed: bytes) -> bytes:
    """A benign later update: new document information (object 90)."""
    updated = pdfs.raw_update(signed, {90: b"<< /Producer (office suite) >>"})
    return updated.replace(b"/Root 1 0 R /Prev", b"/Info 90 0 R /Root 1 0 R /Prev")


def _last_section(pdf: bytes) -> int:
    return pdf.rindex(b"\nxref\n") + 1


def no_startxref(pdf: bytes) -> bytes:
    """The last `startxref` keyword and its offset are gone."""
    at = pdf.rindex(b"startxref")
    end = pdf.index(b"%%EOF", at)
    return pdf[:at] + pdf[end:]


def startxref_past_eof(pdf: bytes) -> bytes:
    at = pdf.rindex(b"startxref")
    end = pdf.index(b"%%EOF", at)
    return pdf[:at] + b"startxref\n%d\n" % (len(pdf) + 5000) + pdf[end:]


def truncated_table(pdf: bytes) -> bytes:
    """The last cross-reference table cut off after its first entry, its trailer gone:
    only `startxref` and the end marker are left after it."""
    at = _last_section(pdf)
    first_entry = pdf.index(b" f \n", at) + 4
    return pdf[:first_entry] + b"00000\nstartxref\n%d\n%%%%EOF\n" % at


def no_trailer(pdf: bytes) -> bytes:
    """The last trailer dictionary deleted (startxref still points at the table)."""
    at = pdf.rindex(b"trailer")
    end = pdf.index(b"startxref", at)
    return pdf[:at] + pdf[end:]


def xref_stream_update(signed: bytes) -> bytes:
    """A benign later update (new document information, object 90) whose cross-reference
    section is a stream (object 91), as writers of compressed files make them."""
    out = bytearray(signed)
    info_at = len(out)
    out += b"90 0 obj\n<< /Producer (office suite) >>\nendobj\n"
    stream_at = len(out)
    rows = b"".join(bytes([1]) + at.to_bytes(4, "big") + b"\x00" for at in (info_at, stream_at))
    ids = re.findall(rb"/ID\s*\[\s*(<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>)\s*\]", signed)[-1]
    out += b"91 0 obj\n" + pdfs.stream(
        rows,
        b"/Type /XRef /Size 92 /W [1 4 1] /Index [90 2] /Root 1 0 R /Info 90 0 R "
        b"/Prev %d /ID [%s] " % (pdfs._last_startxref(signed), ids),
    )
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % stream_at
    return bytes(out)


def garbled_xref_stream(pdf: bytes) -> bytes:
    """The last cross-reference stream's compressed data overwritten with noise."""
    at = pdf.rindex(b"/Type /XRef")
    begin = pdf.index(b"stream", at) + len(b"stream\n")
    end = pdf.index(b"endstream", begin)
    return pdf[:begin] + bytes((b * 7 + 3) & 0xFF for b in pdf[begin:end]) + pdf[end:]


def object_stream_document() -> bytes:
    """The result document saved by qpdf with object streams and a cross-reference
    stream, as compressing writers save it."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdfs.result_document())) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def object_stream_update(signed: bytes) -> bytes:
    """A later update whose only new object (document information, 31) sits in an object
    stream (30), with no cross-reference section at all: only the scan finds it."""
    header = b"31 0 "
    body = header + b"<< /Producer (office suite) >>"
    objstm = pdfs.stream(body, b"/Type /ObjStm /N 1 /First %d " % len(header))
    ids = re.findall(rb"/ID\s*\[\s*<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*\]", signed)[-1]
    root = re.findall(rb"/Root\s+\d+\s+\d+\s+R", signed)[-1]
    return (
        signed
        + b"30 0 obj\n"
        + objstm
        + b"\nendobj\ntrailer\n<< "
        + root
        + b" /Info 31 0 R "
        + ids
        + b" >>\nstartxref\n1\n%%EOF\n"
    )
