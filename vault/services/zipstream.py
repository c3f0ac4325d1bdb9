"""A zip written as a stream, whose exact size is known before the first byte.

An export package is stored (S3 or a folder) from a stream of unknown content but known
length: every entry is stored uncompressed (papers are PDFs and images, compressed already)
in ZIP64 form with a data descriptor after its data, so nothing is ever seeked back to, and
the total size follows from the names and sizes alone (`zip_size`). The CRC-32 of each entry
is computed as its bytes pass. Any zip reader (Python's zipfile, unzip, 7-Zip) reads it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_DESCRIPTOR = struct.Struct("<IIQQ")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")
_LOCAL_EXTRA = struct.Struct("<HHQQ")  # zip64: sizes (zero: they follow the data)
_CENTRAL_EXTRA = struct.Struct("<HHQQQ")  # zip64: size, compressed size, header offset

_FLAGS = 0x0808  # bit 3: sizes in a data descriptor; bit 11: UTF-8 names
_VERSION = 45  # ZIP64
_FULL = 0xFFFFFFFF
# 1 January 2026 00:00 (entries carry no meaningful time: the manifest has the dates).
_DOS_TIME, _DOS_DATE = 0, ((2026 - 1980) << 9) | (1 << 5) | 1


@dataclass(frozen=True)
class Entry:
    """One file of the zip: its name, its exact size, and its bytes when asked for."""

    name: str
    size: int
    content: Callable[[], Iterable[bytes]]


def zip_size(entries: Iterable[tuple[str, int]]) -> int:
    """The exact size of the zip `stream_zip` writes for these (name, size) entries."""
    total = _ZIP64_END.size + _ZIP64_LOCATOR.size + _END.size
    for name, size in entries:
        n = len(name.encode())
        total += _LOCAL.size + n + _LOCAL_EXTRA.size + size + _DESCRIPTOR.size
        total += _CENTRAL.size + n + _CENTRAL_EXTRA.size
    return total


def stream_zip(entries: Iterable[Entry]) -> Iterator[bytes]:
    """The zip's bytes, entry by entry. Raises ValueError if an entry's content is not the
    size it declared (the zip's size would then be wrong)."""
    central: list[bytes] = []
    offset = 0
    for entry in entries:
        name = entry.name.encode()
        header = (
            _LOCAL.pack(
                0x04034B50,
                _VERSION,
                _FLAGS,
                0,
                _DOS_TIME,
                _DOS_DATE,
                0,
                _FULL,
                _FULL,
                len(name),
                _LOCAL_EXTRA.size,
            )
            + name
            + _LOCAL_EXTRA.pack(1, 16, 0, 0)
        )
        yield header
        crc = 0
        written = 0
        for piece in entry.content():
            crc = zlib.crc32(piece, crc)
            written += len(piece)
            yield piece
        if written != entry.size:
            raise ValueError(f"{entry.name}: {written} bytes written, {entry.size} declared")
        yield _DESCRIPTOR.pack(0x08074B50, crc, written, written)
        central.append(
            _CENTRAL.pack(
                0x02014B50,
                _VERSION,
                _VERSION,
                _FLAGS,
                0,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                _FULL,
                _FULL,
                len(name),
                _CENTRAL_EXTRA.size,
                0,
                0,
                0,
                0,
                _FULL,
            )
            + name
            + _CENTRAL_EXTRA.pack(1, 24, written, written, offset)
        )
        offset += len(header) + written + _DESCRIPTOR.size
    directory_start = offset
    directory_size = 0
    for record in central:
        directory_size += len(record)
        yield record
    count = len(central)
    end64_at = directory_start + directory_size
    yield _ZIP64_END.pack(
        0x06064B50,
        _ZIP64_END.size - 12,
        _VERSION,
        _VERSION,
        0,
        0,
        count,
        count,
        directory_size,
        directory_start,
    )
    yield _ZIP64_LOCATOR.pack(0x07064B50, 0, end64_at, 1)
    yield _END.pack(0x06054B50, 0, 0, 0xFFFF, 0xFFFF, _FULL, _FULL, 0)


class IterableReader:
    """A file-like `read()` over an iterator of byte pieces (what the encrypting reader and
    the blob store take), holding at most one piece beyond what was asked for."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = iter(pieces)
        self._buffer = bytearray()

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0 or size >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
            return out
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out
