"""Derived files of documents: each a link from the document to its own blob row."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from vault.db.derived_models import DerivedFileRow
from vault.db.models import BlobRow
from vault.db.repositories import blob_from_row
from vault.texts import DerivedFile, DerivedKind


class DerivedFileRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, derived: DerivedFile, wrapped_key: bytes) -> None:
        b = derived.blob
        self._s.execute(
            insert(BlobRow),
            [
                {
                    "id": b.id,
                    "object_key": b.object_key,
                    "size": b.size,
                    "media_type": b.media_type.value,
                    "sha256": b.sha256,
                    "key_id": b.key_id,
                    "wrapped_key": wrapped_key,
                    "created_at": derived.created_at,
                }
            ],
        )
        self._s.execute(
            insert(DerivedFileRow),
            [
                {
                    "id": derived.id,
                    "document_id": derived.document_id,
                    "kind": derived.kind.value,
                    "blob_id": b.id,
                    "created_at": derived.created_at,
                }
            ],
        )

    def get(self, document_id: uuid.UUID, kind: DerivedKind) -> DerivedFile | None:
        row = self._s.execute(
            select(DerivedFileRow, BlobRow)
            .join(BlobRow, BlobRow.id == DerivedFileRow.blob_id)
            .where(DerivedFileRow.document_id == document_id, DerivedFileRow.kind == kind.value)
        ).one_or_none()
        if row is None:
            return None
        link, blob = row
        return DerivedFile(link.id, link.document_id, kind, blob_from_row(blob), link.created_at)

    def remove(self, document_id: uuid.UUID, kind: DerivedKind) -> str | None:
        """Drops the link and its blob row; returns the object key, which `vault reconcile`
        removes from the store once no row names it."""
        found = self.get(document_id, kind)
        if found is None:
            return None
        self._s.execute(delete(DerivedFileRow).where(DerivedFileRow.id == found.id))
        self._s.execute(delete(BlobRow).where(BlobRow.id == found.blob.id))
        return found.blob.object_key
