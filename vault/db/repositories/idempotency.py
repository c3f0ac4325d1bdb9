"""Upload idempotency keys (Idempotency-Key): a retried upload replays, never stores twice."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from vault.db.models import IdempotencyKeyRow


class IdempotencyKeyRepository:
    """Keys a client sent with its uploads, each with the request it was first used for."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def hold(self, account_id: uuid.UUID, key: str) -> None:
        """Until this transaction ends, a second request with the same key waits here (it
        then finds the first one's result): on PostgreSQL a transaction-scoped advisory lock.
        SQLite has one writer at a time anyway."""
        if self._s.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.sha256(f"idempotency|{account_id}|{key}".encode()).digest()
        self._s.execute(
            text("SELECT pg_advisory_xact_lock(:k)"),
            {"k": int.from_bytes(digest[:8], "big", signed=True)},
        )

    def get(self, account_id: uuid.UUID, key: str) -> tuple[str, uuid.UUID] | None:
        row = self._s.get(IdempotencyKeyRow, (account_id, key))
        return (row.request, row.document_id) if row else None

    def remember(
        self, account_id: uuid.UUID, key: str, request: str, document_id: uuid.UUID
    ) -> None:
        self._s.add(
            IdempotencyKeyRow(
                account_id=account_id, key=key, request=request, document_id=document_id
            )
        )
