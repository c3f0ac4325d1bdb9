"""Scanned batches for the import tests, the console test and bench/import: separator sheets
printed by the vault (then "scanned": rendered to images), papers from the OCR corpus, blank
pages, and damaged pages (a JPEG stream cut short inside the PDF)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2
from PIL import Image, ImageDraw

from ocr.batches.model import SheetFields
from ocr.batches.sheets import sheet_image
from tests.ocr import corpus

A4_150 = (1240, 1754)


@dataclass(frozen=True, slots=True)
class ScanPage:
    image: Image.Image | None  # None: damaged
    dpi: int = 150


def sheet_page(fields: SheetFields, label: str = "", *, unreadable: bool = False) -> ScanPage:
    image = sheet_image(fields, label or "separator")
    if unreadable:
        # A coffee stain over the code: the words still say what the sheet is.
        ImageDraw.Draw(image).rectangle((380, 360, 880, 880), fill=90)
    return ScanPage(image, 150)


def paper_page(document: corpus.Document, dpi: int = 150) -> ScanPage:
    page = corpus.typeset(document)  # 300 dpi
    if dpi != 300:
        page = corpus.rescale(page, dpi)
    return ScanPage(page, dpi)


def text_page(*lines: str, dpi: int = 150) -> ScanPage:
    return paper_page(corpus.Document("page", tuple(corpus.Line(x) for x in lines)), dpi)


def blank_page() -> ScanPage:
    image = Image.new("L", A4_150, 250)
    # Scanner dust: a few specks, not content.
    draw = ImageDraw.Draw(image)
    for x, y in ((200, 300), (900, 1500), (640, 80)):
        draw.point((x, y), fill=40)
    return ScanPage(image, 150)


def damaged_page() -> ScanPage:
    return ScanPage(None, 150)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("L").save(out, "JPEG", quality=85)
    return out.getvalue()


def scanned_pdf(pages: Sequence[ScanPage]) -> bytes:
    """A PDF as scanner software writes it: one JPEG per page, no text. A damaged page's
    JPEG is cut short (the scanner lost the end of the page)."""
    pdf = pypdfium2.PdfDocument.new()
    try:
        for page in pages:
            image = page.image if page.image is not None else Image.new("L", A4_150, 255)
            data = _jpeg(image)
            if page.image is None:
                # A real page, cut off a third of the way through.
                filled = corpus.typeset(corpus.BIRTH_CERTIFICATE).resize(A4_150)
                data = _jpeg(filled)
                data = data[: len(data) // 3]
            width = image.width / page.dpi * 72
            height = image.height / page.dpi * 72
            pdf_page = pdf.new_page(width, height)
            obj = pypdfium2.PdfImage.new(pdf)
            obj.load_jpeg(io.BytesIO(data), inline=False)
            obj.set_matrix(pypdfium2.PdfMatrix().scale(width, height))
            pdf_page.insert_obj(obj)
            pdf_page.gen_content()
            pdf_page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def scanned_tiff(pages: Sequence[ScanPage]) -> bytes:
    images = [p.image if p.image is not None else Image.new("L", A4_150, 255) for p in pages]
    out = io.BytesIO()
    images[0].save(
        out,
        "TIFF",
        save_all=True,
        append_images=images[1:],
        compression="tiff_deflate",
        dpi=(150, 150),
    )
    return out.getvalue()


def unknown_owner_sheet(paper_type: str | None = None) -> SheetFields:
    """A sheet naming an owner the vault does not have (printed elsewhere, or forged)."""
    return SheetFields("SFOREIGN" + uuid.uuid4().hex[:8].upper(), uuid.uuid4(), paper_type)
