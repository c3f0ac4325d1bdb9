"""Cutting a batch into parts (tách hồ sơ): at separator sheets, or at blank pages when the
batch has no sheet. Separators and blank pages are dropped; a damaged page stays in its part,
which says why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ocr.batches.model import PageKind, PageReading, SheetFields
from ocr.batches.sheets import parse_sheet

NO_SHEET = "no separator sheet before these pages: name the owner and the paper type"
NO_SHEETS_IN_BATCH = "the batch has no separator sheets (cut at blank pages): name the owner"


@dataclass(slots=True)
class DraftPart:
    pages: list[int] = field(default_factory=list)
    sheet: SheetFields | None = None
    problems: list[str] = field(default_factory=list)


def cut(readings: Sequence[PageReading]) -> list[DraftPart]:
    """The parts of a batch, in page order; `readings` must be in page order."""
    if any(r.kind is PageKind.SEPARATOR for r in readings):
        return _at_separators(readings)
    return _at_blanks(readings)


def _add(part: DraftPart, reading: PageReading) -> None:
    part.pages.append(reading.number)
    if reading.kind is PageKind.DAMAGED:
        part.problems.append(reading.problem or f"page {reading.number} is damaged")


def _at_separators(readings: Sequence[PageReading]) -> list[DraftPart]:
    parts: list[DraftPart] = []
    current: DraftPart | None = None
    for reading in readings:
        if reading.kind is PageKind.SEPARATOR:
            if current is not None and current.pages:
                parts.append(current)
            sheet = parse_sheet(reading.sheet) if reading.sheet else None
            current = DraftPart(sheet=sheet)
            if reading.problem:
                current.problems.append(reading.problem)
        elif reading.kind is PageKind.BLANK:
            continue
        else:
            if current is None:
                current = DraftPart(problems=[NO_SHEET])
            _add(current, reading)
    if current is not None and current.pages:
        parts.append(current)
    return parts


def _at_blanks(readings: Sequence[PageReading]) -> list[DraftPart]:
    parts: list[DraftPart] = []
    current = DraftPart(problems=[NO_SHEETS_IN_BATCH])
    for reading in readings:
        if reading.kind is PageKind.BLANK:
            if current.pages:
                parts.append(current)
            current = DraftPart(problems=[NO_SHEETS_IN_BATCH])
        else:
            _add(current, reading)
    if current.pages:
        parts.append(current)
    return parts
