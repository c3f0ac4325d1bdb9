"""What batch import works with: batches, the pages read, the parts cut from them, and the
separator sheets that cut them (frozen values; the tables are in `ocr.db.batch_models`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

IMPORT_KIND: Final = "import"  # the job kind


class BatchStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # every page read, the parts are in the review queue
    FAILED = "failed"  # the file itself cannot be read (no page could be)


class PageKind(StrEnum):
    CONTENT = "content"
    SEPARATOR = "separator"  # a separator sheet: dropped, starts a part
    BLANK = "blank"  # dropped
    DAMAGED = "damaged"  # kept in its part, which says why


class PartStatus(StrEnum):
    PENDING = "pending"  # in the review queue
    APPROVED = "approved"  # published to the owner's warehouse
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class SheetFields:
    """What a separator sheet's QR code says: an opaque reference, the owner's opaque id
    (never the personal number), the paper type, the dossier or the result reference."""

    ref: str
    owner_id: uuid.UUID | None
    paper_type: str | None = None
    dossier_id: uuid.UUID | None = None
    result_reference: str | None = None


@dataclass(frozen=True, slots=True)
class PageReading:
    """One page as a worker read it."""

    number: int  # from 1
    kind: PageKind
    sheet: str | None = None  # the QR text of a separator sheet (None: unreadable)
    problem: str | None = None
    text: str = ""
    confidence: float = 0.0
    seconds: float = 0.0  # time spent, for the benchmark's account of where time goes
    ocr_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Batch:
    id: uuid.UUID
    file_name: str
    media_type: str
    sha256: str
    size: int
    agency_code: str
    created_by: uuid.UUID
    status: BatchStatus
    page_count: int | None
    pages_done: int
    part_count: int
    error_count: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def rate_per_minute(self) -> float | None:
        """Pages read per minute so far (None before the first page)."""
        if self.started_at is None or self.pages_done == 0:
            return None
        end = self.finished_at or datetime.now(self.started_at.tzinfo)
        seconds = (end - self.started_at).total_seconds()
        return self.pages_done * 60 / seconds if seconds > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate_per_minute
        if rate is None or self.page_count is None or self.finished_at is not None:
            return None
        return max(0, self.page_count - self.pages_done) * 60 / rate


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A key field read from a part (or corrected by the officer)."""

    name: str
    value: str
    confidence: float
    evidence: str = ""
    flagged: bool = False  # failed validation or low confidence: the officer must look
    problems: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "confidence": self.confidence,
            "evidence": self.evidence,
            "flagged": self.flagged,
            "problems": list(self.problems),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldValue:
        return cls(
            name=str(data["name"]),
            value=str(data["value"]),
            confidence=float(data.get("confidence", 0.0)),
            evidence=str(data.get("evidence", "")),
            flagged=bool(data.get("flagged", False)),
            problems=tuple(str(p) for p in data.get("problems", ())),
        )


@dataclass(frozen=True, slots=True)
class Part:
    id: uuid.UUID
    batch_id: uuid.UUID
    seq: int
    pages: tuple[int, ...]
    rotation: int
    sheet_ref: str | None
    owner_id: uuid.UUID | None
    paper_type: str | None
    suggested_type: str | None
    dossier_id: uuid.UUID | None
    result_reference: str | None
    fields: tuple[FieldValue, ...]
    problems: tuple[str, ...]
    status: PartStatus
    document_id: uuid.UUID | None = None
    reviewed_by: uuid.UUID | None = None
    reviewed_at: datetime | None = None
    text: str = field(default="", repr=False)

    def field_named(self, name: str) -> FieldValue | None:
        return next((f for f in self.fields if f.name == name), None)
