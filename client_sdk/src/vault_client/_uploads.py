"""Streaming uploads from a path, a file object or bytes, with progress: multipart, or the
raw file with its metadata in a header (`RawUpload`, how documents are stored).

httpx's own multipart encoder measures a file object with fstat, which counts from byte 0
even when the object is positioned further on, and cannot report progress. This encoder
sends exactly the bytes from the source's position to its end, in CHUNK_SIZE pieces, and
rewinds the source for a retry. Nothing is read whole.
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeAlias

from vault_client._constants import CHUNK_SIZE

# A path, an open binary file (or any object with read()), or the bytes themselves.
FileSource: TypeAlias = str | os.PathLike[str] | BinaryIO | bytes
# Called as (bytes done, total bytes or None when unknown) after each piece.
ProgressCallback: TypeAlias = Callable[[int, int | None], None]


class UploadSource:
    """A file to upload that can be read again from the start for each attempt."""

    def __init__(
        self, source: FileSource, *, filename: str | None, content_type: str | None
    ) -> None:
        self._path: Path | None = None
        self._file: BinaryIO | None = None
        self._start = 0
        self.size: int | None = None
        self.rewindable = True
        if isinstance(source, bytes | bytearray | memoryview):
            self._file = io.BytesIO(source)
            self.size = len(source)
            default_name = "upload"
        elif isinstance(source, str | os.PathLike):
            self._path = Path(source)
            self.size = self._path.stat().st_size  # fails early for a missing file
            default_name = self._path.name
        elif isinstance(source, io.TextIOBase):
            raise TypeError("open the file in binary mode ('rb') to upload it")
        elif hasattr(source, "read"):
            self._file = source
            self._start, self.size, self.rewindable = _measure(source)
            default_name = Path(str(getattr(source, "name", "upload"))).name or "upload"
        else:
            raise TypeError("upload a path, a binary file object or bytes")
        self.filename = filename or default_name
        self.content_type = (
            content_type or mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        )

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The source positioned at its start; a path is opened (and closed) here."""
        if self._path is not None:
            with self._path.open("rb") as f:
                yield f
            return
        assert self._file is not None
        if self.rewindable:
            self._file.seek(self._start)
        yield self._file


def _measure(f: BinaryIO) -> tuple[int, int | None, bool]:
    """(start position, bytes from there to the end, seekable?) of a file object."""
    try:
        if not f.seekable():
            return 0, None, False
        start = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(start)
    except (AttributeError, OSError, ValueError):
        return 0, None, False
    return start, end - start, True


def _quote(value: str) -> str:
    # The HTML5 form encoding of a name in Content-Disposition (what browsers send).
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class Multipart:
    """A multipart/form-data body: text fields, then one or more files, streamed in order.

    `on_progress(sent, total)` counts the files' bytes together (total None when any of
    them is a stream of unknown length)."""

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        files: Sequence[tuple[str, UploadSource]],
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if not files:
            raise ValueError("a multipart upload needs at least one file")
        boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self._fields = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields
        )
        # Each file's part header; every file after the first is preceded by the CRLF that
        # ends the previous file's bytes.
        self._files = [
            (
                (b"\r\n" if index else b"")
                + f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(field)}"; '
                f'filename="{_quote(source.filename)}"\r\n'
                f"Content-Type: {source.content_type}\r\n\r\n".encode(),
                source,
            )
            for index, (field, source) in enumerate(files)
        ]
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self._on_progress = on_progress

    @property
    def sources(self) -> list[UploadSource]:
        return [source for _, source in self._files]

    @property
    def rewindable(self) -> bool:
        """Whether every file can be sent again from its start (for a retry)."""
        return all(source.rewindable for source in self.sources)

    @property
    def total(self) -> int | None:
        """The files' bytes together, or None when one of them has no known length."""
        sizes = [source.size for source in self.sources]
        return None if any(size is None for size in sizes) else sum(s or 0 for s in sizes)

    @property
    def content_length(self) -> int | None:
        total = self.total
        if total is None:
            return None  # sent chunked
        heads = sum(len(head) for head, _ in self._files)
        return len(self._fields) + heads + total + len(self._tail)

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        length = self.content_length
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    def _body(self) -> Iterator[bytes]:
        total = self.total
        done = 0
        if self._on_progress is not None:
            self._on_progress(0, total)
        yield self._fields
        for head, source in self._files:
            yield head
            with source.open() as f:
                for chunk in _read(f, source.size):
                    done += len(chunk)
                    yield chunk
                    if self._on_progress is not None:
                        self._on_progress(done, total)
        yield self._tail

    def __iter__(self) -> Iterator[bytes]:
        return self._body()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Blocking reads of local files, CHUNK_SIZE at a time: microseconds each from the
        # page cache, and it keeps the SDK free of a thread pool or an async file library.
        for chunk in self._body():
            yield chunk


def _read(f: BinaryIO, size: int | None) -> Iterator[bytes]:
    """The source's bytes in CHUNK_SIZE pieces: `size` of them, or to its end when None."""
    done = 0
    while size is None or done < size:
        want = CHUNK_SIZE if size is None else min(CHUNK_SIZE, size - done)
        chunk = f.read(want)
        if not chunk:
            break  # a short source: h11 refuses a body shorter than Content-Length
        done += len(chunk)
        yield chunk


# The header a raw document upload carries its metadata in (JSON, ASCII).
METADATA_HEADER = "Document-Metadata"


class RawUpload:
    """A file sent as the request body itself, its metadata as JSON in a header: no
    multipart framing for the server to parse, and the metadata is checked before the first
    byte of the file is read. `json.dumps` writes non-ASCII text as \\u escapes, so the
    header is ASCII as HTTP wants it."""

    def __init__(
        self,
        metadata: dict[str, str],
        source: UploadSource,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._metadata = json.dumps(metadata, separators=(",", ":"))
        self._source = source
        self._on_progress = on_progress
        self.content_type = source.content_type

    @property
    def rewindable(self) -> bool:
        return self._source.rewindable

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type, METADATA_HEADER: self._metadata}
        if self._source.size is not None:
            headers["Content-Length"] = str(self._source.size)
        return headers

    def _body(self) -> Iterator[bytes]:
        total = self._source.size
        done = 0
        if self._on_progress is not None:
            self._on_progress(0, total)
        with self._source.open() as f:
            for chunk in _read(f, total):
                done += len(chunk)
                yield chunk
                if self._on_progress is not None:
                    self._on_progress(done, total)

    def __iter__(self) -> Iterator[bytes]:
        return self._body()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._body():  # as Multipart: blocking reads of local files
            yield chunk
