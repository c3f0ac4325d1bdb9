"""The PDF of an electronic certified copy: the scanned pages on A4, then the certification
page (lời chứng) with the QR code and the two signature fields (officer, office seal).

Scans keep their pixels: a JPEG is embedded as it came (no re-encoding), other images
losslessly (Flate), each scaled onto an A4 page of its own orientation; pages of a PDF are
placed onto A4 as they are (vector). The certification page is written with pyHanko and an
embedded, subsetted Vietnamese-capable font (DejaVu Sans), so the text extracts as Unicode.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c
import qrcode
from PIL import Image, ImageSequence
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.qr import PdfStreamQRImage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import (
    BasePdfFileWriter,
    copy_into_new_writer,
    init_xobject_dictionary,
)
from pyhanko.sign import fields

from vault import content
from vault.content import PDFIUM_LOCK  # the process's one PDFium lock: PDFium is not thread-safe
from vault.domain import MediaType
from vault.errors import ContentTooLarge, InvalidInput, UnreadableContent

A4 = (595.28, 841.89)  # points
SCAN_MARGIN = 14  # keeps the scan clear of a printer's unprintable edge
OFFICER_FIELD = "NguoiThucHienChungThuc"
SEAL_FIELD = "ConDauCoQuan"
OFFICER_BOX = (60, 120, 290, 220)
SEAL_BOX = (305, 120, 535, 220)
# x, y, size in points. Nothing is drawn within four modules of it (the quiet zone a
# reader needs), and the tests read the code back from exactly here.
QR_BOX = (60, 280, 190)
CERTIFIED_TEXT = "Chứng thực bản sao đúng với bản chính"

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
    """Text and a QR code on one page, with one embedded font subset per typeface."""

    def __init__(self, writer: BasePdfFileWriter, regular: Path, bold: Path) -> None:
        self._writer: Any = writer
        self._fonts: dict[str, FontEngine] = {
            "VR": GlyphAccumulatorFactory(str(regular)).create_font_engine(writer),
            "VB": GlyphAccumulatorFactory(str(bold)).create_font_engine(writer),
        }
        self._xobjects: dict[str, generic.PdfObject] = {}
        self._ops: list[bytes] = []

    def _engine(self, bold: bool, size: int) -> tuple[str, FontEngine]:
        name = "VB" if bold else "VR"
        engine = self._fonts[name]
        engine.font_size = size  # the shaper's own line moves (Td) are in this size
        return name, engine

    def width(self, text: str, size: int, *, bold: bool = False) -> float:
        _, engine = self._engine(bold, size)
        return float(engine.shape(text).x_advance) * size

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: int = 11,
        *,
        bold: bool = False,
        align: str = "left",
    ) -> None:
        name, engine = self._engine(bold, size)
        shaped = engine.shape(text)
        if align == "center":
            x -= shaped.x_advance * size / 2
        self._ops.append(
            b"BT /%s %g Tf 1 0 0 1 %g %g Tm %s ET"
            % (name.encode(), size, x, y, shaped.graphics_ops)
        )

    def lines(
        self,
        x: float,
        top: float,
        lines: Sequence[str],
        size: int = 11,
        leading: float = 16,
        *,
        bold: bool = False,
    ) -> float:
        """Writes lines downwards from `top` (the first baseline); returns the next one."""
        y = top
        for line in lines:
            self.text(x, y, line, size, bold=bold)
            y -= leading
        return y

    def rule(self, x1: float, y: float, x2: float) -> None:
        self._ops.append(b"q 0.5 w %g %g m %g %g l S Q" % (x1, y, x2, y))

    def qr(self, payload: str, x: float, y: float, size: float) -> None:
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


def _wrap(text: str, limit: int) -> list[str]:
    """Hard wrap at `limit` characters (for URLs and hashes, which have no spaces)."""
    return [text[i : i + limit] for i in range(0, len(text), limit)] or [""]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def certification_page(
    body: CopyBody, text: CertificationText, regular_font: Path, bold_font: Path
) -> bytes:
    """The body with the certification page appended, and the two empty signature fields
    on it: one PDF revision, ready for the officer's signature and then the seal."""
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

    office = text.office_name.upper()
    canvas.text(160, 790, _short(office, 40), 10, bold=True, align="center")
    canvas.rule(120, 783, 200)
    canvas.text(410, 790, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10, bold=True, align="center")
    canvas.text(410, 776, "Độc lập - Tự do - Hạnh phúc", 10, bold=True, align="center")
    canvas.rule(350, 769, 470)
    day = text.certified_on
    canvas.text(
        410, 745, f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", 10, align="center"
    )

    canvas.text(
        width / 2, 690, "LỜI CHỨNG CHỨNG THỰC BẢN SAO TỪ BẢN CHÍNH", 13, bold=True, align="center"
    )
    canvas.text(width / 2, 660, CERTIFIED_TEXT + ".", 12, bold=True, align="center")
    canvas.lines(
        60,
        625,
        [
            f"Loại giấy tờ: {_short(text.paper_type_name, 60)}",
            f"Tên giấy tờ: {_short(text.title, 62)}",
            f"Bản sao gồm {text.pages} trang, không kể trang lời chứng này.",
            f"Số chứng thực: {text.number_text}",
            f"Quyển số: {text.book}",
            f"Ngày chứng thực: {day.day:02d}/{day.month:02d}/{day.year}",
            f"Cơ quan chứng thực: {_short(text.office_name, 50)} (mã {text.office_code})",
            f"Người thực hiện chứng thực: {_short(text.officer_name, 45)}",
        ],
    )

    qr_x, qr_y, qr_size = QR_BOX
    canvas.qr(text.verification_url, qr_x, qr_y, qr_size)
    info_x = qr_x + qr_size + 24
    canvas.lines(
        info_x,
        qr_y + qr_size - 10,
        [
            "Kiểm tra bản sao điện tử này tại:",
            *_wrap(text.verification_url, 52),
            f"Mã tra cứu: {text.verification_code}",
            "Mã băm SHA-256 của bản chụp:",
            *_wrap(text.content_sha256, 32),
        ],
        size=9,
        leading=13,
    )

    ox1, _, ox2, top = OFFICER_BOX
    sx1, _, sx2, _ = SEAL_BOX
    canvas.text(
        (ox1 + ox2) / 2, top + 12, "NGƯỜI THỰC HIỆN CHỨNG THỰC", 10, bold=True, align="center"
    )
    canvas.text((sx1 + sx2) / 2, top + 12, "CON DẤU SỐ CỦA CƠ QUAN", 10, bold=True, align="center")
    canvas.finish(index)

    for name, box in ((OFFICER_FIELD, OFFICER_BOX), (SEAL_FIELD, SEAL_BOX)):
        fields.append_signature_field(
            typed_writer, fields.SigFieldSpec(name, on_page=index, box=box)
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
