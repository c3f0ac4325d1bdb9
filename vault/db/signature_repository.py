"""Reading and recording signature verdicts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.signature_models import SignatureCheckRow
from vault.domain import SignatureCheck, SignatureStatus


class SignatureCheckRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def latest(self, document_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SignatureCheck]:
        if not document_ids:
            return {}
        rows = self._session.scalars(
            select(SignatureCheckRow).where(SignatureCheckRow.document_id.in_(document_ids))
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
        row = self._session.get(SignatureCheckRow, check.document_id)
        if row is None:
            row = SignatureCheckRow(document_id=check.document_id)
            self._session.add(row)
        row.sha256 = check.sha256
        row.status = check.status.value
        row.detail = check.detail
        row.signer = check.signer
        row.checked_at = check.checked_at
