"""The audit chain (nhật ký truy cập): entries, the head row, and the timestamp anchors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from vault.audit_types import Anchor
from vault.db.anchor_models import AuditAnchorRow
from vault.db.models import AuditEntryRow, AuditHeadRow
from vault.domain import AuditEntry


def audit_from_row(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        client_id=row.client_id,
        agency_code=row.agency_code,
        role=row.role,
        action=row.action,
        owner_id=row.owner_id,
        document_id=row.document_id,
        dossier_id=row.dossier_id,
        purpose=row.purpose,
        outcome=row.outcome,
        detail=row.detail,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


# `append_after`'s statement: the entries' columns as arrays through unnest, one fixed text
# (nothing compiled per batch).
_APPEND_AFTER = text(
    "WITH moved AS (UPDATE audit_head SET seq = :new_seq, hash = :new_hash"
    " WHERE id = 1 AND seq = :old_seq AND hash = :old_hash RETURNING id)"
    " INSERT INTO audit_entries (seq, at, actor_id, actor_name, client_id, agency_code, role,"
    " action, owner_id, document_id, dossier_id, purpose, outcome, detail, prev_hash, hash)"
    " SELECT * FROM unnest("
    "CAST(:seq AS bigint[]), CAST(:at AS timestamptz[]), CAST(:actor_id AS varchar[]), "
    "CAST(:actor_name AS varchar[]), CAST(:client_id AS varchar[]), "
    "CAST(:agency_code AS varchar[]), CAST(:role AS varchar[]), CAST(:action AS varchar[]), "
    "CAST(:owner_id AS uuid[]), CAST(:document_id AS uuid[]), CAST(:dossier_id AS uuid[]), "
    "CAST(:purpose AS varchar[]), CAST(:outcome AS varchar[]), CAST(:detail AS varchar[]), "
    "CAST(:prev_hash AS varchar[]), CAST(:hash AS varchar[])"
    ") WHERE EXISTS (SELECT 1 FROM moved) RETURNING seq"
)


def _entry_values(e: AuditEntry) -> dict[str, object]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "client_id": e.client_id,
        "agency_code": e.agency_code,
        "role": e.role,
        "action": e.action,
        "owner_id": e.owner_id,
        "document_id": e.document_id,
        "dossier_id": e.dossier_id,
        "purpose": e.purpose,
        "outcome": e.outcome,
        "detail": e.detail,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


class AuditRepository:
    """Appends happen only through vault.audit.AuditLog, under the head lock."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def lock_head(self) -> tuple[int, str]:
        row = self._s.execute(
            select(AuditHeadRow.seq, AuditHeadRow.hash)
            .where(AuditHeadRow.id == 1)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise LookupError("the audit chain has no head row: run the migrations")
        return int(row.seq), str(row.hash)

    def append(self, entries: Sequence[AuditEntry]) -> None:
        # Core, not ORM units: one multi-row INSERT, which keeps the head lock short.
        self._s.execute(insert(AuditEntryRow), [_entry_values(e) for e in entries])
        last = entries[-1]
        self._s.execute(
            update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=last.seq, hash=last.hash)
        )

    def append_after(self, head: tuple[int, str], entries: Sequence[AuditEntry]) -> bool:
        """PostgreSQL: appends `entries`, which follow `head`, in one autocommitted
        statement (one round trip, durable when it returns): a CTE moves the head row from
        `head` to the last entry, and the rows are inserted only if it moved. False, with
        nothing written, when another writer moved the head first. Call it first thing on a
        fresh session."""
        if self._s.get_bind().dialect.name != "postgresql":
            return False
        connection = self._s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        last = entries[-1]
        rows = [_entry_values(e) for e in entries]
        # Column arrays through unnest: one fixed text, so nothing is compiled per batch.
        params: dict[str, object] = {n: [r[n] for r in rows] for n in rows[0]}
        params.update(old_seq=head[0], old_hash=head[1], new_seq=last.seq, new_hash=last.hash)
        inserted = connection.execute(_APPEND_AFTER, params).all()
        return len(inserted) == len(entries)

    def head(self) -> tuple[int, str]:
        row = self._s.get(AuditHeadRow, 1)
        if row is None:
            raise LookupError("the audit chain has no head row: run the migrations")
        return row.seq, row.hash

    def iter_all(self, batch: int = 5000) -> Iterator[AuditEntry]:
        last = 0
        while True:
            rows = list(
                self._s.scalars(
                    select(AuditEntryRow)
                    .where(AuditEntryRow.seq > last)
                    .order_by(AuditEntryRow.seq)
                    .limit(batch)
                )
            )
            if not rows:
                return
            yield from (audit_from_row(r) for r in rows)
            last = rows[-1].seq

    def for_owner(
        self, owner_id: uuid.UUID, *, before_seq: int | None, limit: int
    ) -> list[AuditEntry]:
        q = select(AuditEntryRow).where(AuditEntryRow.owner_id == owner_id)
        if before_seq is not None:
            q = q.where(AuditEntryRow.seq < before_seq)
        rows = self._s.scalars(q.order_by(AuditEntryRow.seq.desc()).limit(limit))
        return [audit_from_row(r) for r in rows]

    def count(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(AuditEntryRow)) or 0)

    def hash_at(self, seq: int) -> str | None:
        return self._s.scalar(select(AuditEntryRow.hash).where(AuditEntryRow.seq == seq))

    def latest_anchor_seq(self) -> int | None:
        return self._s.scalar(select(func.max(AuditAnchorRow.seq)))

    def add_anchor(self, anchor: Anchor) -> None:
        self._s.add(
            AuditAnchorRow(
                seq=anchor.seq,
                hash=anchor.hash,
                tsa_url=anchor.tsa_url,
                token=anchor.token,
                gen_time=anchor.gen_time,
            )
        )

    def anchors(self) -> list[Anchor]:
        rows = self._s.scalars(select(AuditAnchorRow).order_by(AuditAnchorRow.seq))
        return [Anchor(r.seq, r.hash, r.tsa_url, r.token, r.gen_time) for r in rows]
