"""A local folder as object store: the embedded default, no server to install."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from vault.errors import StorageUnavailable
from vault.storage.base import READ_SIZE, ObjectMissing, Readable, StoredObject


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._tmp = self.root / ".incoming"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path.is_relative_to(self._tmp):
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: Readable, length: int) -> None:
        target = self._path(key)
        # Written aside, then renamed: a crash never leaves a half object under its real key.
        tmp = self._tmp / uuid.uuid4().hex
        try:
            with tmp.open("wb") as out:
                remaining = length
                while remaining:
                    piece = data.read(min(READ_SIZE, remaining))
                    if not piece:
                        raise OSError(f"source ended {remaining} bytes early")
                    out.write(piece)
                    remaining -= len(piece)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        except OSError as exc:
            raise StorageUnavailable(f"could not store object: {exc.strerror or exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ObjectMissing(f"object {key} is missing from the store") from exc
        return self._read(handle, offset, length)

    @staticmethod
    def _read(handle: BinaryIO, offset: int, length: int | None) -> Iterator[bytes]:
        with handle:
            handle.seek(offset)
            remaining = length
            while remaining is None or remaining > 0:
                piece = handle.read(READ_SIZE if remaining is None else min(READ_SIZE, remaining))
                if not piece:
                    return
                if remaining is not None:
                    remaining -= len(piece)
                yield piece

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != self._tmp]
            for name in filenames:
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    st = path.stat()
                    yield StoredObject(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def check(self) -> None:
        probe = self._tmp / f"probe-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(f"object folder is not writable: {exc}") from exc

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free
