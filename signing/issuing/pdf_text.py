"""Text on PDF pages: shaped by HarfBuzz, the font embedded as a subset, measured by the same
shaper so that lines wrap by the width they will really take.

pyHanko's `GlyphAccumulator` does the shaping and the subsetting, but (pyHanko 0.38) it writes
the glyph widths of the font's /W array, and the TJ adjustments next to them, in the font's
own units per em, where PDF counts thousandths of an em. That is right for fonts drawn on
1000 units (most CFF fonts) and wrong for TrueType fonts on 2048, DejaVu among them: every
glyph then advanced by 2.048 times its width, so the text came out letter-spaced, ran off the
page and overlapped the next column, while `pdftotext` still read the right words. The
accumulator here shapes on a 1000-unit scale and writes the widths (and the font descriptor's
metrics) on that scale too, so the shaper, the widths and the renderer agree.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uharfbuzz as hb  # type: ignore[import-untyped]
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.writer import BasePdfFileWriter

# pyHanko's PDF object constructors carry no annotations.
_pdf: Any = generic
GLYPH_SPACE = 1000  # PDF glyph space: thousandths of an em
VIETNAMESE = "VIT "  # OpenType language tag (four bytes)


class ScaledGlyphAccumulator(GlyphAccumulator):
    """`GlyphAccumulator` with every metric written in PDF glyph space (1/1000 em)."""

    def __init__(self, writer: BasePdfFileWriter, font_file: Path, font_size: float) -> None:
        # The whole file in memory: fontTools reads tables lazily from the handle it is given.
        super().__init__(
            writer,
            io.BytesIO(font_file.read_bytes()),
            font_size,
            ot_language_tag=VIETNAMESE,
            bcp47_lang_code="vi",
        )
        self._to_glyph_space = GLYPH_SPACE / self.units_per_em
        # HarfBuzz positions in 1/1000 em; pyHanko divides them by `units_per_em`.
        self.hb_font.scale = (GLYPH_SPACE, GLYPH_SPACE)
        self.units_per_em = GLYPH_SPACE
        descriptor: Any = self.cidfont_obj._font_descriptor  # built by pyHanko in font units
        for key in ("/Ascent", "/Descent", "/CapHeight"):
            descriptor[generic.NameObject(key)] = _pdf.NumberObject(
                round(int(descriptor[key]) * self._to_glyph_space)
            )
        descriptor[generic.NameObject("/FontBBox")] = generic.ArrayObject(
            [
                _pdf.NumberObject(round(int(v) * self._to_glyph_space))
                for v in descriptor["/FontBBox"]
            ]
        )

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        known = self._glyphs.get(glyph_id)
        if known is not None:
            return known
        cid, width = super()._get_cid_and_width(glyph_id)  # in font units
        self._glyphs[glyph_id] = scaled = (cid, round(width * self._to_glyph_space))
        return scaled

    def advance(self, text: str) -> float:
        """The width of `text` in ems, as `shape` will set it (nothing is added to the subset)."""
        if not text:
            return 0.0
        buf = hb.Buffer()
        buf.add_str(text)
        buf.set_language_from_ot_tag(VIETNAMESE)
        buf.guess_segment_properties()
        hb.shape(self.hb_font, buf, self.features)
        return float(sum(p.x_advance for p in buf.glyph_positions)) / GLYPH_SPACE


@dataclass(frozen=True)
class ScaledGlyphAccumulatorFactory(GlyphAccumulatorFactory):
    """What pyHanko's text boxes (signature stamps) take, making `ScaledGlyphAccumulator`s."""

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> ScaledGlyphAccumulator:
        return ScaledGlyphAccumulator(writer, Path(self.font_file), self.font_size)


def nfc(text: str) -> str:
    """Precomposed Vietnamese (NFC): one glyph per letter where the font has it, and one
    character per glyph for text extraction. Combining marks left over are shaped as marks."""
    return unicodedata.normalize("NFC", text)


def _graphemes(word: str) -> Iterator[str]:
    """A letter with the combining marks that follow it: never split between them."""
    current = ""
    for ch in word:
        if current and unicodedata.combining(ch):
            current += ch
            continue
        if current:
            yield current
        current = ch
    if current:
        yield current


_URL_BREAK = re.compile(r"(?<=[/?&=])")


def wrap(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy line breaking at spaces; `fits(line)` says whether a line fits the measure. A
    word wider than the measure on its own is broken after a URL's separators (/ ? & =),
    else between letters (a hash)."""
    lines: list[str] = []
    line = ""
    for word in nfc(text).split():
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        if fits(word):
            line = word
            continue
        # A URL breaks after its separators; whatever is still too wide, between letters.
        for part in _URL_BREAK.split(word):
            if fits(line + part):
                line += part
                continue
            if line:
                lines.append(line)
                line = ""
            if fits(part):
                line = part
                continue
            for piece in _graphemes(part):
                if line and not fits(line + piece):
                    lines.append(line)
                    line = ""
                line += piece
    if line or not lines:
        lines.append(line)
    return lines
