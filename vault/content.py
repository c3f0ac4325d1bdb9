"""What an upload really is: sniffed from its bytes, then opened to check it is sound.

The client's Content-Type is never trusted. Images are opened far enough to read every frame's
size (a decompression bomb is refused before any pixel is decoded); PDFs are opened with PDFium
and their page count checked.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, UnidentifiedImageError

from vault.domain import MediaType
from vault.errors import ContentTooLarge, UnreadableContent, UnsupportedMediaType

SNIFF_BYTES = 1024
# PDFium is not thread-safe: one document operation at a time per process.
PDFIUM_LOCK = threading.Lock()  # shared by every PDFium user in the process (ocr, signing)


@dataclass(frozen=True, slots=True)
class ContentLimits:
    max_image_pixels: int
    max_pdf_pages: int


def sniff(head: bytes) -> MediaType:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return MediaType.TIFF
    # The PDF header may follow a little junk (ISO 32000-1, 7.5.2 tolerance in readers).
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return MediaType.PDF
    raise UnsupportedMediaType("only PDF, JPEG, PNG and TIFF files are accepted")


@dataclass(frozen=True, slots=True)
class ContentInfo:
    pages: int
    has_signature: bool  # a PDF with signature fields; validating them is signing's job


def inspect(source: BinaryIO, media_type: MediaType, limits: ContentLimits) -> ContentInfo:
    """Raises UnreadableContent or ContentTooLarge; leaves `source` at position 0."""
    try:
        if media_type is MediaType.PDF:
            return _inspect_pdf(source, limits)
        return _inspect_image(source, limits)
    finally:
        source.seek(0)


def _inspect_image(source: BinaryIO, limits: ContentLimits) -> ContentInfo:
    source.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > limits.max_pdf_pages:
                    raise ContentTooLarge(
                        f"image has {frames} frames; at most {limits.max_pdf_pages} are accepted",
                        limits.max_pdf_pages,
                    )
                for frame in range(frames):
                    image.seek(frame)
                    width, height = image.size
                    if width <= 0 or height <= 0:
                        raise UnreadableContent("image has no pixels")
                    if width * height > limits.max_image_pixels:
                        raise ContentTooLarge(
                            f"image of {width}x{height} pixels is over the limit of "
                            f"{limits.max_image_pixels} pixels (decompression bomb?)",
                            limits.max_image_pixels,
                        )
                source.seek(0)
            # verify() walks the data (CRCs for PNG, structure for others) without decoding
            # pixels; it needs a freshly opened image.
            with Image.open(source) as image:
                image.verify()
            return ContentInfo(pages=frames, has_signature=False)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ContentTooLarge("image is a decompression bomb", limits.max_image_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableContent(f"image is corrupt or truncated: {exc}") from exc


def _inspect_pdf(source: BinaryIO, limits: ContentLimits) -> ContentInfo:
    source.seek(0)
    with PDFIUM_LOCK:
        try:
            pdf = pypdfium2.PdfDocument(source, autoclose=False)
        except pypdfium2.PdfiumError as exc:
            raise UnreadableContent(f"PDF cannot be opened: {exc}") from exc
        try:
            pages = len(pdf)
            signatures = pdfium_c.FPDF_GetSignatureCount(pdf.raw)
        finally:
            pdf.close()
    if pages == 0:
        raise UnreadableContent("PDF has no pages")
    if pages > limits.max_pdf_pages:
        raise ContentTooLarge(
            f"PDF has {pages} pages; at most {limits.max_pdf_pages} are accepted",
            limits.max_pdf_pages,
        )
    return ContentInfo(pages=pages, has_signature=signatures > 0)
