"""The OCR engine boundary: an `OcrEngine` Protocol and its Tesseract adapter.

The pipeline depends on the Protocol only; tests or another engine can stand in for Tesseract.

`TesseractEngine` calls Tesseract through pytesseract, the binding the design names. One engine
run writes the TSV (words, boxes, confidences) and the text-only PDF page together, with
`--oem`, `--psm` and `--dpi` in the config. pytesseract 0.3.13's `run_and_get_multiple_output`
builds its config from the output names alone (no `--oem/--psm/--dpi`, no `textonly_pdf`), so
the engine calls `pytesseract.pytesseract.run_tesseract`, the function it wraps, with the
same several outputs and our config. The page goes in as a PGM file of ours (pytesseract
would encode a PNG first: ~0.1 s an A4 page for nothing).

pytesseract starts Tesseract with this process's own environment, and Tesseract's OpenMP
threads make it about 3x slower on a shared 2-core machine: the process that reads pages (the
OCR child of `ocr.isolation`, a pipeline worker, `vault ocr`) sets `OMP_THREAD_LIMIT=1` in its
own environment (`limit_engine_threads`); parallelism comes from running pages in separate
processes. `bench/ocr.py` compares this engine with a direct `subprocess` call of the binary.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

import pytesseract
from PIL import Image

from ocr.errors import EngineFailure, OcrTimeout

# Tesseract reads Đ as the Icelandic eth (Ð) now and then; Vietnamese never has an eth.
_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ"})


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    left: int  # pixels, in the image given to the engine
    top: int
    width: int
    height: int
    confidence: float  # 0..1
    line: int  # index of the line the word is on, in reading order


@dataclass(frozen=True, slots=True)
class Recognition:
    """What the engine read on one page image."""

    text: str  # lines in reading order, joined by "\n"
    words: tuple[Word, ...]
    confidence: float  # mean word confidence, 0..1; 0 when no word was read
    text_layer_pdf: bytes | None  # one page: invisible text only, sized image px / dpi * 72 pt


@dataclass(frozen=True, slots=True)
class Orientation:
    rotate: int  # degrees to turn the image clockwise to make it upright: 0, 90, 180, 270
    confidence: float  # Tesseract's orientation confidence; above ~2 it is usually right


@runtime_checkable
class OcrEngine(Protocol):
    def recognise(
        self, image: Image.Image, *, dpi: int, text_layer: bool = False
    ) -> Recognition: ...

    def detect_orientation(self, image: Image.Image, *, dpi: int) -> Orientation | None:
        """None when the engine cannot tell (too little text, a blank page)."""
        ...


class TesseractEngine:
    """Tesseract 4/5 with its LSTM model (`--oem 1`), Vietnamese only.

    `vie` alone: adding `eng` makes Tesseract prefer unaccented English readings and drop
    diacritics. Orientation is decided separately and only when needed, because OSD costs as
    much as reading a clean page.

    Page segmentation 6 (one block of text), not 3 (automatic layout): the reading order is
    rebuilt from the word boxes (`ocr.layout`), so Tesseract's own layout analysis only costs.
    Measured on the corpus tiers (3 pages each, 2 photos, 3 layout pages with a two-column
    header, a ruled table and a signature block; loaded machine):

    | psm | clean | degraded | hard  | photo | layout | seconds |
    | --- | ----- | -------- | ----- | ----- | ------ | ------- |
    | 3   | 0.05% | 0.09%    | 0.55% | 0.21% | 0.32%  | 101.7   |
    | 4   | 0.05% | 0.09%    | 0.55% | 0.21% | 0.13%  | 101.5   |
    | 6   | 0.05% | 0.09%    | 0.55% | 0.21% | 0.00%  | 54.3    |

    With 3, a lone digit in a table cell ("2" in the STT column) was dropped as noise.
    """

    def __init__(
        self,
        *,
        lang: str = "vie",
        psm: int = 6,
        timeout: float = 60.0,
        binary: str = "tesseract",
    ) -> None:
        self.lang = lang
        self.psm = psm
        self.timeout = timeout
        self.binary = binary

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def config(self, dpi: int, *extra: str) -> str:
        """The engine settings as pytesseract's `config`: model, layout analysis, resolution."""
        return " ".join(("--oem", "1", "--psm", str(self.psm), "--dpi", str(dpi), *extra))

    def recognise(self, image: Image.Image, *, dpi: int, text_layer: bool = False) -> Recognition:
        outputs = ["tsv", *(["pdf"] if text_layer else [])]
        extra = ("-c", "tessedit_create_tsv=1", *(("-c", "textonly_pdf=1") if text_layer else ()))
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            source = _write_image(image, Path(tmp))
            base = Path(tmp) / "out"
            self._run(
                lambda: pytesseract.pytesseract.run_tesseract(
                    str(source),
                    str(base),
                    extension=" ".join(outputs),
                    lang=self.lang,
                    config=self.config(dpi, *extra),
                    timeout=self.timeout,
                )
            )
            tsv = base.with_suffix(".tsv").read_text(encoding="utf-8")
            pdf = base.with_suffix(".pdf").read_bytes() if text_layer else None
        return recognition(tsv, pdf)

    def detect_orientation(self, image: Image.Image, *, dpi: int) -> Orientation | None:
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            source = _write_image(image, Path(tmp))
            try:
                out = self._run(
                    lambda: pytesseract.image_to_osd(
                        str(source), config=f"--dpi {dpi}", timeout=self.timeout
                    )
                )
            except EngineFailure:
                # OSD exits non-zero on pages with too few characters ("Too few characters.
                # Skipping this page"): not an error of the engine, just no answer.
                return None
        rotate = re.search(r"Rotate:\s*(\d+)", out)
        confidence = re.search(r"Orientation confidence:\s*([\d.]+)", out)
        if rotate is None or confidence is None:
            return None
        return Orientation(int(rotate.group(1)) % 360, float(confidence.group(1)))

    def _run(self, call: Callable[[], _T]) -> _T:
        limit_engine_threads()
        # pytesseract names its binary in a module variable: set it for this call only.
        with _BINARY_LOCK:
            pytesseract.pytesseract.tesseract_cmd = self.binary
            try:
                return call()
            except pytesseract.TesseractError as exc:
                message = str(exc.message).strip()[-500:]
                raise EngineFailure(f"tesseract exited with {exc.status}: {message}") from exc
            except RuntimeError as exc:
                if "timeout" not in str(exc):
                    raise EngineFailure(f"tesseract failed: {exc}") from exc
                # pytesseract has killed the child by now ("Tesseract process timeout").
                raise OcrTimeout(
                    f"tesseract took longer than {self.timeout:g} s on one page", self.timeout
                ) from exc
            except OSError as exc:  # TesseractNotFoundError is one
                raise EngineFailure(f"tesseract could not be started: {exc}") from exc


_T = TypeVar("_T")
_BINARY_LOCK = threading.Lock()


def limit_engine_threads() -> None:
    """One OpenMP thread per Tesseract, set in this process's environment (which pytesseract
    hands to the engine): called by the processes that read pages, never needed elsewhere."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


def recognition(tsv: str, text_layer_pdf: bytes | None) -> Recognition:
    """What the engine's TSV says, the words in a person's reading order (`ocr.layout`)."""
    from ocr.layout import reading_order  # it imports Word from here

    words = reading_order(_parse_tsv(tsv))
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return Recognition(_text_of(words), words, confidence, text_layer_pdf)


def _write_image(image: Image.Image, folder: Path) -> Path:
    # PGM: no compression to spend time on; the resolution goes on the command line.
    path = folder / "page.pgm"
    image.convert("L").save(path, "PPM")
    return path


def _parse_tsv(tsv: str) -> tuple[Word, ...]:
    words: list[Word] = []
    lines: dict[tuple[str, str, str], int] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":  # level 5: a word
            continue
        text = cells[11].strip().translate(_LOOKALIKES)
        if not text:
            continue
        key = (cells[2], cells[3], cells[4])  # block, paragraph, line
        line = lines.setdefault(key, len(lines))
        left, top, width, height = (int(v) for v in cells[6:10])
        confidence = max(0.0, min(1.0, float(cells[10]) / 100))
        words.append(Word(text, left, top, width, height, confidence, line))
    return tuple(words)


def _text_of(words: tuple[Word, ...]) -> str:
    lines: dict[int, list[str]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word.text)
    return "\n".join(" ".join(texts) for _, texts in sorted(lines.items()))
