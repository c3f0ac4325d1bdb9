"""Reading and recording signature verdicts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vault.db.signature_models import SignatureCheckRow
from vault.domain import SignatureCheck, SignatureStatus


class SignatureCheckRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def latest(self, document_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SignatureCheck]:
        if not document_ids:
            return {}
        # Columns, not ORM rows: `record` writes with a Core upsert, which the session's
        # identity map would not see.
        rows = self._session.execute(
            select(
                SignatureCheckRow.document_id,
                SignatureCheckRow.sha256,
                SignatureCheckRow.status,
                SignatureCheckRow.detail,
                SignatureCheckRow.signer,
                SignatureCheckRow.checked_at,
            ).where(SignatureCheckRow.document_id.in_(document_ids))
        )
        return {
            row.document_id: SignatureCheck(
                row.document_id,
                row.sha256,
                SignatureStatus(row.status),
                row.detail,
                row.signer,
                row.checked_at,
            )
            for row in rows
        }

    def record(self, check: SignatureCheck) -> None:
        """Insert or replace, in one statement: two requests judging the same paper for the
        first time must not collide on the key (the later verdict wins)."""
        values = {
            "document_id": check.document_id,
            "sha256": check.sha256,
            "status": check.status.value,
            "detail": check.detail,
            "signer": check.signer,
            "checked_at": check.checked_at,
        }
        dialect = self._session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(SignatureCheckRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[SignatureCheckRow.document_id],
            set_={k: v for k, v in values.items() if k != "document_id"},
        )
        self._session.execute(statement)
