"""Envelope encryption at rest (mã hóa khi lưu trữ).

Each blob gets a fresh 256-bit data key, wrapped by a master key from configuration and stored
with the blob's row; master keys rotate by rewrapping data keys, never by rewriting blobs.

The object holds a 16-byte header and the plaintext cut into chunks, each sealed with AES-256-GCM
under a nonce made of a random prefix, the chunk's index and a "last chunk" flag (the STREAM
construction of Hoang, Reyhanitabar, Rogaway and Vizár). Reordered, dropped, duplicated or
truncated chunks fail authentication; so does a stream that ends without its final chunk.
Because chunks have a fixed size, a byte range decrypts by reading only the chunks it covers.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.errors import ContentTooLarge, IntegrityFailure, VaultError

MAGIC = b"VLT1"
HEADER = struct.Struct(">4sI8s")  # magic, chunk size, nonce prefix (8 bytes)
HEADER_SIZE = HEADER.size
TAG_SIZE = 16
DEFAULT_CHUNK_SIZE = 64 * 1024


class UnknownMasterKey(VaultError):
    """A blob's data key is wrapped by a master key this configuration does not have."""


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    # 8 + 3 + 1 = 12 bytes; 2**24 chunks of 64 KiB is 1 TiB per blob.
    return prefix + index.to_bytes(3, "big") + (b"\x01" if last else b"\x00")


def ciphertext_size(plaintext_size: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    chunks = max(1, -(-plaintext_size // chunk_size))
    return HEADER_SIZE + plaintext_size + chunks * TAG_SIZE


class Keyring:
    """Master keys by id; new data keys are wrapped with the active one."""

    def __init__(self, keys: dict[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise UnknownMasterKey(f"active master key {active_key_id!r} is not configured")
        self._keys = {k: AESGCM(v) for k, v in keys.items()}
        self.active_key_id = active_key_id

    @staticmethod
    def _aad(key_id: str, blob_id: uuid.UUID) -> bytes:
        # Binds a wrapped key to its blob: it cannot be moved onto another blob's row.
        return b"vault-data-key|" + key_id.encode() + b"|" + blob_id.bytes

    def wrap(self, blob_id: uuid.UUID, data_key: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        kid = self.active_key_id
        return kid, nonce + self._keys[kid].encrypt(nonce, data_key, self._aad(kid, blob_id))

    def unwrap(self, blob_id: uuid.UUID, key_id: str, wrapped: bytes) -> bytes:
        aead = self._keys.get(key_id)
        if aead is None:
            raise UnknownMasterKey(f"master key {key_id!r} is not configured")
        try:
            return aead.decrypt(wrapped[:12], wrapped[12:], self._aad(key_id, blob_id))
        except InvalidTag as exc:
            raise IntegrityFailure("the blob's data key does not unwrap") from exc

    def rewrap(self, blob_id: uuid.UUID, key_id: str, wrapped: bytes) -> tuple[str, bytes]:
        return self.wrap(blob_id, self.unwrap(blob_id, key_id, wrapped))


@dataclass
class EncryptionResult:
    size: int = 0
    sha256: str = ""


class EncryptingReader:
    """A file-like `read()` over the ciphertext of `source`, for object store uploads.

    Hashes and counts the plaintext as it goes; `result` is complete once read to the end.
    Never holds more than one chunk of plaintext plus what the caller asked for.
    `cpu_seconds` is the thread CPU time spent reading, hashing and sealing so far (for the
    upload's per-stage accounting).
    """

    def __init__(
        self,
        source: BinaryIO,
        data_key: bytes,
        *,
        max_size: int,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._source = source
        self._aead = AESGCM(data_key)
        self._chunk_size = chunk_size
        self._max_size = max_size
        self._prefix = os.urandom(8)
        self._header = HEADER.pack(MAGIC, chunk_size, self._prefix)
        self._hash = hashlib.sha256()
        self._pieces = self._generate()
        self._buffer = bytearray()
        self.result = EncryptionResult()
        self.cpu_seconds = 0.0

    def _read_chunk(self) -> bytes:
        # read() on a pipe or socket may return less than asked: fill the chunk.
        parts: list[bytes] = []
        wanted = self._chunk_size
        while wanted:
            part = self._source.read(wanted)
            if not part:
                break
            parts.append(part)
            wanted -= len(part)
        return b"".join(parts)

    def _generate(self) -> Iterator[bytes]:
        yield self._header
        index = 0
        chunk = self._read_chunk()
        while True:
            ahead = self._read_chunk() if len(chunk) == self._chunk_size else b""
            last = not ahead
            self.result.size += len(chunk)
            if self.result.size > self._max_size:
                raise ContentTooLarge(
                    f"content is larger than the limit of {self._max_size} bytes", self._max_size
                )
            self._hash.update(chunk)
            sealed = self._aead.encrypt(_nonce(self._prefix, index, last), chunk, self._header)
            if last:
                # Set before the final yield: a reader that takes exactly the ciphertext
                # length never resumes this generator again.
                self.result.sha256 = self._hash.hexdigest()
                yield sealed
                return
            yield sealed
            index += 1
            chunk = ahead

    def read(self, size: int = -1) -> bytes:
        started = time.thread_time()
        try:
            return self._read(size)
        finally:
            self.cpu_seconds += time.thread_time() - started

    def _read(self, size: int) -> bytes:
        if not self._buffer and size >= 0:
            # The common case (the store asks for a whole part): the sealed chunks joined
            # once, without going through the buffer.
            pieces: list[bytes] = []
            have = 0
            while have < size:
                piece = next(self._pieces, None)
                if piece is None:
                    break
                pieces.append(piece)
                have += len(piece)
            if have <= size:
                return b"".join(pieces)
            self._buffer += pieces.pop()
            head = b"".join(pieces)
            cut = size - len(head)
            out = head + bytes(self._buffer[:cut])
            del self._buffer[:cut]
            return out
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0 or size >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
        else:
            with memoryview(self._buffer) as view:  # one copy, not two, of a large part
                out = bytes(view[:size])
            del self._buffer[:size]
        return out


def _exact_pieces(stream: Iterable[bytes], sizes: Iterator[int]) -> Iterator[bytes]:
    """Regroups an arbitrary byte stream into pieces of the given sizes."""
    buffer = bytearray()
    it = iter(stream)
    for size in sizes:
        while len(buffer) < size:
            data = next(it, None)
            if data is None:
                raise IntegrityFailure("stored object is shorter than recorded: truncated")
            buffer += data
        yield bytes(buffer[:size])
        del buffer[:size]
    if buffer or next(it, b""):
        raise IntegrityFailure("stored object is longer than recorded")


def parse_header(header: bytes) -> tuple[int, bytes]:
    if len(header) != HEADER_SIZE:
        raise IntegrityFailure("stored object has no complete header")
    magic, chunk_size, prefix = HEADER.unpack(header)
    if magic != MAGIC or chunk_size <= 0:
        raise IntegrityFailure("stored object is not in the vault's encrypted format")
    return chunk_size, prefix


def chunk_span(plaintext_size: int, start: int, end: int, chunk_size: int) -> tuple[int, int]:
    """Ciphertext offset and length of the chunks covering plaintext bytes [start, end)."""
    first, last = start // chunk_size, max(start, end - 1) // chunk_size
    offset = HEADER_SIZE + first * (chunk_size + TAG_SIZE)
    last_end = min((last + 1) * chunk_size, plaintext_size)
    length = (last_end - first * chunk_size) + (last - first + 1) * TAG_SIZE
    return offset, length


def decrypt_chunks(
    header: bytes,
    body: Iterable[bytes],
    data_key: bytes,
    *,
    plaintext_size: int,
    start: int = 0,
    end: int | None = None,
    expected_sha256: str | None = None,
) -> Iterator[bytes]:
    """Plaintext bytes [start, end) from `body`, the ciphertext chunks that cover that range.

    With `expected_sha256` (full reads only) the final piece is held back until the whole
    plaintext hashes right, so a mismatch raises before the last byte is ever released.
    """
    chunk_size, prefix = parse_header(header)
    end = plaintext_size if end is None else end
    aead = AESGCM(data_key)
    total_chunks = max(1, -(-plaintext_size // chunk_size))
    first = start // chunk_size
    last_index = max(start, end - 1) // chunk_size
    if expected_sha256 is not None and (start, end) != (0, plaintext_size):
        raise ValueError("a hash can only be checked on a full read")

    def sizes() -> Iterator[int]:
        for i in range(first, last_index + 1):
            plain = min(chunk_size, plaintext_size - i * chunk_size)
            yield plain + TAG_SIZE

    digest = hashlib.sha256()
    for offset, piece in enumerate(_exact_pieces(body, sizes())):
        index = first + offset
        is_last = index == total_chunks - 1
        try:
            plain = aead.decrypt(_nonce(prefix, index, is_last), piece, header)
        except InvalidTag as exc:
            raise IntegrityFailure(
                f"chunk {index} of the stored object fails authentication"
            ) from exc
        lo = start - index * chunk_size if index == first else 0
        hi = end - index * chunk_size if index == last_index else len(plain)
        if expected_sha256 is not None:
            digest.update(plain)
            if is_last and digest.hexdigest() != expected_sha256:
                raise IntegrityFailure("stored content does not match its recorded SHA-256")
        yield plain[lo:hi]
