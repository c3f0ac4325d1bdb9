"""Reading order: the words Tesseract found, put in the order a person reads them.

Tesseract's own order follows its blocks, which on administrative papers goes wrong in three
ways: a full-width line after a two-column block is read inside the block, one line is split
in two (its halves land in different blocks), and a table is read down its columns. Here the
order is rebuilt from the word boxes alone:

1. words make rows: a word joins the row whose vertical band it shares (at least half of the
   smaller height), whatever block Tesseract put it in: a line is never split in two;
2. a row breaks into segments where the gap between two words is wider than `GAP` times the
   row's height (a column gutter, a table's cell boundary);
3. consecutive rows whose segments leave the same gutter free form a multi-column region; a
   row with ink across the gutter (a full-width line) ends it;
4. a region of two columns is read column by column (the header of a paper: the agency on
   the left, the national motto on the right; the signature block), unless its left cells are
   labels ("Họ và tên:") whose values stand to their right; a region of three or more columns
   is a table, read across each row.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ocr.engine import Word

GAP = 1.6  # row heights: a wider gap between two words separates segments
MIN_GUTTER = 1.0  # row heights: a gutter narrower than this is only a wide space


@dataclass
class _Segment:
    words: list[Word]

    @property
    def left(self) -> int:
        return self.words[0].left

    @property
    def right(self) -> int:
        return max(w.left + w.width for w in self.words)


@dataclass
class _Row:
    words: list[Word]
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def segments(self) -> list[_Segment]:
        words = sorted(self.words, key=lambda w: w.left)
        out = [_Segment([words[0]])]
        for word in words[1:]:
            if word.left - out[-1].right > GAP * self.height:
                out.append(_Segment([word]))
            else:
                out[-1].words.append(word)
        return out


def reading_order(words: Sequence[Word]) -> tuple[Word, ...]:
    """The words in reading order, each with the index of its line in that order."""
    rows = _rows(words)
    lines: list[list[Word]] = []
    index = 0
    while index < len(rows):
        region, gutters = _region(rows, index)
        if len(region) < 2 or not gutters:
            lines.append(rows[index].words)  # one line, however wide its gaps
            index += 1
            continue
        lines.extend(_read_region(region, gutters))
        index += len(region)
    out: list[Word] = []
    for number, line in enumerate(line for line in lines if line):
        out.extend(replace(w, line=number) for w in sorted(line, key=lambda w: w.left))
    return tuple(out)


def _rows(words: Sequence[Word]) -> list[_Row]:
    rows: list[_Row] = []
    for word in sorted(words, key=lambda w: (w.top + w.height / 2, w.left)):
        top, bottom = word.top, word.top + word.height
        for row in reversed(rows[-3:]):
            overlap = min(bottom, row.bottom) - max(top, row.top)
            if overlap >= 0.5 * min(word.height, row.height):
                row.words.append(word)
                # The band is the row's core, not stretched by accents or descenders.
                row.top = (row.top * (len(row.words) - 1) + top) / len(row.words)
                row.bottom = (row.bottom * (len(row.words) - 1) + bottom) / len(row.words)
                break
        else:
            rows.append(_Row([word], top, bottom))
    return sorted(rows, key=lambda r: r.top)


def _gaps(row: _Row) -> list[tuple[float, float]]:
    segments = row.segments()
    return [(a.right, b.left) for a, b in itertools.pairwise(segments)]


def _region(rows: list[_Row], start: int) -> tuple[list[_Row], list[tuple[float, float]]]:
    """The rows from `start` that share free gutters, and those gutters (x intervals)."""
    gutters = [(a, b) for a, b in _gaps(rows[start]) if b - a >= MIN_GUTTER * rows[start].height]
    if not gutters:
        return [rows[start]], []
    region = [rows[start]]
    split_rows = 1
    for row in rows[start + 1 :]:
        # A blank band of more than two rows' height ends a region too.
        if row.top - region[-1].bottom > 2.5 * row.height:
            break
        middles = [(left + right) / 2 for left, right in gutters]
        if any(w.left < m < w.left + w.width for w in row.words for m in middles):
            break  # a line across the middle of a gutter (a heading): the region ends above
        kept = []
        for left, right in gutters:
            for word in row.words:
                if word.left < right and word.left + word.width > left:
                    # A ragged column edge: the gutter narrows to the free part.
                    if word.left - left > right - (word.left + word.width):
                        right = word.left
                    else:
                        left = word.left + word.width
            if right - left >= MIN_GUTTER * row.height:
                kept.append((left, right))
        if len(kept) < len(gutters):
            break  # nothing left of a gutter: the region ends above this row
        gutters = kept
        region.append(row)
        split_rows += len(row.segments()) > 1
    if split_rows < 2:
        return [rows[start]], []
    return region, gutters


def _read_region(region: list[_Row], gutters: list[tuple[float, float]]) -> list[list[Word]]:
    bounds = [(left + right) / 2 for left, right in gutters]
    cells: list[list[list[Word]]] = []  # row -> column -> words
    for row in region:
        columns: list[list[Word]] = [[] for _ in range(len(bounds) + 1)]
        for word in row.words:
            centre = word.left + word.width / 2
            columns[sum(centre > b for b in bounds)].append(word)
        cells.append(columns)
    labels = [c[0] for c in cells if c[0]]
    labelled = labels and sum(_text(c).rstrip().endswith(":") for c in labels) * 2 > len(labels)
    if len(bounds) >= 2 or labelled:
        # A table, or labels and values: across each row.
        return [[w for column in row for w in column] for row in cells]
    # Two columns of text: the left one top to bottom, then the right one.
    return [row[k] for k in range(2) for row in cells if row[k]]


def _text(words: list[Word]) -> str:
    return " ".join(w.text for w in sorted(words, key=lambda w: w.left))
