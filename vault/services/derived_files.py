"""Files made from a document (a searchable PDF): encrypted like any blob, linked to the
document, never a replacement of its content."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from vault import crypto
from vault.db import UnitOfWork
from vault.domain import Blob, Document, MediaType, new_id
from vault.errors import IntegrityFailure
from vault.services.documents import object_key
from vault.texts import DerivedFile, DerivedKind


class DerivedFileService:
    def __init__(self, keyring: crypto.Keyring) -> None:
        self._keyring = keyring

    def store(
        self,
        uow: UnitOfWork,
        document: Document,
        kind: DerivedKind,
        data: bytes,
        media_type: MediaType,
    ) -> DerivedFile:
        """Encrypts `data` under a fresh data key and links it to `document`, replacing an
        earlier file of the same kind (its object is left to `vault reconcile`)."""
        uow.derived_files.remove(document.id, kind)
        blob_id = new_id()
        key = object_key(blob_id)
        data_key = os.urandom(32)
        key_id, wrapped = self._keyring.wrap(blob_id, data_key)
        reader = crypto.EncryptingReader(io.BytesIO(data), data_key, max_size=len(data))
        uow.wrote_object(key)  # deleted again if the transaction rolls back
        uow.blobs.put(key, reader, crypto.ciphertext_size(len(data)))
        blob = Blob(blob_id, key, len(data), media_type, reader.result.sha256, key_id)
        derived = DerivedFile(new_id(), document.id, kind, blob, datetime.now(UTC))
        uow.derived_files.add(derived, wrapped)
        return derived

    def find(
        self, uow: UnitOfWork, document_id: uuid.UUID, kind: DerivedKind
    ) -> DerivedFile | None:
        """The document's derived file of this kind, if one was made. The caller has checked
        that the reader may see the document."""
        return uow.derived_files.get(document_id, kind)

    def read(self, uow: UnitOfWork, derived: DerivedFile) -> Iterator[bytes]:
        """The plaintext, checked against its recorded SHA-256 before the last byte goes out.
        The caller has checked that the reader may see the document."""
        blob = derived.blob
        try:
            data_key = self._keyring.unwrap(
                blob.id, blob.key_id, uow.documents.wrapped_key(blob.id)
            )
        except LookupError as exc:
            raise IntegrityFailure("the derived file's blob record is missing") from exc
        header = b"".join(uow.blobs.get(blob.object_key, 0, crypto.HEADER_SIZE))
        body = uow.blobs.get(blob.object_key, crypto.HEADER_SIZE)
        return crypto.decrypt_chunks(
            header, body, data_key, plaintext_size=blob.size, expected_sha256=blob.sha256
        )
