"""The PDF of an electronic certified copy: the scanned pages on A4, then the certification
page (lời chứng) with the QR code and the two signature fields (officer, office seal).

Scans keep their pixels: a JPEG is embedded as it came (no re-encoding), other images
losslessly (Flate), each scaled onto an A4 page of its own orientation; pages of a PDF are
placed onto A4 as they are (vector). The certification page is set with HarfBuzz and an
embedded, subsetted Vietnamese-capable font (DejaVu Sans; `signing.issuing.pdf_text`), measured and
wrapped inside the margins, so it reads right and the text extracts as Unicode.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import pypdfium2
import pypdfium2.raw as pdfium_c
import qrcode
from PIL import Image, ImageSequence
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.qr import PdfStreamQRImage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import (
    BasePdfFileWriter,
    copy_into_new_writer,
    init_xobject_dictionary,
)
from pyhanko.sign import fields

from signing.issuing import pdf_text
from vault import content
from vault.content import PDFIUM_LOCK  # the process's one PDFium lock: PDFium is not thread-safe
from vault.domain import MediaType
from vault.errors import ContentTooLarge, InvalidInput, UnreadableContent

A4 = (595.28, 841.89)  # points
SCAN_MARGIN = 14  # keeps the scan clear of a printer's unprintable edge
OFFICER_FIELD = "NguoiThucHienChungThuc"
SEAL_FIELD = "ConDauCoQuan"
# The certification page: 2 cm margins, text wrapped between LEFT and RIGHT.
MARGIN = 57
LEFT, RIGHT = MARGIN, A4[0] - MARGIN
HEADER_GUTTER = 14
COLUMN_GUTTER = 20
NAME_SIZE, NAME_LEADING = 10.5, 13.5  # the names under the signature boxes
SIGNATURE_BOX_HEIGHT = 84  # the stamp's four lines of 8 pt, with room to spare
# x, y, size in points, at the foot of the page. Nothing is drawn within four modules of
# it (the quiet zone a reader needs), and the tests read the code back from exactly here.
QR_BOX = (MARGIN, MARGIN, 136)
CERTIFIED_TEXT = "Chứng thực bản sao đúng với bản chính"
RULE_BELOW_BASELINE = 7  # clear of the descenders and the dot below (ạ, ộ)
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

# pyHanko's PDF object model and writers carry no type annotations: one Any-typed handle
# keeps the untyped calls in this module visible and in one place.
_pdf: Any = generic


@dataclass(frozen=True)
class CopyBody:
    """The scans as A4 pages, before the certification page."""

    pdf: bytes
    pages: int
    # SHA-256 over the SHA-256 of each submitted file, in order: what was certified,
    # printed in the QR code and kept on record.
    content_sha256: str


@dataclass(frozen=True)
class CertificationText:
    office_name: str
    office_code: str
    paper_type_name: str
    title: str
    pages: int
    number_text: str  # "15/ĐT"
    book: str
    certified_on: date
    officer_name: str
    verification_url: str  # what the QR code holds
    verification_code: str
    content_sha256: str


def _fit(width: float, height: float) -> tuple[tuple[float, float], float, float, float]:
    """An A4 page in the orientation of the content, the scale, and the offset centring it."""
    page = A4 if height >= width else (A4[1], A4[0])
    scale = min((page[0] - 2 * SCAN_MARGIN) / width, (page[1] - 2 * SCAN_MARGIN) / height)
    x = (page[0] - width * scale) / 2
    y = (page[1] - height * scale) / 2
    return page, scale, x, y


def _flatten(frame: Image.Image) -> Image.Image:
    """A frame as 8-bit grey or RGB, with transparency over white (lossless otherwise)."""
    if frame.mode in ("L", "RGB"):
        return frame
    if frame.mode.startswith("I;16") or frame.mode == "I":
        # 16-bit grey: keep the top 8 bits (a plain conversion clips everything above 255).
        return frame.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if frame.mode in ("1", "F"):
        return frame.convert("L")
    if frame.mode in ("RGBA", "LA", "P", "PA"):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return frame.convert("RGB")


def _add_image(pdf: pypdfium2.PdfDocument, image: pypdfium2.PdfImage, w: int, h: int) -> None:
    (pw, ph), scale, x, y = _fit(w, h)
    page = pdf.new_page(pw, ph)
    # Pixels are image units: the matrix sets the image's size on the page in points.
    image.set_matrix(pypdfium2.PdfMatrix().scale(w * scale, h * scale).translate(x, y))
    page.insert_obj(image)
    page.gen_content()
    page.close()


def build_body(files: Sequence[bytes], limits: content.ContentLimits, max_pages: int) -> CopyBody:
    """The scans (JPEG, PNG, TIFF, PDF; sniffed, checked against the vault's limits) as
    A4 pages, in the order given."""
    if not files:
        raise InvalidInput("pages", "at least one scanned page is required")
    digest = hashlib.sha256()
    kinds = []
    for number, data in enumerate(files, start=1):
        if not data:
            raise UnreadableContent(f"page file {number} is empty")
        kind = content.sniff(data[: content.SNIFF_BYTES])
        content.inspect(io.BytesIO(data), kind, limits)
        kinds.append(kind)
        digest.update(hashlib.sha256(data).digest())
    with PDFIUM_LOCK:
        pdf = pypdfium2.PdfDocument.new()
        try:
            for data, kind in zip(files, kinds, strict=True):
                _add_file(pdf, data, kind, max_pages)
            pages = len(pdf)
            out = io.BytesIO()
            pdf.save(out)
        finally:
            pdf.close()
    return CopyBody(out.getvalue(), pages, digest.hexdigest())


def _check_count(pdf: pypdfium2.PdfDocument, max_pages: int) -> None:
    if len(pdf) >= max_pages:
        raise ContentTooLarge(f"a certified copy has at most {max_pages} pages", max_pages)


def _add_file(pdf: pypdfium2.PdfDocument, data: bytes, kind: MediaType, max_pages: int) -> None:
    if kind is MediaType.PDF:
        source = pypdfium2.PdfDocument(data)
        try:
            for index in range(len(source)):
                _check_count(pdf, max_pages)
                # Form fields and annotations (a filled form, a stamp) are part of what
                # the page shows: merge them into its content before it is copied.
                original = source[index]
                pdfium_c.FPDFPage_Flatten(original.raw, pdfium_c.FLAT_PRINT)
                original.close()
                w, h = source.get_page_size(index)
                (pw, ph), scale, x, y = _fit(w, h)
                page = pdf.new_page(pw, ph)
                xobject = source.page_as_xobject(index, pdf)
                form = xobject.as_pageobject()
                form.set_matrix(pypdfium2.PdfMatrix().scale(scale, scale).translate(x, y))
                page.insert_obj(form)
                page.gen_content()
                page.close()
        finally:
            source.close()
        return
    if kind is MediaType.JPEG:
        _check_count(pdf, max_pages)
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
        image = pypdfium2.PdfImage.new(pdf)
        # The JPEG's own bytes go into the PDF (DCTDecode): not decoded, not re-encoded.
        image.load_jpeg(io.BytesIO(data), inline=True)
        _add_image(pdf, image, w, h)
        return
    with Image.open(io.BytesIO(data)) as im:
        for frame in ImageSequence.Iterator(im):
            _check_count(pdf, max_pages)
            flat = _flatten(frame)
            image = pypdfium2.PdfImage.new(pdf)
            bitmap = pypdfium2.PdfBitmap.from_pil(flat)
            image.set_bitmap(bitmap)
            _add_image(pdf, image, flat.width, flat.height)


# -- the certification page -------------------------------------------------------------------


class _Canvas:
    """Text, rules, boxes and a QR code on one page, with one embedded font subset per
    typeface. Text is shaped and measured by HarfBuzz (`signing.issuing.pdf_text`)."""

    def __init__(self, writer: BasePdfFileWriter, regular: Path, bold: Path) -> None:
        self._writer: Any = writer
        self._fonts: dict[str, pdf_text.ScaledGlyphAccumulator] = {
            "VR": pdf_text.ScaledGlyphAccumulator(writer, regular, 10),
            "VB": pdf_text.ScaledGlyphAccumulator(writer, bold, 10),
        }
        self._xobjects: dict[str, generic.PdfObject] = {}
        self._ops: list[bytes] = []

    def _engine(self, bold: bool, size: float) -> tuple[str, pdf_text.ScaledGlyphAccumulator]:
        name = "VB" if bold else "VR"
        engine = self._fonts[name]
        cast(Any, engine).font_size = size  # the shaper's own moves (Td) are in this size
        return name, engine

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        _, engine = self._engine(bold, size)
        return engine.advance(pdf_text.nfc(text)) * size

    def text(
        self, x: float, y: float, text: str, size: float, *, bold: bool = False, align: str = "left"
    ) -> None:
        """One line with its baseline at `y`, starting at `x` (or centred on it, or ending
        at it)."""
        text = pdf_text.nfc(text)
        name, engine = self._engine(bold, size)
        width = engine.advance(text) * size
        if align == "center":
            x -= width / 2
        elif align == "right":
            x -= width
        # No /ActualText span: each glyph maps to its letters through the font's ToUnicode
        # map (NFC: one glyph per Vietnamese letter), so readers see every glyph's own box.
        shaped = engine.shape(text, with_actual_text=False)
        self._ops.append(
            b"BT /%s %g Tf 1 0 0 1 %g %g Tm %s ET"
            % (name.encode(), size, x, y, shaped.graphics_ops)
        )

    def paragraph(
        self,
        text: str,
        left: float,
        right: float,
        top: float,
        size: float,
        *,
        leading: float | None = None,
        bold: bool = False,
        align: str = "left",
        max_lines: int = 8,
    ) -> float:
        """`text` wrapped between `left` and `right`, its first baseline at `top`; returns
        the baseline of the line that would come next. Lines beyond `max_lines` (a guard:
        the fields' lengths are bounded) end in an ellipsis rather than run into the next
        block."""
        leading = leading or round(size * 1.4, 1)

        def fits(line: str) -> bool:
            return self.width(line, size, bold=bold) <= right - left

        lines = pdf_text.wrap(text, fits)
        if len(lines) > max_lines:
            last = lines[max_lines - 1]
            while last and not fits(last + "…"):
                last = last[:-1].rstrip()
            lines = [*lines[: max_lines - 1], last + "…"]
        x = {"left": left, "center": (left + right) / 2, "right": right}[align]
        y = top
        for line in lines:
            self.text(x, y, line, size, bold=bold, align=align)
            y -= leading
        return y

    def rule(self, x1: float, y: float, x2: float) -> None:
        self._ops.append(b"q 0.6 w %g %g m %g %g l S Q" % (x1, y, x2, y))

    def frame(self, box: tuple[float, float, float, float]) -> None:
        """A light dashed frame: where a signature's stamp will be."""
        x1, y1, x2, y2 = box
        self._ops.append(b"q 0.6 G 0.5 w [3 2] 0 d %g %g %g %g re S Q" % (x1, y1, x2 - x1, y2 - y1))

    def qr(self, payload: str, x: float, y: float, size: float) -> int:
        """Draws the code (no quiet zone of its own) and returns its width in modules."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(payload)
        code.make(fit=True)
        image = code.make_image(image_factory=PdfStreamQRImage)
        natural = code.modules_count * code.box_size
        xobject: Any = init_xobject_dictionary(image.render_command_stream(), natural, natural)
        xobject.compress()
        self._xobjects["VaultQR"] = self._writer.add_object(xobject)
        scale = size / natural
        self._ops.append(b"q %g 0 0 %g %g %g cm /VaultQR Do Q" % (scale, scale, x, y))
        return int(code.modules_count)

    def finish(self, page_index: int) -> None:
        writer = self._writer
        resources = _pdf.DictionaryObject(
            {
                pdf_name("/Font"): _pdf.DictionaryObject(
                    {pdf_name("/" + n): e.as_resource() for n, e in self._fonts.items()}
                )
            }
        )
        if self._xobjects:
            resources[pdf_name("/XObject")] = _pdf.DictionaryObject(
                {pdf_name("/" + n): ref for n, ref in self._xobjects.items()}
            )
        stream = _pdf.StreamObject(stream_data=b"\n".join(self._ops))
        stream.compress()
        writer.add_stream_to_page(page_index, writer.add_object(stream), resources)


class LayoutOverflow(ValueError):
    """The certification text does not fit above the verification block (a programming
    error: the fields' lengths are bounded so that it always does)."""


def _header(canvas: _Canvas, text: CertificationText, top: float) -> float:
    """The office on the left, the national title and motto on the right (the layout of an
    administrative paper, Decree 30/2020/NĐ-CP), each underlined by a short rule; returns
    the lower rule's height."""
    size, leading = 10.5, 14.7
    title_width = max(
        canvas.width(NATIONAL_TITLE, size, bold=True), canvas.width(MOTTO, size, bold=True)
    )
    right_left = RIGHT - title_width - 8
    left_right = right_left - HEADER_GUTTER
    office_next = canvas.paragraph(
        text.office_name.upper(),
        LEFT,
        left_right,
        top,
        size,
        leading=leading,
        bold=True,
        align="center",
        max_lines=5,
    )
    office_rule = office_next + leading - RULE_BELOW_BASELINE
    middle = (LEFT + left_right) / 2
    canvas.rule(middle - 30, office_rule, middle + 30)
    centre = (right_left + RIGHT) / 2
    canvas.text(centre, top, NATIONAL_TITLE, size, bold=True, align="center")
    motto_y = top - leading
    canvas.text(centre, motto_y, MOTTO, size, bold=True, align="center")
    motto = canvas.width(MOTTO, size, bold=True)
    motto_rule = motto_y - RULE_BELOW_BASELINE
    canvas.rule(centre - motto / 2, motto_rule, centre + motto / 2)
    return min(office_rule, motto_rule)


def _signature_column(
    canvas: _Canvas,
    left: float,
    right: float,
    top: float,
    caption: str,
    hint: str,
    below: str,
    *,
    bold_below: bool,
) -> tuple[tuple[int, int, int, int], float]:
    y = canvas.paragraph(caption, left, right, top, 10.5, bold=True, align="center", max_lines=2)
    y = canvas.paragraph(hint, left, right, y + 2, 9, align="center", max_lines=2)
    box_top = math.floor(y + 4)
    box = (math.ceil(left), box_top - SIGNATURE_BOX_HEIGHT, math.floor(right), box_top)
    y = canvas.paragraph(
        below,
        left,
        right,
        box[1] - 15,
        NAME_SIZE,
        leading=NAME_LEADING,
        bold=bold_below,
        align="center",
        max_lines=3,
    )
    return box, y


def certification_page(
    body: CopyBody, text: CertificationText, regular_font: Path, bold_font: Path
) -> bytes:
    """The body with the certification page (lời chứng) appended, and the two empty signature
    fields on it: one PDF revision, ready for the officer's signature and then the seal.

    The page follows the form of the certification of a copy from the original (Decree
    23/2015/NĐ-CP; Circular 01/2020/TT-BTP): the office and the national motto, "LỜI
    CHỨNG", the certified sentence, number and book, date, what was certified, then the
    certifying officer's signature box with the name and the office seal's box; at the foot,
    the QR code and what a verifier needs. Every line is measured by the shaper and wrapped
    inside the margins."""
    typed_writer = copy_into_new_writer(PdfFileReader(io.BytesIO(body.pdf)))
    writer: Any = typed_writer
    width, height = A4
    page = _pdf.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): _pdf.ArrayObject(
                [_pdf.FloatObject(v) for v in (0, 0, width, height)]
            ),
            pdf_name("/Resources"): _pdf.DictionaryObject(),
            # An empty content stream: pyHanko adds to the page's streams, it needs one.
            pdf_name("/Contents"): writer.add_object(_pdf.StreamObject(stream_data=b"")),
        }
    )
    writer.insert_page(page)
    index = body.pages  # the new last page
    canvas = _Canvas(typed_writer, regular_font, bold_font)
    day = text.certified_on

    y = _header(canvas, text, height - MARGIN - 12) - 36
    y = canvas.paragraph("LỜI CHỨNG", LEFT, RIGHT, y, 15, bold=True, align="center") - 4
    y = canvas.paragraph(CERTIFIED_TEXT + ".", LEFT, RIGHT, y, 12, bold=True, align="center")
    number = f"Số chứng thực: {text.number_text}"
    book = f"Quyển số: {text.book}"
    gap = 24
    line = canvas.width(number, 11) + gap + canvas.width(book, 11)
    if line <= RIGHT - LEFT:
        start = (LEFT + RIGHT - line) / 2
        canvas.text(start, y, number, 11)
        canvas.text(RIGHT - (RIGHT - LEFT - line) / 2, y, book, 11, align="right")
        y -= 16
    else:
        y = canvas.paragraph(number, LEFT, RIGHT, y, 11, align="center")
        y = canvas.paragraph(book, LEFT, RIGHT, y, 11, align="center")
    date_text = f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    y = canvas.paragraph(date_text, LEFT, RIGHT, y, 11, align="center") - 10

    for detail, lines in (
        (f"Giấy tờ được chứng thực: {text.paper_type_name}", 4),
        (f"Tên giấy tờ: {text.title}", 7),
        (f"Bản sao gồm {text.pages} trang, không kể trang lời chứng này.", 1),
        (f"Cơ quan chứng thực: {text.office_name} (mã {text.office_code})", 4),
    ):
        y = canvas.paragraph(detail, LEFT, RIGHT, y, 10, leading=14, max_lines=lines)

    middle = (LEFT + RIGHT) / 2
    top = y - 14
    officer_box, officer_bottom = _signature_column(
        canvas,
        LEFT,
        middle - COLUMN_GUTTER / 2,
        top,
        "NGƯỜI THỰC HIỆN CHỨNG THỰC",
        "(Ký số, ghi rõ họ tên)",
        text.officer_name,
        bold_below=True,
    )
    seal_box, seal_bottom = _signature_column(
        canvas,
        middle + COLUMN_GUTTER / 2,
        RIGHT,
        top,
        "CƠ QUAN CHỨNG THỰC",
        "(Con dấu số của cơ quan)",
        text.office_name,
        bold_below=False,
    )
    qr_x, qr_y, qr_size = QR_BOX
    modules = canvas.qr(text.verification_url, qr_x, qr_y, qr_size)
    # The last line's descenders (a quarter of an em below the baseline) stay clear of the
    # QR code's quiet zone of four modules.
    lowest_ink = min(officer_bottom, seal_bottom) + NAME_LEADING - 0.25 * NAME_SIZE
    if lowest_ink < qr_y + qr_size + 4 * qr_size / modules:
        raise LayoutOverflow("the certification text runs into the verification block")
    for box in (officer_box, seal_box):
        canvas.frame(box)

    info_left = qr_x + qr_size + 24
    y = qr_y + qr_size - 9
    y = canvas.paragraph("Kiểm tra bản sao điện tử này tại:", info_left, RIGHT, y, 9, leading=12)
    y = canvas.paragraph(text.verification_url, info_left, RIGHT, y, 8, leading=11, max_lines=4)
    y = canvas.paragraph(
        f"Mã tra cứu: {text.verification_code}", info_left, RIGHT, y, 9, leading=12
    )
    y = canvas.paragraph("Mã băm SHA-256 của bản chụp:", info_left, RIGHT, y, 9, leading=12)
    canvas.paragraph(text.content_sha256, info_left, RIGHT, y, 8, leading=11, max_lines=2)
    canvas.finish(index)

    for name, box in ((OFFICER_FIELD, officer_box), (SEAL_FIELD, seal_box)):
        fields.append_signature_field(
            typed_writer,
            fields.SigFieldSpec(name, on_page=index, box=box),
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
