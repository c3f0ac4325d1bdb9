"""Queries of retention, legal holds, disposal batches and tombstones."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, cast, exists, func, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from vault.db.job_models import JobRow
from vault.db.models import BlobRow, DocumentRow, OwnerRow
from vault.db.retention_models import (
    CorrectionRow,
    DisposalBatchRow,
    DisposalItemRow,
    LegalHoldRow,
    RetentionRuleRow,
    TombstoneRow,
)
from vault.domain import Blob, MediaType
from vault.retention import (
    SHREDDED_KEY_ID,
    BatchStatus,
    Candidate,
    DisposalBatch,
    DisposalItem,
    LegalHold,
    RetentionRule,
    Tombstone,
)


def _rule(r: RetentionRuleRow) -> RetentionRule:
    return RetentionRule(r.paper_type, r.years, r.basis, r.updated_at, r.updated_by)


def _hold(r: LegalHoldRow) -> LegalHold:
    return LegalHold(
        r.id,
        r.document_id,
        r.owner_id,
        r.reason,
        r.placed_by,
        r.placed_at,
        r.lifted_by,
        r.lifted_at,
        r.lift_reason,
    )


def _tombstone(r: TombstoneRow) -> Tombstone:
    return Tombstone(
        r.document_id,
        r.object_key,
        r.sha256,
        r.size,
        r.paper_type,
        r.batch_id,
        r.approved_by,
        r.approved_at,
        r.disposed_at,
    )


_CANDIDATE_COLUMNS = (
    DocumentRow.id,
    DocumentRow.owner_id,
    DocumentRow.lineage_id,
    DocumentRow.paper_type,
    DocumentRow.issue_date,
    DocumentRow.created_at,
)


def _candidate(r: Any) -> Candidate:
    return Candidate(
        r.id, r.owner_id, r.lineage_id, r.paper_type, r.issue_date, r.created_at.date()
    )


class RetentionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- the catalogue ---------------------------------------------------------------------

    def rules(self) -> list[RetentionRule]:
        rows = self._s.scalars(select(RetentionRuleRow).order_by(RetentionRuleRow.paper_type))
        return [_rule(r) for r in rows]

    def rule(self, paper_type: str) -> RetentionRule | None:
        row = self._s.get(RetentionRuleRow, paper_type)
        return None if row is None else _rule(row)

    def years_by_type(self) -> dict[str, int | None]:
        rows = self._s.execute(select(RetentionRuleRow.paper_type, RetentionRuleRow.years))
        return {r.paper_type: r.years for r in rows}

    def put_rule(self, rule: RetentionRule) -> None:
        row = self._s.get(RetentionRuleRow, rule.paper_type)
        if row is None:
            row = RetentionRuleRow(paper_type=rule.paper_type)
            self._s.add(row)
        row.years = rule.years
        row.basis = rule.basis
        row.updated_at = rule.updated_at
        row.updated_by = rule.updated_by

    # -- legal holds -----------------------------------------------------------------------

    def add_hold(self, hold: LegalHold) -> None:
        self._s.add(
            LegalHoldRow(
                id=hold.id,
                document_id=hold.document_id,
                owner_id=hold.owner_id,
                reason=hold.reason,
                placed_by=hold.placed_by,
                placed_at=hold.placed_at,
            )
        )

    def hold(self, hold_id: uuid.UUID) -> LegalHold | None:
        row = self._s.get(LegalHoldRow, hold_id)
        return None if row is None else _hold(row)

    def lift_hold(self, hold_id: uuid.UUID, by: str, at: datetime, reason: str) -> bool:
        result = self._s.execute(
            update(LegalHoldRow)
            .where(LegalHoldRow.id == hold_id, LegalHoldRow.lifted_at.is_(None))
            .values(lifted_by=by, lifted_at=at, lift_reason=reason)
        )
        return bool(getattr(result, "rowcount", 0))

    def holds(self, *, active_only: bool = False, limit: int = 500) -> list[LegalHold]:
        q = select(LegalHoldRow).order_by(LegalHoldRow.placed_at.desc()).limit(limit)
        if active_only:
            q = q.where(LegalHoldRow.lifted_at.is_(None))
        return [_hold(r) for r in self._s.scalars(q)]

    def holds_on(self, document_id: uuid.UUID) -> list[LegalHold]:
        """Active holds covering a document version: on any version of its lineage, or on
        its owner."""
        doc = self._s.get(DocumentRow, document_id)
        if doc is None:
            return []
        lineage = select(DocumentRow.id).where(DocumentRow.lineage_id == doc.lineage_id)
        rows = self._s.scalars(
            select(LegalHoldRow).where(
                LegalHoldRow.lifted_at.is_(None),
                or_(LegalHoldRow.document_id.in_(lineage), LegalHoldRow.owner_id == doc.owner_id),
            )
        )
        return [_hold(r) for r in rows]

    def owner_exists(self, owner_id: uuid.UUID) -> bool:
        return self._s.get(OwnerRow, owner_id) is not None

    def lineage_objects(self, document_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """(document id, object key) of every version of the document's lineage."""
        doc = self._s.get(DocumentRow, document_id)
        if doc is None:
            return []
        return self._objects(DocumentRow.lineage_id == doc.lineage_id)

    def owner_objects(self, owner_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        return self._objects(DocumentRow.owner_id == owner_id)

    def _objects(self, condition: Any) -> list[tuple[uuid.UUID, str]]:
        rows = self._s.execute(
            select(DocumentRow.id, BlobRow.object_key)
            .join(BlobRow, BlobRow.id == DocumentRow.blob_id)
            .where(condition)
            .where(~exists().where(TombstoneRow.document_id == DocumentRow.id))
        )
        return [(r.id, r.object_key) for r in rows]

    def list_job_status(self, batch_id: uuid.UUID, kind: str) -> str | None:
        """The status of the newest job of `kind` about the batch."""
        return self._s.scalar(
            select(JobRow.status)
            .where(JobRow.subject_type == "batch", JobRow.subject_id == batch_id)
            .where(JobRow.kind == kind)
            .order_by(JobRow.id.desc())
            .limit(1)
        )

    def held_sets(self) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
        """(lineages held, owners held) by active holds: small, read once per pass."""
        lineages = set(
            self._s.scalars(
                select(DocumentRow.lineage_id)
                .join(LegalHoldRow, LegalHoldRow.document_id == DocumentRow.id)
                .where(LegalHoldRow.lifted_at.is_(None))
            )
        )
        owners = set(
            self._s.scalars(
                select(LegalHoldRow.owner_id).where(
                    LegalHoldRow.lifted_at.is_(None), LegalHoldRow.owner_id.is_not(None)
                )
            )
        )
        return lineages, {o for o in owners if o is not None}

    # -- the disposal pass -----------------------------------------------------------------

    def stream_candidates(self, page: int) -> Iterator[list[Candidate]]:
        """Every document version not yet disposed of, in id order, a page at a time, read
        by one server-side cursor in this transaction's snapshot. Core rows, and the day of
        storage computed by the database: the ORM's row processing and a time-zone
        conversion per row would double the cost of a pass over millions."""
        if self.writes_while_reading():  # PostgreSQL
            stored_on: Any = cast(func.timezone("UTC", DocumentRow.created_at), Date)
        else:  # SQLite keeps naive UTC text
            stored_on = type_coerce(func.date(DocumentRow.created_at), Date)
        q = (
            select(*_CANDIDATE_COLUMNS[:5], stored_on)
            .where(~exists().where(TombstoneRow.document_id == DocumentRow.id))
            .order_by(DocumentRow.id)
        )
        result = self._s.connection().execution_options(yield_per=page).execute(q)
        for part in result.partitions():
            yield [Candidate(*r) for r in part]

    def writes_while_reading(self) -> bool:
        """Whether another transaction may commit while this one reads (not SQLite's
        single-writer file)."""
        return self._s.get_bind().dialect.name != "sqlite"

    def candidate(self, document_id: uuid.UUID) -> Candidate | None:
        r = self._s.execute(
            select(
                DocumentRow.id,
                DocumentRow.owner_id,
                DocumentRow.lineage_id,
                DocumentRow.paper_type,
                DocumentRow.issue_date,
                DocumentRow.created_at,
            ).where(DocumentRow.id == document_id)
        ).one_or_none()
        return None if r is None else _candidate(r)

    def add_batch(self, batch_id: uuid.UUID, as_of: date, listed_by: str | None) -> None:
        self._s.add(
            DisposalBatchRow(
                id=batch_id,
                status=BatchStatus.LISTED.value,
                as_of=as_of,
                examined=0,
                listed_by=listed_by,
            )
        )
        self._s.flush()

    def add_items(self, batch_id: uuid.UUID, items: Sequence[tuple[uuid.UUID, date]]) -> None:
        if items:
            self._s.execute(
                insert(DisposalItemRow),
                [{"batch_id": batch_id, "document_id": d, "retain_until": u} for d, u in items],
            )

    def set_examined(self, batch_id: uuid.UUID, examined: int) -> None:
        self._s.execute(
            update(DisposalBatchRow)
            .where(DisposalBatchRow.id == batch_id)
            .values(examined=examined)
        )

    def _batch(self, row: DisposalBatchRow) -> DisposalBatch:
        count = self._s.scalar(
            select(func.count())
            .select_from(DisposalItemRow)
            .where(DisposalItemRow.batch_id == row.id)
        )
        return DisposalBatch(
            row.id,
            BatchStatus(row.status),
            row.as_of,
            row.examined,
            row.listed_at,
            row.listed_by,
            row.decided_by,
            row.decided_at,
            row.decision_note,
            row.agency_code,
            row.disposed_at,
            row.record_blob_id,
            int(count or 0),
        )

    def batch(self, batch_id: uuid.UUID, *, lock: bool = False) -> DisposalBatch | None:
        q = select(DisposalBatchRow).where(DisposalBatchRow.id == batch_id)
        if lock:
            q = q.with_for_update()
        row = self._s.scalars(q).one_or_none()
        return None if row is None else self._batch(row)

    def batches(self, limit: int = 100) -> list[DisposalBatch]:
        rows = self._s.scalars(
            select(DisposalBatchRow).order_by(DisposalBatchRow.listed_at.desc()).limit(limit)
        )
        return [self._batch(r) for r in rows]

    def decide(self, batch_id: uuid.UUID, status: BatchStatus, **values: Any) -> None:
        self._s.execute(
            update(DisposalBatchRow)
            .where(DisposalBatchRow.id == batch_id)
            .values(status=status.value, **values)
        )

    def items(self, batch_id: uuid.UUID, limit: int | None = None) -> list[DisposalItem]:
        q = (
            select(
                DisposalItemRow.document_id,
                DisposalItemRow.retain_until,
                DocumentRow.owner_id,
                DocumentRow.paper_type,
                DocumentRow.version,
                BlobRow.sha256,
                BlobRow.size,
            )
            .join(DocumentRow, DocumentRow.id == DisposalItemRow.document_id)
            .join(BlobRow, BlobRow.id == DocumentRow.blob_id)
            .where(DisposalItemRow.batch_id == batch_id)
            .order_by(DisposalItemRow.document_id)
        )
        if limit is not None:
            q = q.limit(limit)
        return [
            DisposalItem(
                r.document_id, r.owner_id, r.paper_type, r.version, r.sha256, r.size, r.retain_until
            )
            for r in self._s.execute(q)
        ]

    # -- tombstones and crypto-shredding -----------------------------------------------------

    def shred(self, document_id: uuid.UUID, tombstone: Tombstone) -> str:
        """Writes the tombstone, then destroys the blob's wrapped data key (the database
        trigger allows that only under a tombstone). Returns the object key to delete."""
        self._s.add(
            TombstoneRow(
                document_id=tombstone.document_id,
                object_key=tombstone.object_key,
                sha256=tombstone.sha256,
                size=tombstone.size,
                paper_type=tombstone.paper_type,
                batch_id=tombstone.batch_id,
                approved_by=tombstone.approved_by,
                approved_at=tombstone.approved_at,
                disposed_at=tombstone.disposed_at,
            )
        )
        self._s.flush()
        blob_id = self._s.scalar(select(DocumentRow.blob_id).where(DocumentRow.id == document_id))
        self._s.execute(
            update(BlobRow)
            .where(BlobRow.id == blob_id)
            .values(key_id=SHREDDED_KEY_ID, wrapped_key=b"")
        )
        return tombstone.object_key

    def tombstone(self, document_id: uuid.UUID) -> Tombstone | None:
        row = self._s.get(TombstoneRow, document_id)
        return None if row is None else _tombstone(row)

    def tombstones(self, batch_id: uuid.UUID) -> list[Tombstone]:
        rows = self._s.scalars(
            select(TombstoneRow)
            .where(TombstoneRow.batch_id == batch_id)
            .order_by(TombstoneRow.document_id)
        )
        return [_tombstone(r) for r in rows]

    def protected_keys(self, keys: Iterable[str]) -> set[str]:
        """Of `keys`, those whose object a document version or a disposal record still
        needs: the object of a blob such a row references, with no tombstone for it."""
        wanted = list(keys)
        if not wanted:
            return set()
        documents = (
            select(BlobRow.object_key)
            .join(DocumentRow, DocumentRow.blob_id == BlobRow.id)
            .where(BlobRow.object_key.in_(wanted))
            .where(~exists().where(TombstoneRow.object_key == BlobRow.object_key))
        )
        records = (
            select(BlobRow.object_key)
            .join(DisposalBatchRow, DisposalBatchRow.record_blob_id == BlobRow.id)
            .where(BlobRow.object_key.in_(wanted))
        )
        return set(self._s.scalars(documents)) | set(self._s.scalars(records))

    def add_record_blob(self, blob: Blob, wrapped_key: bytes) -> None:
        self._s.execute(
            insert(BlobRow),
            [
                {
                    "id": blob.id,
                    "object_key": blob.object_key,
                    "size": blob.size,
                    "media_type": blob.media_type.value,
                    "sha256": blob.sha256,
                    "key_id": blob.key_id,
                    "wrapped_key": wrapped_key,
                    "created_at": datetime.now(UTC),
                }
            ],
        )

    def blob(self, blob_id: uuid.UUID) -> tuple[Blob, bytes] | None:
        row = self._s.get(BlobRow, blob_id)
        if row is None:
            return None
        return (
            Blob(
                row.id, row.object_key, row.size, MediaType(row.media_type), row.sha256, row.key_id
            ),
            row.wrapped_key,
        )

    def set_record(self, batch_id: uuid.UUID, blob_id: uuid.UUID) -> None:
        self._s.execute(
            update(DisposalBatchRow)
            .where(DisposalBatchRow.id == batch_id)
            .values(record_blob_id=blob_id)
        )

    # -- corrections -------------------------------------------------------------------------

    def add_correction(
        self,
        correction_id: uuid.UUID,
        original_id: uuid.UUID,
        corrected_id: uuid.UUID,
        reason: str,
        requested_by: str,
    ) -> None:
        self._s.add(
            CorrectionRow(
                id=correction_id,
                original_id=original_id,
                corrected_id=corrected_id,
                reason=reason,
                requested_by=requested_by,
            )
        )
