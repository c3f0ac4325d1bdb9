"""Where a download goes: a path (written to a temporary file beside it and moved into place
only when complete and checked) or a writable binary stream."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, TypeAlias

from vault_client._exceptions import ContentIntegrityError


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a finished download wrote."""

    path: Path | None
    size: int
    media_type: str
    sha256: str
    verified: bool


class Writable(Protocol):
    def write(self, data: bytes, /) -> int | None: ...


DownloadTarget: TypeAlias = str | os.PathLike[str] | Writable

_SHA256_ETAG = re.compile(r'^"([0-9a-f]{64})"$')


def sha256_of_etag(etag: str | None) -> str | None:
    """The vault's ETag is the quoted SHA-256 of the content; None for any other ETag."""
    if etag is None:
        return None
    m = _SHA256_ETAG.match(etag.strip())
    return m[1] if m else None


class Sink:
    """Writes the content, hashing it on the way, and can start over when a resumed
    download has to be sent again from the first byte."""

    def __init__(self, target: DownloadTarget) -> None:
        self.path: Path | None = None
        self._temp: IO[bytes] | None = None
        self._stream: Writable | None = None
        self._start: int | None = None
        if isinstance(target, str | os.PathLike):
            self.path = Path(target)
            fd, name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent or "."
            )
            self._temp = os.fdopen(fd, "wb")
            self._temp_path = Path(name)
        elif hasattr(target, "write"):
            self._stream = target
            with contextlib.suppress(AttributeError, OSError, ValueError):
                if target.seekable():  # type: ignore[attr-defined]
                    self._start = target.tell()  # type: ignore[attr-defined]
        else:
            raise TypeError("download to a path or a writable binary stream")
        self.written = 0
        self._hash = hashlib.sha256()

    @property
    def restartable(self) -> bool:
        return self._temp is not None or self._start is not None

    def write(self, chunk: bytes) -> None:
        if self._temp is not None:
            self._temp.write(chunk)
        else:
            assert self._stream is not None
            self._stream.write(chunk)
        self._hash.update(chunk)
        self.written += len(chunk)

    def restart(self) -> None:
        if self._temp is not None:
            self._temp.seek(0)
            self._temp.truncate()
        else:
            stream = self._stream
            stream.seek(self._start)  # type: ignore[union-attr]
            stream.truncate()  # type: ignore[union-attr]
        self.written = 0
        self._hash = hashlib.sha256()

    def finish(self, expected_sha256: str | None, *, verify: bool) -> tuple[str, bool]:
        """Checks the content and puts a path in place; returns (sha256, verified)."""
        actual = self._hash.hexdigest()
        checked = verify and expected_sha256 is not None
        if checked and actual != expected_sha256:
            raise ContentIntegrityError(expected_sha256 or "", actual)
        if self._temp is not None and self.path is not None:
            self._temp.close()
            os.replace(self._temp_path, self.path)
            self._temp = None
        return actual, checked

    def abort(self) -> None:
        """Leaves nothing half-written at the destination path."""
        if self._temp is not None:
            self._temp.close()
            with contextlib.suppress(FileNotFoundError):
                self._temp_path.unlink()
            self._temp = None
