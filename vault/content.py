"""What an upload really is: sniffed from its bytes, then opened to check it is sound.

The client's Content-Type is never trusted. A file is one thing only: nothing but whitespace
may come before a PDF's `%PDF-` header (an HTML page with a PDF after it is refused), an image
starts with its signature, and nothing may follow a PNG's IEND chunk or a JPEG's EOI marker
(a polyglot: another file riding on the image). Images are opened far enough to read every
frame's size (a decompression bomb is refused before any pixel is decoded); PDFs are opened
with PDFium and their page count checked, then every stream is looked at with qpdf (pikepdf):
an image XObject over the pixel limit, or a compressed stream that would decode to more than
the memory limit, is refused (413) before any reader (OCR, signing, the verifier) meets it.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, UnidentifiedImageError

from vault.domain import MediaType
from vault.errors import ContentTooLarge, UnreadableContent, UnsupportedMediaType

log = logging.getLogger("vault.content")

SNIFF_BYTES = 1024
# PDF whitespace (ISO 32000-1, 7.2.2): the only bytes allowed before the header.
PDF_WHITESPACE = b"\x00\t\n\x0c\r "
# A decoded pixel takes at most 4 bytes (CMYK, 8 bits) before any reader converts it.
BYTES_PER_PIXEL = 4
# Compressed streams larger than this are not decompressed to measure them (that would hold
# them in memory): their images' declared sizes are still checked.
MAX_MEASURED_STREAM = 32 * 1024 * 1024
_CHUNK = 1024 * 1024
# PDFium is not thread-safe: one document operation at a time per process.
PDFIUM_LOCK = threading.Lock()  # shared by every PDFium user in the process (ocr, signing)


@dataclass(frozen=True, slots=True)
class ContentLimits:
    max_image_pixels: int
    max_pdf_pages: int

    @property
    def max_decoded_bytes(self) -> int:
        """The most one decoded stream (an image's pixels, a page's content) may take."""
        return self.max_image_pixels * BYTES_PER_PIXEL


def sniff(head: bytes) -> MediaType:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return MediaType.TIFF
    header = head.find(b"%PDF-", 0, SNIFF_BYTES)
    if header >= 0:
        # Readers tolerate junk before the header; a file that is an HTML page (or anything
        # else) first and a PDF after is two files in one, and is refused.
        if head[:header].strip(PDF_WHITESPACE):
            log.warning("refused an upload: %d bytes of other content before %%PDF-", header)
            raise UnsupportedMediaType(
                f"the file has {header} bytes that are not whitespace before its %PDF- header: "
                "a PDF must start with its header (is it another kind of file with a PDF "
                "appended?)"
            )
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
    head = source.read(8)
    if head.startswith(b"\x89PNG"):
        _refuse_trailing(source, "PNG", "IEND chunk", _png_end(source))
    elif head.startswith(b"\xff\xd8"):
        _refuse_trailing(source, "JPEG", "EOI marker", _jpeg_end(source))
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
    inspect_pdf_streams(source, limits)
    return ContentInfo(pages=pages, has_signature=signatures > 0)


def inspect_pdf_streams(source: BinaryIO, limits: ContentLimits) -> None:
    """Every stream, as qpdf finds them (xref rebuilt if need be): image XObjects by their
    declared size, Flate streams by what they really decode to (measured with a cap)."""
    source.seek(0)
    try:
        # A well-formed file is read through its cross-reference table, in no time; only a
        # damaged one (or one with bytes after its end) has qpdf scan it all to rebuild the
        # table, as PDFium did (about 15 s for 200 MB).
        pdf = pikepdf.open(source, attempt_recovery=False)
    except pikepdf.PdfError:
        source.seek(0)
        try:
            pdf = pikepdf.open(source)
        except pikepdf.PdfError as exc:
            raise UnreadableContent(f"PDF cannot be parsed: {exc}") from exc
    with pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            where = f"object {obj.objgen[0]}"
            if obj.get("/Subtype") == pikepdf.Name.Image:
                _check_image_xobject(obj, where, limits)
            _check_decoded_size(obj, where, limits)


def _integer(stream: pikepdf.Stream, key: str) -> int | None:
    value = stream.get(key)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _check_image_xobject(stream: pikepdf.Stream, where: str, limits: ContentLimits) -> None:
    width, height = _integer(stream, "/Width") or 0, _integer(stream, "/Height") or 0
    if width * height > limits.max_image_pixels:
        raise ContentTooLarge(
            f"the PDF's image ({where}) of {width}x{height} pixels is over the limit of "
            f"{limits.max_image_pixels} pixels (decompression bomb?)",
            limits.max_image_pixels,
        )


def _filters(stream: pikepdf.Stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(v) for v in value]
    return [str(value)]


def _check_decoded_size(stream: pikepdf.Stream, where: str, limits: ContentLimits) -> None:
    filters = _filters(stream)
    if not filters or filters[0] != "/FlateDecode":
        return
    declared = _integer(stream, "/Length")
    if declared is None or declared > MAX_MEASURED_STREAM:
        return
    limit = limits.max_decoded_bytes
    inflater = zlib.decompressobj()
    pending = stream.read_raw_bytes()
    decoded = 0
    try:
        while pending:
            # At most a chunk of output at a time: a bomb never lands in memory whole.
            decoded += len(inflater.decompress(pending, _CHUNK))
            if decoded > limit:
                raise ContentTooLarge(
                    f"the PDF's stream ({where}) decompresses to more than {limit} bytes, "
                    "the memory limit (a deflate bomb?)",
                    limit,
                )
            pending = inflater.unconsumed_tail
    except zlib.error:
        return  # a broken stream: readers skip it; its size is not the question here


def _refuse_trailing(source: BinaryIO, kind: str, marker: str, end: int | None) -> None:
    """`end` is where the image's data ends (None when its structure cannot be walked:
    Pillow's own checks judge it then)."""
    if end is None:
        return
    extra = source.seek(0, os.SEEK_END) - end
    if extra > 0:
        log.warning("refused an upload: %d bytes after the %s %s", extra, kind, marker)
        raise UnsupportedMediaType(
            f"the {kind} file has {extra} bytes after its {marker}, where an image ends: "
            "data hidden after an image (another file appended?) is not accepted"
        )


def _png_end(source: BinaryIO) -> int | None:
    """The offset just after the IEND chunk, walking the chunks by their lengths."""
    source.seek(8)
    while True:
        header = source.read(8)
        if len(header) < 8:
            return None
        length = int.from_bytes(header[:4], "big")
        source.seek(length + 4, os.SEEK_CUR)  # the data, then the CRC
        if header[4:8] == b"IEND":
            return source.tell()


def _jpeg_end(source: BinaryIO) -> int | None:
    """The offset just after the EOI marker: segments are walked by their lengths, the
    entropy-coded data after each SOS scanned for the next marker."""
    source.seek(2)
    while True:
        marker = source.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        kind = marker[1]
        if kind == 0xD9:  # EOI
            return source.tell()
        if kind == 0xFF:  # fill byte
            source.seek(-1, os.SEEK_CUR)
            continue
        if 0xD0 <= kind <= 0xD7 or kind == 0x01:  # no length
            continue
        length_bytes = source.read(2)
        if len(length_bytes) < 2:
            return None
        source.seek(int.from_bytes(length_bytes, "big") - 2, os.SEEK_CUR)
        if kind == 0xDA and not _skip_entropy_data(source):  # SOS
            return None


def _skip_entropy_data(source: BinaryIO) -> bool:
    """Leaves `source` at the next marker after entropy-coded data; False at end of file.
    In that data 0xFF is followed by 0x00 (a stuffed byte) or a restart marker only."""
    carry = b""
    while True:
        start = source.tell() - len(carry)
        block = carry + source.read(_CHUNK)
        if len(block) <= len(carry):
            return False
        at = 0
        while True:
            at = block.find(b"\xff", at)
            if at < 0 or at + 1 >= len(block):
                break
            follower = block[at + 1]
            if follower == 0x00 or 0xD0 <= follower <= 0xD7 or follower == 0xFF:
                at += 1
                continue
            source.seek(start + at)
            return True
        carry = block[-1:] if block.endswith(b"\xff") else b""
