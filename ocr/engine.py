"""The OCR engine boundary: an `OcrEngine` Protocol and its Tesseract adapter.

The pipeline depends on the Protocol only; tests or another engine can stand in for Tesseract.

`TesseractEngine` runs the `tesseract` binary itself (one process per call) rather than through
pytesseract's helpers: pytesseract passes the whole `os.environ` to the child, so the
`OMP_THREAD_LIMIT=1` it needs could only be set process-wide, and its multi-output helper takes
no `--oem`, `--psm` or `--dpi`. One run here writes the TSV (words, boxes, confidences) and the
text-only PDF page together, where pytesseract would need two runs of the engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

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
    diacritics. Page segmentation 3 (automatic, no OSD): orientation is decided separately and
    only when needed, because OSD costs as much as reading a clean page.
    """

    def __init__(
        self,
        *,
        lang: str = "vie",
        psm: int = 3,
        timeout: float = 60.0,
        binary: str = "tesseract",
    ) -> None:
        self.lang = lang
        self.psm = psm
        self.timeout = timeout
        self.binary = binary

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def recognise(self, image: Image.Image, *, dpi: int, text_layer: bool = False) -> Recognition:
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            source = _write_image(image, Path(tmp))
            base = Path(tmp) / "out"
            args = [
                *("-l", self.lang, "--oem", "1", "--psm", str(self.psm), "--dpi", str(dpi)),
                *(("-c", "textonly_pdf=1") if text_layer else ()),
                "tsv",
                *(("pdf",) if text_layer else ()),
            ]
            self._run([str(source), str(base), *args])
            tsv = base.with_suffix(".tsv").read_text(encoding="utf-8")
            pdf = base.with_suffix(".pdf").read_bytes() if text_layer else None
        words = _parse_tsv(tsv)
        confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
        return Recognition(_text_of(words), words, confidence, pdf)

    def detect_orientation(self, image: Image.Image, *, dpi: int) -> Orientation | None:
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            source = _write_image(image, Path(tmp))
            try:
                out = self._run([str(source), "-", "--psm", "0", "-l", "osd", "--dpi", str(dpi)])
            except EngineFailure:
                # OSD exits non-zero on pages with too few characters ("Too few characters.
                # Skipping this page"): not an error of the engine, just no answer.
                return None
        rotate = re.search(r"Rotate:\s*(\d+)", out)
        confidence = re.search(r"Orientation confidence:\s*([\d.]+)", out)
        if rotate is None or confidence is None:
            return None
        return Orientation(int(rotate.group(1)) % 360, float(confidence.group(1)))

    def _run(self, args: list[str]) -> str:
        # One thread per process: on a shared 2-core machine Tesseract's OpenMP threads make it
        # about 3x slower; parallelism comes from running pages in separate processes.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(
                [self.binary, *args],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            # subprocess.run has killed and reaped the child by now.
            raise OcrTimeout(
                f"tesseract took longer than {self.timeout:g} s on one page", self.timeout
            ) from exc
        except OSError as exc:
            raise EngineFailure(f"tesseract could not be started: {exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()[-500:]
            raise EngineFailure(f"tesseract exited with {done.returncode}: {message}")
        return done.stdout.decode("utf-8", "replace")


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
