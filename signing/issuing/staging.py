"""Scans kept between a certified copy's preview and its signing (bản chụp lưu tạm).

The officer chooses the scans once: the preview stages them, and signing takes them from the
stage instead of asking for the files again. A stage is one object in the vault's object
store, encrypted like every blob (a fresh data key wrapped by the master key, AES-256-GCM in
chunks: `vault.crypto`), under a random key that names no one; its row says whose it is
(the officer's account, the owner's opaque id) and until when. Only the officer who staged
it may use it, for the same owner, until it expires (`STAGE_TTL`); expired stages are
purged, rows and objects, whenever scans are staged.
"""

from __future__ import annotations

import io
import os
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from signing.issuing.db.staging_repository import StagedScansRecord, StagingRepository
from vault import crypto
from vault.access import audit_draft
from vault.auth import Actor, Role
from vault.domain import new_id
from vault.errors import IntegrityFailure, InvalidInput
from vault.storage.base import ObjectMissing

STAGE_TTL = timedelta(minutes=30)
PURGE_BATCH = 50
_LENGTH = struct.Struct(">Q")

if TYPE_CHECKING:
    from vault.services import UnitOfWork


class StageExpired(InvalidInput):
    """The staged scans are gone (expired, used, or never this officer's): choose again."""

    def __init__(self) -> None:
        super().__init__(
            "staged_scans", "the scans chosen for the preview have expired; choose them again"
        )


@dataclass(frozen=True)
class StagedScans:
    id: uuid.UUID
    files: list[bytes]
    expires_at: datetime


def _bundle(files: Sequence[bytes]) -> bytes:
    return b"".join(_LENGTH.pack(len(f)) + f for f in files)


def _unbundle(data: bytes, count: int) -> list[bytes]:
    files, at = [], 0
    for _ in range(count):
        (size,) = _LENGTH.unpack_from(data, at)
        at += _LENGTH.size
        files.append(data[at : at + size])
        at += size
    if at != len(data) or len(files) != count:
        raise IntegrityFailure("the staged scans are not in the format they were written in")
    return files


class ScanStaging:
    def __init__(
        self,
        keyring: crypto.Keyring,
        *,
        ttl: timedelta = STAGE_TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._keyring = keyring
        self._ttl = ttl
        self._clock = clock

    def stage(
        self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID, files: Sequence[bytes]
    ) -> StagedScans:
        """Keeps `files` (already checked by the preview that built a copy from them) for
        this officer and owner. The object is deleted again if the transaction rolls back."""
        actor.require(Role.CERTIFYING_OFFICER)
        self.purge_expired(uow)
        staged_id = new_id()
        key = f"staging/{uuid.uuid4().hex}"  # random: nothing about the owner or the paper
        data = _bundle(files)
        data_key = os.urandom(32)
        key_id, wrapped = self._keyring.wrap(staged_id, data_key)
        reader = crypto.EncryptingReader(io.BytesIO(data), data_key, max_size=len(data))
        uow.wrote_object(key)
        uow.blobs.put(key, reader, crypto.ciphertext_size(len(data)))
        now = self._clock()
        record = StagedScansRecord(
            id=staged_id,
            account_id=actor.account_id,
            owner_id=owner_id,
            object_key=key,
            files=len(files),
            size=len(data),
            sha256=reader.result.sha256,
            key_id=key_id,
            wrapped_key=wrapped,
            created_at=now,
            expires_at=now + self._ttl,
        )
        uow.repository(StagingRepository).add(record)
        uow.flush()
        uow.record(
            audit_draft(
                actor,
                "certified_copy.scans_staged",
                owner_id=owner_id,
                detail=f"{len(files)} scan file(s) kept until {record.expires_at:%H:%M} UTC",
            )
        )
        return StagedScans(staged_id, list(files), record.expires_at)

    def _own(self, uow: UnitOfWork, actor: Actor, staged_id: uuid.UUID) -> StagedScansRecord:
        record = uow.repository(StagingRepository).get(staged_id)
        # Someone else's stage is answered as a missing one: it says nothing about it.
        if record is None or record.account_id != actor.account_id:
            raise StageExpired()
        return record

    def load(
        self, uow: UnitOfWork, actor: Actor, staged_id: uuid.UUID, owner_id: uuid.UUID
    ) -> StagedScans:
        """The scans this officer staged for this owner, if they have not expired."""
        actor.require(Role.CERTIFYING_OFFICER)
        record = self._own(uow, actor, staged_id)
        if record.expires_at <= self._clock():
            raise StageExpired()
        if record.owner_id != owner_id:
            raise InvalidInput("staged_scans", "the scans were chosen for another owner")
        data_key = self._keyring.unwrap(record.id, record.key_id, record.wrapped_key)
        try:
            header = b"".join(uow.blobs.get(record.object_key, 0, crypto.HEADER_SIZE))
            body = uow.blobs.get(record.object_key, crypto.HEADER_SIZE)
            data = b"".join(
                crypto.decrypt_chunks(
                    header,
                    body,
                    data_key,
                    plaintext_size=record.size,
                    expected_sha256=record.sha256,
                )
            )
        except ObjectMissing as exc:  # purged under a row a rollback kept
            raise StageExpired() from exc
        return StagedScans(record.id, _unbundle(data, record.files), record.expires_at)

    def discard(self, uow: UnitOfWork, actor: Actor, staged_id: uuid.UUID) -> None:
        """Drops this officer's stage (used, or replaced by other scans); the object goes
        with it. Someone else's stage, or none, is left alone."""
        record = uow.repository(StagingRepository).get(staged_id)
        if record is None or record.account_id != actor.account_id:
            return
        self._remove(uow, record)

    def purge_expired(self, uow: UnitOfWork, limit: int = PURGE_BATCH) -> int:
        """Removes up to `limit` expired stages, rows and objects; returns how many."""
        expired = uow.repository(StagingRepository).expired(self._clock(), limit)
        for record in expired:
            self._remove(uow, record)
        return len(expired)

    @staticmethod
    def _remove(uow: UnitOfWork, record: StagedScansRecord) -> None:
        uow.repository(StagingRepository).remove(record.id)
        # Deleted now: if the transaction then rolls back, the row stays and the next load
        # finds no object, which it answers as an expired stage (and the purge removes it).
        uow.blobs.delete(record.object_key)
