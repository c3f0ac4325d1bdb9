"""Retention (thời hạn bảo quản), legal holds (tạm giữ) and disposal (hủy tài liệu hết giá trị):
the domain types and the one rule every deletion goes through.

A document version may lose its object only when its retention period has ended, no legal
hold covers it (on the document's lineage or on its owner), and an officer approved its
disposal. The period runs from the paper's issue date (or the day it was stored, when it has
none) and lasts the paper type's years; no rule, or `years` None, is permanent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from vault.errors import Conflict, VaultError

# The key id a destroyed data key is left with: the row says what happened, not what was.
SHREDDED_KEY_ID = "shredded"


class RetainedRecord(VaultError):
    """Something tried to delete a document version whose deletion the retention rule forbids
    (its period runs, it is held, or no approved disposal covers it)."""


class DocumentDisposed(VaultError):
    """The document version was disposed of: only its tombstone remains."""


class DisposalConflict(Conflict):
    """The disposal batch is not in a state that allows this step."""


@dataclass(frozen=True, slots=True)
class RetentionRule:
    paper_type: str
    years: int | None  # None: permanent (vĩnh viễn)
    basis: str
    updated_at: datetime
    updated_by: str | None

    @property
    def permanent(self) -> bool:
        return self.years is None


def retain_until(years: int | None, issue_date: date | None, stored_on: date) -> date | None:
    """The last day the record must be kept; None when it is kept permanently."""
    if years is None:
        return None
    start = issue_date or stored_on
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February into a common year
        return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True, slots=True)
class LegalHold:
    id: uuid.UUID
    document_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class BatchStatus(StrEnum):
    LISTED = "listed"
    APPROVED = "approved"
    DISPOSED = "disposed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class DisposalItem:
    document_id: uuid.UUID
    owner_id: uuid.UUID
    paper_type: str
    version: int
    sha256: str
    size: int
    retain_until: date


@dataclass(frozen=True, slots=True)
class DisposalBatch:
    id: uuid.UUID
    status: BatchStatus
    as_of: date
    examined: int
    listed_at: datetime
    listed_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    agency_code: str | None
    disposed_at: datetime | None
    record_blob_id: uuid.UUID | None
    items: int


@dataclass(frozen=True, slots=True)
class Tombstone:
    document_id: uuid.UUID
    object_key: str
    sha256: str
    size: int
    paper_type: str
    batch_id: uuid.UUID
    approved_by: str
    approved_at: datetime
    disposed_at: datetime


class Candidate(NamedTuple):
    """A document version as the disposal pass examines it (a tuple: millions are made)."""

    id: uuid.UUID
    owner_id: uuid.UUID
    lineage_id: uuid.UUID
    paper_type: str
    issue_date: date | None
    stored_on: date
