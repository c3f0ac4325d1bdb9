"""Hostile and broken input: a clear `ocr.errors` error, quickly, never a crash or a hang."""

from __future__ import annotations

import io
import pickle
import struct
import time
import zlib
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from ocr.engine import TesseractEngine
from ocr.errors import (
    EngineFailure,
    InputTooLarge,
    OcrError,
    OcrTimeout,
    UnreadableInput,
    UnsupportedInput,
)
from ocr.pipeline import Limits, OcrOptions, recognise, recognise_file
from tests.ocr import corpus
from vault.domain import MediaType
from vault.errors import ContentTooLarge, UnreadableContent, UnsupportedMediaType


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels, with a few bytes of image data: what a
    decompression bomb looks like before anyone decodes it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def page_png(size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, "PNG")
    return out.getvalue()


def test_empty_bytes() -> None:
    with pytest.raises(UnreadableInput, match="empty"):
        recognise(b"")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"")
    with pytest.raises(UnreadableInput, match="empty"):
        recognise_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput):
        recognise_file(tmp_path / "nothing.png")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 100,  # a ZIP (or .docx)
        b"GIF89a" + b"\x00" * 100,
        "Giấy khai sinh, bản đánh máy".encode(),
        b"\x00" * 2048,
    ],
    ids=["zip", "gif", "text", "zeros"],
)
def test_wrong_type(data: bytes) -> None:
    with pytest.raises(UnsupportedInput):
        recognise(data)


def test_declared_type_must_match_the_bytes() -> None:
    with pytest.raises(UnsupportedInput, match="declared image/png"):
        recognise(corpus.image_pdf([corpus.clean(corpus.CERTIFIED_COPY)]), MediaType.PNG)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_truncated_image(fmt: str) -> None:
    image = corpus.typeset(corpus.CERTIFIED_COPY)
    out = io.BytesIO()
    image.save(out, fmt)
    data = out.getvalue()
    with pytest.raises(UnreadableInput):
        recognise(data[: len(data) // 2])


def test_truncated_pdf() -> None:
    pdf = corpus.image_pdf([corpus.clean(corpus.CERTIFIED_COPY)])
    with pytest.raises(UnreadableInput):
        recognise(pdf[: len(pdf) // 3])


def test_corrupt_pdf() -> None:
    with pytest.raises(UnreadableInput):
        recognise(b"%PDF-1.7\n" + b"this is not a PDF body\n" * 50)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    start = time.monotonic()
    with pytest.raises(InputTooLarge) as caught:
        recognise(png_header_only(40_000, 40_000))  # 1.6 Gpx, 1.6 GB as greys
    assert time.monotonic() - start < 2
    assert isinstance(caught.value, ContentTooLarge)


def test_pixel_limit_is_a_parameter() -> None:
    options = OcrOptions(limits=Limits(max_page_pixels=100_000))
    with pytest.raises(InputTooLarge, match="400x300"):
        recognise(page_png((400, 300)), options=options)


def test_too_many_frames_in_a_tiff() -> None:
    frames = [Image.new("L", (50, 50), 255) for _ in range(4)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(InputTooLarge, match="4 pages"):
        recognise(out.getvalue(), options=OcrOptions(limits=Limits(max_pages=3)))


def test_five_thousand_page_pdf() -> None:
    pdf = pypdfium2.PdfDocument.new()
    for _ in range(5000):
        pdf.new_page(595, 842).close()
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    start = time.monotonic()
    with pytest.raises(InputTooLarge, match="5000 pages") as caught:
        recognise(out.getvalue())
    assert time.monotonic() - start < 5
    assert caught.value.limit == Limits().max_pages


def test_huge_pdf_page_is_not_rendered_at_full_size() -> None:
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(14400, 14400).close()  # 200 x 200 inches, the largest PDF page
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    with pytest.raises(InputTooLarge, match="too large to render"):
        recognise(out.getvalue())


def test_blank_pdf_page_reads_as_empty() -> None:
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(595, 842).close()
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    result = recognise(out.getvalue())
    assert result.text == ""
    assert result.pages[0].confidence == 0.0


def test_engine_time_bound() -> None:
    sample = corpus.clean(corpus.BIRTH_CERTIFICATE)
    options = OcrOptions(limits=Limits(page_timeout=0.05))
    start = time.monotonic()
    with pytest.raises(OcrTimeout) as caught:
        recognise(sample.data, options=options)
    assert time.monotonic() - start < 5
    assert caught.value.seconds == 0.05


def test_missing_engine() -> None:
    engine = TesseractEngine(binary="/nonexistent/tesseract")
    with pytest.raises(EngineFailure):
        recognise(corpus.clean(corpus.CERTIFIED_COPY).data, engine=engine)


def test_errors_are_vault_errors() -> None:
    # The HTTP layer's one error table maps these without knowing about OCR.
    assert issubclass(UnsupportedInput, UnsupportedMediaType)
    assert issubclass(UnreadableInput, UnreadableContent)
    assert issubclass(InputTooLarge, ContentTooLarge)
    assert issubclass(OcrTimeout, OcrError)


@pytest.mark.parametrize(
    "error",
    [
        InputTooLarge("a page of 9x9 pixels", 80),
        OcrTimeout("too slow", 0.5),
        UnreadableInput("truncated"),
        EngineFailure("crashed"),
    ],
)
def test_errors_survive_the_trip_from_a_worker_process(error: OcrError) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is type(error)
    assert copy.detail == error.detail
    assert copy.__dict__ == error.__dict__


def test_time_bound_in_worker_processes() -> None:
    data = corpus.multipage_tiff([corpus.clean(corpus.CERTIFIED_COPY)] * 2)
    options = OcrOptions(workers=2, limits=Limits(page_timeout=0.05))
    with pytest.raises(OcrTimeout):
        recognise(data, options=options)
