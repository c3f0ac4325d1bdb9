"""The one gate every object deletion of the vault passes through.

The unit of work factory hands out the blob store wrapped in `RetentionGuard`, so whatever
deletes an object (a rolled-back upload, `vault reconcile`, staged-scan cleanup, disposal, a
command or route added later) asks the same question first: does a document version (or a
disposal record) still need this object? Only a disposal tombstone, written after an approved
disposal, answers no for a document's object. The database refuses the rest on its own
(migration 0017: document rows are never deleted, a data key is destroyed only under a
tombstone), and on MinIO the bucket's Object Lock is a third line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from vault.db.retention_repository import RetentionRepository
from vault.retention import RetainedRecord
from vault.storage.base import BlobStore, Readable, StoredObject

log = logging.getLogger(__name__)


class RetentionGuard:
    """A `BlobStore` whose `delete` refuses the object of a retained record."""

    def __init__(self, inner: BlobStore, sessions: sessionmaker[Session]) -> None:
        self.inner = inner
        self._sessions = sessions

    def protected(self, keys: list[str]) -> set[str]:
        with self._sessions() as session:
            return RetentionRepository(session).protected_keys(keys)

    def delete(self, key: str) -> None:
        if self.protected([key]):
            log.warning("refused to delete a retained object: %s", key)
            raise RetainedRecord(
                "this object belongs to a retained document version: only an approved "
                "disposal removes it"
            )
        self.inner.delete(key)

    def put(self, key: str, data: Readable, length: int) -> None:
        self.inner.put(key, data, length)

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        return self.inner.get(key, offset, length)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        return self.inner.list(prefix)

    def check(self) -> None:
        self.inner.check()

    # -- S3 Object Lock, where the store has it ----------------------------------------------

    @property
    def object_lock(self) -> bool:
        return bool(getattr(self.inner, "object_lock", False))

    def lock(self, key: str, until: datetime) -> None:
        if self.object_lock:
            self.inner.lock(key, until)  # type: ignore[attr-defined]

    def legal_hold(self, key: str, on: bool) -> None:
        if self.object_lock:
            self.inner.legal_hold(key, on)  # type: ignore[attr-defined]
