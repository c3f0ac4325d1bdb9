"""Reading a batch's pages: each page is a separator sheet, a blank page, a damaged page or
a page of content (OCR'd with the existing pipeline, `ocr.pipeline.recognise`).

Pages are read in worker processes (forkserver, one Tesseract thread each), in order, so the
caller can store them as they come and an interrupted batch resumes after the last stored
page. A page that cannot be decoded is reported as damaged, never raised: one bad page does
not stop the batch.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageFile, UnidentifiedImageError

from ocr.batches.model import PageKind, PageReading
from ocr.batches.sheets import TITLE_FOLDED, parse_sheet
from ocr.errors import OcrError
from ocr.folding import fold
from ocr.pipeline import OcrOptions, recognise
from vault.content import PDFIUM_LOCK
from vault.domain import MediaType

# A page with fewer dark pixels than this share (margins left out) is blank.
BLANK_INK_SHARE = 0.0015
# A batch is a day of scanning at most: more pages are refused at submission.
MAX_BATCH_PAGES = 2000
_DECODE_ERRORS = (OSError, EOFError, ValueError, SyntaxError, UnidentifiedImageError)


class ReadingStopped(Exception):
    """The caller's heartbeat said to stop while pages were being read."""


class PageDamaged(Exception):
    """The page cannot be decoded (a broken image stream, a truncated frame)."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    ocr: OcrOptions = field(default_factory=lambda: OcrOptions(searchable_pdf=False))
    render_dpi: int = 300  # PDF pages are rasterised at this resolution
    workers: int = 1


def page_count(data: bytes, media_type: MediaType) -> int:
    """How many pages the file has; raises PageDamaged when it cannot be opened at all."""
    if media_type is MediaType.PDF:
        with PDFIUM_LOCK:
            try:
                pdf = pypdfium2.PdfDocument(data)
            except pypdfium2.PdfiumError as exc:
                raise PageDamaged(f"the PDF cannot be opened: {exc}") from exc
            try:
                return len(pdf)
            finally:
                pdf.close()
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(getattr(image, "n_frames", 1))
    except _DECODE_ERRORS as exc:
        raise PageDamaged(f"the image cannot be opened: {exc}") from exc


class BatchSource:
    """The pages of one batch file, opened once per process."""

    def __init__(self, data: bytes, media_type: MediaType, render_dpi: int = 300) -> None:
        self.data = data
        self.media_type = media_type
        self.render_dpi = render_dpi
        self.pdf: pypdfium2.PdfDocument | None = None
        if media_type is MediaType.PDF:
            with PDFIUM_LOCK:
                self.pdf = pypdfium2.PdfDocument(data)

    def close(self) -> None:
        if self.pdf is not None:
            with PDFIUM_LOCK:
                self.pdf.close()
            self.pdf = None

    def image(self, number: int, dpi: int | None = None) -> tuple[Image.Image, int]:
        """Page `number` (from 1) in grey, and its resolution; PageDamaged if it is broken."""
        if self.pdf is not None:
            return self._render(number - 1, dpi or self.render_dpi)
        with Image.open(io.BytesIO(self.data)) as image:
            try:
                image.seek(number - 1)
                frame = image.convert("L")  # decodes: a truncated frame fails here
            except _DECODE_ERRORS as exc:
                raise PageDamaged(f"page {number} cannot be decoded: {exc}") from exc
            found = image.info.get("dpi")
            native = round(float(found[0])) if found else 300
        if dpi is not None and dpi < native:
            scale = dpi / native
            frame = frame.resize(
                (max(1, int(frame.width * scale)), max(1, int(frame.height * scale)))
            )
            native = dpi
        return frame, native

    def _render(self, index: int, dpi: int) -> tuple[Image.Image, int]:
        assert self.pdf is not None
        with PDFIUM_LOCK:
            page = self.pdf[index]
            try:
                native = _check_images(page, index + 1)
                if native is not None:
                    # A scanned page: its image's own resolution (up to `dpi`); rendering
                    # a 150 dpi scan at 300 dpi would only give the engine four times the
                    # pixels to read and nothing more to see.
                    dpi = max(100, min(dpi, native))
                bitmap = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=False)
                image = bitmap.to_pil().convert("L")
                bitmap.close()
            except pypdfium2.PdfiumError as exc:
                raise PageDamaged(f"page {index + 1} cannot be rendered: {exc}") from exc
            finally:
                page.close()
        return image, dpi


def _check_images(page: pypdfium2.PdfPage, number: int) -> int | None:
    """PDFium draws a broken image stream as grey or nothing without a word: decode each
    image of the page strictly (a JPEG with Pillow, anything else with PDFium). Returns the
    resolution of the page's scan when one image covers the page (None otherwise)."""
    width = page.get_width()
    native: int | None = None
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        assert isinstance(obj, pypdfium2.PdfImage)
        left, _, right, _ = obj.get_bounds()
        if width > 0 and right - left >= 0.9 * width:
            pixels, _ = obj.get_px_size()
            native = round(pixels / ((right - left) / 72))
        filters = obj.get_filters(skip_simple=True)
        try:
            if filters == ["DCTDecode"]:
                raw = bytes(obj.get_data(decode_simple=True))
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                with Image.open(io.BytesIO(raw)) as jpeg:
                    # Decoded at 1/8 scale (the DCT's own scaling): every entropy-coded
                    # segment is still read, so a cut or garbled stream still fails, at a
                    # fraction of the cost of a full decode (PDFium decodes it again anyway).
                    jpeg.draft("L", (max(1, jpeg.width // 8), max(1, jpeg.height // 8)))
                    jpeg.load()
            else:
                obj.get_bitmap(render=False).close()
        except (*_DECODE_ERRORS, pypdfium2.PdfiumError) as exc:
            raise PageDamaged(f"page {number}: an image of the page is broken ({exc})") from exc
    return native


def _is_blank(image: Image.Image) -> bool:
    small = image.reduce(4) if image.width > 1200 else image
    w, h = small.size
    inner = small.crop((w // 20, h // 20, w - w // 20, h - h // 20))
    histogram = inner.histogram()
    dark = sum(histogram[:160])
    return dark < BLANK_INK_SHARE * inner.width * inner.height


def _find_sheet(image: Image.Image, dpi: int) -> str | None:
    import zxingcpp

    factor = max(1, dpi // 150)
    small = image.reduce(factor) if factor > 1 else image
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    for barcode in zxingcpp.read_barcodes(small, formats=qr):
        if parse_sheet(barcode.text) is not None:
            return str(barcode.text)
    return None


_TITLE_WORDS = TITLE_FOLDED.split()
_SUBTITLE_WORDS = ["separator", "sheet"]


def _in_order(words: Sequence[str], phrase: Sequence[str], slack: int) -> bool:
    """`phrase` in `words`, word after word, with at most `slack` stray words between."""
    for start, word in enumerate(words):
        if word != phrase[0]:
            continue
        at, stray = 1, 0
        for other in words[start + 1 :]:
            if at == len(phrase) or stray > slack:
                break
            if other == phrase[at]:
                at += 1
            else:
                stray += 1
        if at == len(phrase) and stray <= slack:
            return True
    return False


def names_a_separator(text: str) -> bool:
    """Whether the words read off a page are a separator sheet's title or subtitle. The QR
    code's specks can be read as stray "words" on the title's row, in among its words, so
    a few strays between them still count."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return _in_order(words, _TITLE_WORDS, slack=4) or _in_order(words, _SUBTITLE_WORDS, 2)


def read_page(source: BatchSource, number: int, options: ReadOptions) -> PageReading:
    """Reads one page; never raises for a bad page (it comes back as damaged)."""
    started = time.perf_counter()
    try:
        image, dpi = source.image(number)
    except PageDamaged as exc:
        return PageReading(number, PageKind.DAMAGED, problem=str(exc)[:500])
    if _is_blank(image):
        return PageReading(number, PageKind.BLANK, seconds=time.perf_counter() - started)
    sheet = _find_sheet(image, dpi)
    if sheet is not None:
        return PageReading(
            number, PageKind.SEPARATOR, sheet=sheet, seconds=time.perf_counter() - started
        )
    buffer = io.BytesIO()
    image.save(buffer, "TIFF", dpi=(dpi, dpi))  # uncompressed: a copy, not a compression
    ocr_started = time.perf_counter()
    try:
        result = recognise(buffer.getvalue(), MediaType.TIFF, options=options.ocr)
    except OcrError as exc:
        return PageReading(number, PageKind.DAMAGED, problem=f"page {number}: {exc}"[:500])
    ocr_seconds = time.perf_counter() - ocr_started
    text = result.text
    if names_a_separator(text):
        # A separator whose code is unreadable (torn, smudged): still a separator.
        return PageReading(
            number,
            PageKind.SEPARATOR,
            problem="the separator sheet's QR code could not be read",
            seconds=time.perf_counter() - started,
        )
    return PageReading(
        number,
        PageKind.CONTENT,
        text=text,
        confidence=result.confidence,
        seconds=time.perf_counter() - started,
        ocr_seconds=ocr_seconds,
    )


_WORKER: tuple[BatchSource, ReadOptions] | None = None


def _worker_init(data: bytes, media_type: MediaType, options: ReadOptions) -> None:
    global _WORKER
    _WORKER = (BatchSource(data, media_type, options.render_dpi), options)


def _worker_read(number: int) -> PageReading:
    assert _WORKER is not None, "worker not initialised"
    source, options = _WORKER
    return read_page(source, number, options)


def _wait(
    future: Future[PageReading], deadline: float, heartbeat: Callable[[], bool] | None
) -> PageReading:
    """The page's reading; the heartbeat is called every few seconds meanwhile (a job keeps
    its lease behind a slow page), ReadingStopped when it says to stop."""
    waited = 0.0
    while True:
        try:
            return future.result(timeout=2.0)
        except FutureTimeout:
            waited += 2.0
            if waited >= deadline:
                raise
            if heartbeat is not None and not heartbeat():
                raise ReadingStopped from None


def read_pages(
    data: bytes,
    media_type: MediaType,
    numbers: Sequence[int],
    options: ReadOptions,
    heartbeat: Callable[[], bool] | None = None,
) -> Generator[PageReading, None, None]:
    """Each of `numbers` read, in order. With `options.workers` > 1, in that many processes,
    with a window of pages queued ahead: a slow page at the head must not leave the other
    workers idle (results are small: text), yet a long batch never queues all its pages."""
    if options.workers <= 1 or len(numbers) <= 1:
        source = BatchSource(data, media_type, options.render_dpi)
        try:
            for number in numbers:
                yield read_page(source, number, options)
        finally:
            source.close()
        return
    context = multiprocessing.get_context("forkserver")
    # The fork server imports this module once, and every worker forks with it (PDFium,
    # Pillow, the pipeline) loaded: a worker starts in milliseconds, not seconds. (Only
    # where the server is not running yet; `__main__` as by default.)
    context.set_forkserver_preload(["__main__", __name__])
    deadline = options.ocr.limits.page_timeout * 5 + 30
    with ProcessPoolExecutor(
        max_workers=options.workers,
        mp_context=context,
        initializer=_worker_init,
        initargs=(data, media_type, options),
    ) as pool:
        window = max(16, options.workers * 8)
        pending: list[Future[PageReading]] = []
        todo = iter(numbers)
        try:
            for number in todo:
                pending.append(pool.submit(_worker_read, number))
                if len(pending) >= window:
                    yield _wait(pending.pop(0), deadline, heartbeat)
            while pending:
                yield _wait(pending.pop(0), deadline, heartbeat)
        finally:
            for future in pending:
                future.cancel()
