"""Reading a stored paper's plaintext back: the one service that unwraps a blob's data key and
decrypts its chunks (whole or a byte range). Uploads (`DocumentService`) and signature checks
(`SignatureService`) both read through it, so neither needs the other to get at content."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vault import crypto
from vault.domain import Document
from vault.errors import IntegrityFailure, RangeNotSatisfiable
from vault.retention import SHREDDED_KEY_ID, DocumentDisposed

if TYPE_CHECKING:
    from vault.db import UnitOfWork


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Plaintext bytes [start, end)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ContentStream:
    document: Document
    range: ByteRange | None  # None: the whole content
    chunks: Iterator[bytes]

    @property
    def length(self) -> int:
        if self.range is None:
            return self.document.blob.size
        return self.range.end - self.range.start


class ContentReader:
    def __init__(self, keyring: crypto.Keyring) -> None:
        self._keyring = keyring

    def read(
        self, uow: UnitOfWork, document: Document, byte_range: ByteRange | None = None
    ) -> ContentStream:
        """The content of a document already authorised (or read by the system itself). The
        first bytes are fetched before returning, so a missing object fails here, not
        halfway through a response."""
        blob = document.blob
        if blob.key_id == SHREDDED_KEY_ID:
            raise DocumentDisposed("this document version was disposed of; its tombstone remains")
        try:
            data_key = self._keyring.unwrap(
                blob.id, blob.key_id, uow.documents.wrapped_key(blob.id)
            )
        except LookupError as exc:
            raise IntegrityFailure("the document's blob record is missing") from exc
        if byte_range is not None:
            if not (0 <= byte_range.start < byte_range.end <= blob.size):
                raise RangeNotSatisfiable("the range is outside the content", blob.size)
            if (byte_range.start, byte_range.end) == (0, blob.size):
                byte_range = None
        if byte_range is None:
            body = uow.blobs.get(blob.object_key)
            header = _take(body, crypto.HEADER_SIZE)
            chunks = crypto.decrypt_chunks(
                header.head,
                header.rest,
                data_key,
                plaintext_size=blob.size,
                expected_sha256=blob.sha256,
            )
        else:
            header_bytes = b"".join(uow.blobs.get(blob.object_key, 0, crypto.HEADER_SIZE))
            chunk_size, _ = crypto.parse_header(header_bytes)
            offset, length = crypto.chunk_span(
                blob.size, byte_range.start, byte_range.end, chunk_size
            )
            chunks = crypto.decrypt_chunks(
                header_bytes,
                uow.blobs.get(blob.object_key, offset, length),
                data_key,
                plaintext_size=blob.size,
                start=byte_range.start,
                end=byte_range.end,
            )
        return ContentStream(document, byte_range, chunks)


@dataclass
class _Split:
    head: bytes
    rest: Iterator[bytes]


def _take(stream: Iterator[bytes], n: int) -> _Split:
    """Splits the first n bytes off a chunk stream."""
    buffer = b""
    for piece in stream:
        buffer += piece
        if len(buffer) >= n:
            break
    if len(buffer) < n:
        raise IntegrityFailure("stored object has no complete header")

    def rest() -> Iterator[bytes]:
        if len(buffer) > n:
            yield buffer[n:]
        yield from stream

    return _Split(buffer[:n], rest())
