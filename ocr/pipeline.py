"""From a file to text, per-page confidence and a searchable PDF.

    result = recognise_file(Path("scan.pdf"))
    print(result.render_text())

Input is PDF, JPEG, PNG or TIFF (multi-page too), decided from the bytes. A PDF page that has
a text layer is read from it with PDFium; any other page is rasterised at 300 dpi (PDF) or
taken as is (images), preprocessed (`ocr.preprocess`) and read by the engine (`ocr.engine`).

The original is never modified: everything works on an in-memory copy, and the searchable PDF
is a new file (the original page images, or the original PDF pages, under an invisible text
layer). A signed PDF keeps every byte; its searchable copy is a derived file, not a substitute.

Hostile input gets an `ocr.errors` error, never a crash or a hang: sizes are checked before
decoding (bytes, pages, pixels per page), every engine call has a time bound, and pages in
worker processes have one too.

Parallelism is by processes (`OcrOptions.workers`): Tesseract runs one thread per process,
Pillow work holds the GIL, and PDFium is not thread-safe.
"""

from __future__ import annotations

import io
import multiprocessing
import warnings
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.classify import Classification, classify
from ocr.engine import OcrEngine, Recognition, TesseractEngine, Word, limit_engine_threads
from ocr.errors import (
    EngineFailure,
    InputTooLarge,
    OcrError,
    OcrTimeout,
    UnreadableInput,
    UnsupportedInput,
)
from ocr.photo import find_page, rectify
from ocr.preprocess import Prepared, Steps, prepare

# PDFium is not thread-safe, not even across documents: every PDFium call in this process
# goes through one lock, the one the vault takes for its own PDF checks.
from vault.content import PDFIUM_LOCK, sniff
from vault.domain import MediaType
from vault.errors import UnsupportedMediaType

MIB = 1024 * 1024
_PILLOW_FORMATS = {MediaType.JPEG: "JPEG", MediaType.PNG: "PNG", MediaType.TIFF: "TIFF"}


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 256 * MIB
    max_pages: int = 500
    # Per page, checked from the header before any pixel is decoded: A4 at 600 dpi is 35 Mpx.
    max_page_pixels: int = 60_000_000
    page_timeout: float = 60.0  # seconds, per engine call (Tesseract is killed after it)


@dataclass(frozen=True, slots=True)
class OcrOptions:
    limits: Limits = field(default_factory=Limits)
    steps: Steps = field(default_factory=Steps)
    pdf_dpi: int = 300  # rasterisation of scanned PDF pages
    searchable_pdf: bool = True
    workers: int = 1  # processes; 1 runs in this process
    # A page read with a mean confidence under this may be upside down: ask the engine's
    # orientation detection (it costs as much as reading a clean page, so not on every page).
    orientation_gate: float = 0.75
    min_orientation_confidence: float = 1.5
    # A PDF page with at least this many characters of text is read from its text layer; a
    # page with fewer, under a large image, is a scan with a caption (a signature label).
    text_layer_min_chars: int = 200


class PageSource(StrEnum):
    TEXT_LAYER = "text_layer"  # the PDF's own text, not OCR
    OCR = "ocr"


@dataclass(frozen=True, slots=True)
class PageResult:
    number: int  # from 1
    text: str
    confidence: float  # 0..1; 1.0 for a text layer
    source: PageSource
    words: tuple[Word, ...] = field(default=(), repr=False)  # boxes in the engine's pixels
    rotation: int = 0  # degrees the page was turned clockwise to read it
    skew: float = 0.0  # degrees it was then straightened counter-clockwise
    dpi: int = 0  # of the image the engine read
    steps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OcrResult:
    media_type: MediaType
    pages: tuple[PageResult, ...]
    # A new file, derived from the original; None when no page needed OCR (the original is
    # searchable as it is).
    searchable_pdf: bytes | None = field(repr=False)

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)

    @property
    def confidence(self) -> float:
        """Mean page confidence, pages weighted by their length."""
        weights = [max(1, len(page.text)) for page in self.pages]
        total = sum(w * page.confidence for w, page in zip(weights, self.pages, strict=True))
        return total / sum(weights) if self.pages else 0.0

    @property
    def word_confidences(self) -> tuple[float, ...]:
        """The engine's confidence in each whitespace-separated word of `text`, in order (1.0
        for a text layer; the page's mean where its words and text do not line up)."""
        out: list[float] = []
        for page in self.pages:
            count = len(page.text.split())
            if page.source is PageSource.TEXT_LAYER:
                out.extend([1.0] * count)
            elif len(page.words) == count:
                out.extend(w.confidence for w in page.words)
            else:
                out.extend([page.confidence] * count)
        return tuple(out)

    def classification(self) -> Classification:
        """Suggested paper type, certified-copy marker and key fields (`ocr.classify`), each
        field as sure as the least sure word it was read from."""
        return classify(self.text, self.confidence, self.word_confidences)

    def render_text(self) -> str:
        """Plain text for a terminal: a header line per page, then its text."""
        parts = []
        for page in self.pages:
            how = "text layer" if page.source is PageSource.TEXT_LAYER else "OCR"
            header = (
                f"--- page {page.number}/{len(self.pages)} ({how}, "
                f"confidence {page.confidence:.0%}) ---"
            )
            parts.append(f"{header}\n{page.text}".rstrip())
        return "\n\n".join(parts) + "\n"


def recognise_file(
    path: Path,
    media_type: MediaType | str | None = None,
    *,
    options: OcrOptions | None = None,
    engine: OcrEngine | None = None,
) -> OcrResult:
    """OCR a file on disk (read once, never written). The `vault ocr FILE...` entry point."""
    opts = options or OcrOptions()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableInput(f"{path} cannot be read: {exc.strerror}") from exc
    if size > opts.limits.max_bytes:
        raise InputTooLarge(
            f"{size} bytes; at most {opts.limits.max_bytes} are accepted", opts.limits.max_bytes
        )
    return recognise(path.read_bytes(), media_type, options=opts, engine=engine)


def recognise(
    data: bytes,
    media_type: MediaType | str | None = None,
    *,
    options: OcrOptions | None = None,
    engine: OcrEngine | None = None,
) -> OcrResult:
    """OCR the bytes of a PDF, JPEG, PNG or TIFF. `media_type`, when given, must agree with
    what the bytes are."""
    opts = options or OcrOptions()
    kind = _media_type(data, media_type, opts.limits)
    ocr_engine = engine or TesseractEngine(timeout=opts.limits.page_timeout)
    source = _Source(data, kind, opts)  # checks page count and pixel sizes before decoding
    composer: _Composer | None = None
    read: Generator[tuple[_Outcome, _Raster | None]] | None = None
    try:
        texts = {i: text for i in range(source.page_count) if (text := source.text_layer(i))}
        todo = [i for i in range(source.page_count) if i not in texts]
        if opts.searchable_pdf and todo:
            composer = _Composer(source)
        read = _run_pages(source, opts, ocr_engine, todo)
        pages: list[PageResult] = []
        for i in range(source.page_count):
            # Pages come back in order; the searchable PDF grows page by page, so a long
            # file never holds more than one page image at a time.
            outcome, raster = (None, None) if i in texts else next(read)
            if outcome is None:
                pages.append(PageResult(i + 1, texts[i], 1.0, PageSource.TEXT_LAYER))
            else:
                pages.append(outcome.page)
            if composer is not None:
                composer.add(i, outcome, raster)
        searchable = composer.finish() if composer is not None else None
    finally:
        if read is not None:
            read.close()  # on an early exit, stops any worker processes
        if composer is not None:
            composer.close()
        source.close()
    return OcrResult(kind, tuple(pages), searchable)


# -- input --------------------------------------------------------------------------------


def _media_type(data: bytes, declared: MediaType | str | None, limits: Limits) -> MediaType:
    if not data:
        raise UnreadableInput("the file is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise InputTooLarge(
            f"{len(data)} bytes; at most {limits.max_bytes} are accepted", limits.max_bytes
        )
    try:
        actual = sniff(data[:1024])
    except UnsupportedMediaType as exc:
        raise UnsupportedInput(exc.detail) from exc
    if declared is not None and MediaType(declared) is not actual:
        raise UnsupportedInput(f"declared {declared} but the content is {actual.value}")
    return actual


@dataclass(frozen=True, slots=True)
class _Raster:
    image: Image.Image
    dpi: int
    photo: bool = False  # an image file: may be a phone photo (a PDF page is shown as is)


class _Source:
    """The pages of one input, opened from an in-memory copy. Open one per process."""

    def __init__(self, data: bytes, kind: MediaType, options: OcrOptions) -> None:
        self.data = data
        self.kind = kind
        self.options = options
        self.pdf: pypdfium2.PdfDocument | None = None
        limits = options.limits
        if kind is MediaType.PDF:
            with PDFIUM_LOCK:
                try:
                    self.pdf = pypdfium2.PdfDocument(data)
                except pypdfium2.PdfiumError as exc:
                    raise UnreadableInput(f"the PDF cannot be opened: {exc}") from exc
                self.page_count = len(self.pdf)
        else:
            self.page_count = self._check_image(limits)
        if self.page_count == 0:
            self.close()
            raise UnreadableInput("the file has no pages")
        if self.page_count > limits.max_pages:
            self.close()
            raise InputTooLarge(
                f"{self.page_count} pages; at most {limits.max_pages} are accepted",
                limits.max_pages,
            )

    def close(self) -> None:
        if self.pdf is not None:
            with PDFIUM_LOCK:
                self.pdf.close()
            self.pdf = None

    def _check_image(self, limits: Limits) -> int:
        """Frame count and every frame's size from the headers; nothing is decoded."""
        with self._open_image() as image:
            frames: int = getattr(image, "n_frames", 1)
            if frames > limits.max_pages:
                raise InputTooLarge(
                    f"{frames} pages; at most {limits.max_pages} are accepted", limits.max_pages
                )
            for frame in range(frames):
                try:
                    image.seek(frame)
                except (OSError, EOFError, ValueError) as exc:
                    raise UnreadableInput(f"page {frame + 1} cannot be read: {exc}") from exc
                self._check_pixels(*image.size)
            return frames

    def _check_pixels(self, width: int, height: int) -> None:
        limit = self.options.limits.max_page_pixels
        if width <= 0 or height <= 0:
            raise UnreadableInput("a page has no pixels")
        if width * height > limit:
            raise InputTooLarge(
                f"a page of {width}x{height} pixels is over the limit of {limit} "
                "(decompression bomb?)",
                limit,
            )

    def _open_image(self) -> Image.Image:
        try:
            with warnings.catch_warnings():
                # Pillow's own bomb check warns between its limit and twice it: make it final.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(self.data), formats=[_PILLOW_FORMATS[self.kind]])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            limit = self.options.limits.max_page_pixels
            raise InputTooLarge(f"decompression bomb: {exc}", limit) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise UnreadableInput(f"the image cannot be read: {exc}") from exc
        return image

    def text_layer(self, index: int) -> str | None:
        """The page's own text when it has a real text layer (see `text_layer_min_chars`)."""
        if self.pdf is None:
            return None
        with PDFIUM_LOCK:
            try:
                return self._text_layer(self.pdf, index)
            except pypdfium2.PdfiumError as exc:
                raise UnreadableInput(f"page {index + 1} cannot be read: {exc}") from exc

    def _text_layer(self, pdf: pypdfium2.PdfDocument, index: int) -> str | None:
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            text: str = textpage.get_text_range().replace("\r\n", "\n").strip()
            textpage.close()
            if not text:
                return None
            if len("".join(text.split())) >= self.options.text_layer_min_chars:
                return text
            return None if _image_coverage(page) >= 0.5 else text
        finally:
            page.close()

    def raster(self, index: int) -> _Raster:
        if self.pdf is not None:
            return self._render_pdf_page(index)
        with self._open_image() as image:
            try:
                image.seek(index)
                frame = image.copy()  # decodes: a truncated file fails here
            except (OSError, EOFError, ValueError, SyntaxError) as exc:
                raise UnreadableInput(f"page {index + 1} cannot be decoded: {exc}") from exc
            dpi = _image_dpi(image)
        return _Raster(frame, dpi, photo=True)

    def _render_pdf_page(self, index: int) -> _Raster:
        assert self.pdf is not None
        with PDFIUM_LOCK:
            page = self.pdf[index]
            return self._render(page, index)

    def _render(self, page: pypdfium2.PdfPage, index: int) -> _Raster:
        try:
            width, height = page.get_size()  # as displayed (/Rotate applied)
            dpi = self.options.pdf_dpi
            pixels = width * height * (dpi / 72) ** 2
            limit = self.options.limits.max_page_pixels
            if pixels > limit:
                # A huge page box: render coarser rather than allocate gigabytes.
                dpi = int(dpi * (limit / pixels) ** 0.5)
                if dpi < 72:
                    raise InputTooLarge(
                        f"page {index + 1} is {width:.0f}x{height:.0f} pt: too large to render",
                        limit,
                    )
            bitmap = page.render(scale=dpi / 72, may_draw_forms=False)
            image = bitmap.to_pil().convert("RGB")
            bitmap.close()
        except pypdfium2.PdfiumError as exc:
            raise UnreadableInput(f"page {index + 1} cannot be rendered: {exc}") from exc
        finally:
            page.close()
        return _Raster(image, dpi)


def _image_dpi(image: Image.Image) -> int:
    """The scan resolution from the file, or a guess from the page size (an A4 or A5 page:
    its short side is ~8.27 or ~5.83 inches), clamped to what scanners produce."""
    dpi = image.info.get("dpi")
    if isinstance(dpi, tuple) and dpi and 50 <= float(dpi[0]) <= 2400:
        return round(float(dpi[0]))
    guess = min(image.size) / 8.27
    return 300 if guess > 300 else max(100, round(guess))


def _image_coverage(page: pypdfium2.PdfPage) -> float:
    """Share of the page area covered by its largest image."""
    width, height = page.get_size()
    best = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        best = max(best, (right - left) * (top - bottom) / max(1.0, width * height))
    return best


# -- pages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcome:
    page: PageResult
    text_layer_pdf: bytes | None = field(repr=False)  # covers `box` of the prepared page
    box: tuple[int, int, int, int]  # what the engine read, within the prepared page (px)
    size: tuple[int, int]  # the prepared page (px): upright, straightened
    # A phone photo's page, found and flattened: the searchable PDF shows it, not the desk.
    shown: _Raster | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class _Reading:
    prepared: Prepared
    rotation: int  # clockwise degrees from the raster to `prepared`
    recognition: Recognition


def _read_page(raster: _Raster, number: int, engine: OcrEngine, options: OcrOptions) -> _Outcome:
    """Preprocess and read one page, turning it when it is on its side or upside down."""
    steps = options.steps
    layer = options.searchable_pdf
    shown = _photographed_page(raster) if steps.photo and raster.photo else None
    source = shown or raster
    prepared = prepare(source.image, source.dpi, steps)
    if shown is not None:
        prepared = replace(prepared, steps=("photo page", *prepared.steps))
    rotation = 0
    as_it_came = prepared
    if prepared.sideways:
        rotation = _quarter_turn(prepared, engine, options)
        prepared = prepared.turned(rotation, steps)
    best = _Reading(
        prepared, rotation, engine.recognise(prepared.image, dpi=prepared.dpi, text_layer=layer)
    )
    if rotation and best.recognition.confidence < options.orientation_gate:
        # "Sideways" is a guess from the page's shapes, and a black band or a QR code can
        # mislead it: read the page as it came too, and keep what reads better.
        reading = engine.recognise(as_it_came.image, dpi=as_it_came.dpi, text_layer=layer)
        if reading.confidence > best.recognition.confidence:
            best = _Reading(as_it_came, 0, reading)
            prepared, rotation = as_it_came, 0
    if best.recognition.words and best.recognition.confidence < options.orientation_gate:
        # Upside down reads as garbage with low confidence. Ask OSD; without an answer from
        # it (sparse pages), try the other way up and keep what reads better.
        candidates: tuple[int, ...] = (180,)
        orientation = engine.detect_orientation(prepared.image, dpi=prepared.dpi)
        if orientation and orientation.confidence >= options.min_orientation_confidence:
            candidates = (orientation.rotate,) if orientation.rotate else ()
        for extra in candidates:
            turned = prepared.turned(extra, steps)
            reading = engine.recognise(turned.image, dpi=turned.dpi, text_layer=layer)
            if reading.confidence > best.recognition.confidence:
                best = _Reading(turned, (rotation + extra) % 360, reading)
    chosen, found = best.prepared, best.recognition
    left, top = chosen.box[:2]
    page = PageResult(
        number=number,
        text=found.text,
        confidence=found.confidence,
        source=PageSource.OCR,
        # In the prepared page's pixels, not the crop's.
        words=tuple(replace(w, left=w.left + left, top=w.top + top) for w in found.words),
        rotation=best.rotation,
        skew=chosen.skew,
        dpi=chosen.dpi,
        steps=chosen.steps,
    )
    return _Outcome(page, found.text_layer_pdf, chosen.box, chosen.size, shown)


def _photographed_page(raster: _Raster) -> _Raster | None:
    """The page of a phone photo, upright in perspective, or None for a scan."""
    image = raster.image
    if image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)  # the page is looked for the way it was taken
    quad = find_page(image)
    if quad is None:
        return None
    page, dpi = rectify(image, quad)
    return _Raster(page, dpi)


_EXIF_ORIENTATION = 0x0112


def _quarter_turn(prepared: Prepared, engine: OcrEngine, options: OcrOptions) -> int:
    """90 or 270 for a page on its side: OSD when it is sure, else whichever reads better."""
    orientation = engine.detect_orientation(prepared.image, dpi=prepared.dpi)
    if (
        orientation is not None
        and orientation.rotate in (90, 270)
        and orientation.confidence >= options.min_orientation_confidence
    ):
        return orientation.rotate
    readings: dict[int, Recognition] = {}
    for rotate in (90, 270):
        turned = prepared.turned(rotate, options.steps)
        readings[rotate] = engine.recognise(turned.image, dpi=turned.dpi)
    return max(readings, key=lambda r: readings[r].confidence)


def _run_pages(
    source: _Source, options: OcrOptions, engine: OcrEngine, todo: list[int]
) -> Generator[tuple[_Outcome, _Raster | None]]:
    """Each page of `todo` read, in order, with its raster when it was made here."""
    if options.workers <= 1 or len(todo) <= 1:
        for i in todo:
            raster = source.raster(i)
            yield _read_page(raster, i + 1, engine, options), raster
        return
    # forkserver: workers fork from a clean server process, not from this one (which may be
    # a threaded web server); each worker opens its own copy of the input once.
    context = multiprocessing.get_context("forkserver")
    # Several engine calls per page at most (sideways + upside-down checks), plus rendering.
    deadline = options.limits.page_timeout * 5 + 30
    with ProcessPoolExecutor(
        max_workers=min(options.workers, len(todo)),
        mp_context=context,
        initializer=_worker_init,
        initargs=(source.data, source.kind, options, engine),
    ) as pool:
        try:
            futures = [pool.submit(_worker_page, i) for i in todo]
            for future in futures:
                yield future.result(timeout=deadline), None
        except FutureTimeout as exc:
            _kill_workers(pool)
            raise OcrTimeout(f"a page took longer than {deadline:g} s", deadline) from exc
        except BrokenProcessPool as exc:
            _kill_workers(pool)
            raise EngineFailure(f"an OCR worker process died: {exc}") from exc
        except BaseException:
            _kill_workers(pool)
            raise


_WORKER: tuple[_Source, OcrEngine, OcrOptions] | None = None


def _worker_init(data: bytes, kind: MediaType, options: OcrOptions, engine: OcrEngine) -> None:
    global _WORKER
    limit_engine_threads()
    _WORKER = (_Source(data, kind, options), engine, options)


def _worker_page(index: int) -> _Outcome:
    assert _WORKER is not None, "worker not initialised"
    source, engine, options = _WORKER
    return _read_page(source.raster(index), index + 1, engine, options)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop a running task; its processes are killed so a
    # hung page cannot keep the caller waiting at shutdown.
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


# -- searchable PDF -----------------------------------------------------------------------


class _Composer:
    """Builds the searchable PDF page by page: each page shows the original (PDF page or
    image, upright) under the engine's invisible text layer. Pages read from their own text
    layer are copied as they are."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        with PDFIUM_LOCK:
            self.out = pypdfium2.PdfDocument.new()

    def add(self, index: int, outcome: _Outcome | None, raster: _Raster | None) -> None:
        if self.source.pdf is None and raster is None:
            raster = self.source.raster(index)  # read in a worker: decode it again here
        with PDFIUM_LOCK:
            try:
                self._add(index, outcome, raster)
            except pypdfium2.PdfiumError as exc:
                raise UnreadableInput(f"page {index + 1} cannot be copied: {exc}") from exc

    def _add(self, index: int, outcome: _Outcome | None, raster: _Raster | None) -> None:
        if self.source.pdf is not None:
            self.out.import_pages(self.source.pdf, [index])
            page = self.out[len(self.out) - 1]
            if outcome is not None and outcome.text_layer_pdf:
                # Shown the way it was read: a page scanned on its side is turned upright
                # (in this copy only) and the text layer goes on in that orientation.
                page.set_rotation((page.get_rotation() + outcome.page.rotation) % 360)
                _overlay(self.out, page, outcome, _display_to_content(page))
        else:
            assert outcome is not None and raster is not None
            page = _image_page(self.out, self.source, raster, outcome)
            if outcome.text_layer_pdf:
                _overlay(self.out, page, outcome, pypdfium2.PdfMatrix())
        page.gen_content()
        page.close()

    def finish(self) -> bytes:
        buffer = io.BytesIO()
        with PDFIUM_LOCK:
            self.out.save(buffer)
        return buffer.getvalue()

    def close(self) -> None:
        with PDFIUM_LOCK:
            self.out.close()


def _image_page(
    out: pypdfium2.PdfDocument, source: _Source, raster: _Raster, outcome: _Outcome
) -> pypdfium2.PdfPage:
    """A page the size of the upright scan, showing the original pixels. A JPEG goes in as
    its own bytes (no re-encoding); other images as lossless bitmaps."""
    rotation = outcome.page.rotation
    photo = outcome.shown is not None
    if outcome.shown is not None:
        raster = outcome.shown
    exif_turned = "exif" in outcome.page.steps
    image = raster.image
    if exif_turned:
        image = ImageOps.exif_transpose(image)
    w0 = image.width / raster.dpi * 72
    h0 = image.height / raster.dpi * 72
    width, height = (h0, w0) if rotation in (90, 270) else (w0, h0)
    page = out.new_page(width, height)
    pdf_image = pypdfium2.PdfImage.new(out)
    if source.kind is MediaType.JPEG and not (exif_turned or photo) and image.mode in {"L", "RGB"}:
        pdf_image.load_jpeg(io.BytesIO(source.data), inline=False, autoclose=True)
    else:
        mode = "L" if image.mode in {"1", "L", "I;16", "I"} else "RGB"
        bitmap = pypdfium2.PdfBitmap.from_pil(image.convert(mode))
        pdf_image.set_bitmap(bitmap)
        bitmap.close()
    # Unit square -> original size -> turned clockwise -> back into the page box.
    shift = {0: (0.0, 0.0), 90: (0.0, w0), 180: (w0, h0), 270: (h0, 0.0)}[rotation]
    matrix = pypdfium2.PdfMatrix().scale(w0, h0).rotate(rotation).translate(*shift)
    pdf_image.set_matrix(matrix)
    page.insert_obj(pdf_image)
    return page


def _display_to_content(page: pypdfium2.PdfPage) -> pypdfium2.PdfMatrix:
    """From the page as displayed (crop box, /Rotate applied, origin bottom-left) to the
    page's content coordinates."""
    left, bottom, right, top = page.get_cropbox()
    w0, h0 = right - left, top - bottom
    rotation = page.get_rotation() % 360
    # Displayed = content turned clockwise by `rotation`; undo it counter-clockwise.
    shift = {0: (0.0, 0.0), 90: (w0, 0.0), 180: (w0, h0), 270: (0.0, h0)}[rotation]
    back = pypdfium2.PdfMatrix().rotate(rotation, ccw=True)
    return back.translate(*shift).translate(left, bottom)


def _overlay(
    out: pypdfium2.PdfDocument,
    page: pypdfium2.PdfPage,
    outcome: _Outcome,
    to_content: pypdfium2.PdfMatrix,
) -> None:
    """Puts the engine's text-only page over `page`: where its crop lies on the prepared page,
    then turned back by the skew, so the invisible words lie over the original's words."""
    assert outcome.text_layer_pdf is not None
    layer = pypdfium2.PdfDocument(outcome.text_layer_pdf)
    try:
        layer_width, layer_height = layer[0].get_size()
        xobject = layer.page_as_xobject(0, out)
        left, bottom, right, top = page.get_cropbox()
        rotation = page.get_rotation() % 180
        width, height = (top - bottom, right - left) if rotation else (right - left, top - bottom)
        # Points of the displayed page per pixel of the prepared page.
        kx, ky = width / outcome.size[0], height / outcome.size[1]
        box_left, _, box_right, box_bottom = outcome.box
        box_height = box_bottom - outcome.box[1]
        cx, cy = width / 2, height / 2
        matrix = (
            pypdfium2.PdfMatrix()
            .scale((box_right - box_left) / layer_width * kx, box_height / layer_height * ky)
            .translate(box_left * kx, (outcome.size[1] - box_bottom) * ky)
            .translate(-cx, -cy)
            .rotate(outcome.page.skew)
            .translate(cx, cy)
            .multiply(to_content)
        )
        obj = xobject.as_pageobject()
        obj.set_matrix(matrix)
        page.insert_obj(obj)
    finally:
        layer.close()


__all__ = [
    "Limits",
    "OcrError",
    "OcrOptions",
    "OcrResult",
    "PageResult",
    "PageSource",
    "recognise",
    "recognise_file",
]
