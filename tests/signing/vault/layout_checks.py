"""What a reader of a PDF page sees, checked by the glyphs' boxes as two renderers report
them: PDFium's text page (each glyph's box from its position and advance) and poppler's
`pdftotext -bbox-layout` (each word's box). Shared by the certification page's tests and the
certified-copy browser test."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pypdfium2

# Kerning ("Tê", "y.") legitimately brings a glyph's advance box into its neighbour's by up
# to about a tenth of an em; a glyph drawn on top of another overlaps by half an em or more.
# A box is about 1.16 em high (DejaVu's ascent and descent), so a fifth of it is ~0.23 em.
KERNING_SHARE = 0.2
EPSILON = 0.5  # points


@dataclass(frozen=True)
class Box:
    text: str
    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: Box) -> bool:
        dx = min(self.right, other.right) - max(self.left, other.left)
        dy = min(self.top, other.top) - max(self.bottom, other.bottom)
        if (self.left, self.bottom, self.right, self.top) == (
            other.left,
            other.bottom,
            other.right,
            other.top,
        ):
            return False  # one glyph for two letters: a ligature ("fi")
        em_share = KERNING_SHARE * min(self.top - self.bottom, other.top - other.bottom)
        return dx > max(EPSILON, em_share) and dy > EPSILON


def glyph_boxes(pdf: bytes, index: int = -1) -> tuple[list[Box], tuple[float, float]]:
    """PDFium's box of every visible glyph on a page (PDF coordinates: y grows upwards),
    and the page's size."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        page = doc[index % len(doc)]
        size = (page.get_width(), page.get_height())
        textpage = page.get_textpage()
        boxes = []
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            boxes.append(Box(char, left, bottom, right, top))
        textpage.close()
        page.close()
    finally:
        doc.close()
    return boxes, size


def word_boxes(pdf_path: Path, page_number: int) -> tuple[list[Box], float]:
    """poppler's box of every word on page `page_number` (1-based), turned into PDF
    coordinates (poppler's y grows downwards), and the page's height."""
    html = subprocess.run(
        [
            "pdftotext",
            "-f",
            str(page_number),
            "-l",
            str(page_number),
            "-bbox-layout",
            str(pdf_path),
            "-",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    height = float(re.search(r'<page width="[0-9.]+" height="([0-9.]+)"', html).group(1))  # type: ignore[union-attr]
    words = []
    for m in re.finditer(
        r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">(.*?)</word>',
        html,
    ):
        x1, y1, x2, y2 = (float(v) for v in m.groups()[:4])
        words.append(Box(unescape(m.group(5)), x1, height - y2, x2, height - y1))
    return words, height


def overlapping(boxes: list[Box]) -> list[tuple[Box, Box]]:
    """Every pair of boxes that overlap (a sweep along x)."""
    ordered = sorted(boxes, key=lambda b: b.left)
    found = []
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.left >= a.right:
                break
            if a.overlaps(b):
                found.append((a, b))
    return found


def outside(boxes: list[Box], size: tuple[float, float], margin: float) -> list[Box]:
    """The boxes not wholly inside the page's margins."""
    width, height = size
    lo, hi_x, hi_y = margin - EPSILON, width - margin + EPSILON, height - margin + EPSILON
    return [b for b in boxes if b.left < lo or b.bottom < lo or b.right > hi_x or b.top > hi_y]


def assert_legible(pdf: bytes, tmp_path: Path, margin: float, words: list[str]) -> None:
    """No two glyphs overlap and every glyph lies inside the margins, for PDFium and for
    poppler alike; and `words` come out as words of their own (letter-spaced text falls
    apart into single letters in poppler's word boxes)."""
    glyphs, size = glyph_boxes(pdf)
    assert glyphs, "no text on the page"
    assert not overlapping(glyphs), overlapping(glyphs)[:5]
    assert not outside(glyphs, size, margin), outside(glyphs, size, margin)[:5]
    path = tmp_path / "page-under-test.pdf"
    path.write_bytes(pdf)
    doc = pypdfium2.PdfDocument(pdf)
    pages = len(doc)
    doc.close()
    found, _ = word_boxes(path, pages)
    assert not overlapping(found), overlapping(found)[:5]
    assert not outside(found, size, margin), outside(found, size, margin)[:5]
    texts = {w.text for w in found}
    missing = [w for w in words if w not in texts]
    assert not missing, (missing, sorted(texts))
