"""The blob store interface. Adapters store opaque, already encrypted bytes under opaque keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from vault.errors import IntegrityFailure

READ_SIZE = 256 * 1024


class ObjectMissing(IntegrityFailure):
    """A key that should be in the store is not."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class BlobStore(Protocol):
    def put(self, key: str, data: Readable, length: int) -> None:
        """Stores exactly `length` bytes from `data`; the object appears whole or not at all."""
        ...

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Streams the object's bytes [offset, offset + length). Raises ObjectMissing."""
        ...

    def delete(self, key: str) -> None:
        """Removes the object; a missing key is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[StoredObject]: ...

    def check(self) -> None:
        """Raises StorageUnavailable unless the store can be read and written."""
        ...


class LockingStore(Protocol):
    """A store that can lock objects itself (S3 Object Lock): a second line of defence."""

    object_lock: bool

    def lock(self, key: str, until: datetime) -> None: ...

    def legal_hold(self, key: str, on: bool) -> None: ...
