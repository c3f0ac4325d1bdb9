"""Envelope encryption: round trips, ranges, and every way stored bytes can be tampered with."""

import hashlib
import io
import os
import uuid

import pytest

from vault import crypto
from vault.errors import ContentTooLarge, IntegrityFailure

CHUNK = 1024  # small chunks so the tests cross many boundaries quickly


def seal(data: bytes, key: bytes) -> tuple[bytes, str]:
    reader = crypto.EncryptingReader(io.BytesIO(data), key, max_size=len(data), chunk_size=CHUNK)
    out = bytearray()
    while piece := reader.read(777):
        out += piece
    assert len(out) == crypto.ciphertext_size(len(data), CHUNK)
    return bytes(out), reader.result.sha256


def open_all(ct: bytes, key: bytes, size: int, sha: str | None = None) -> bytes:
    header, body = ct[: crypto.HEADER_SIZE], ct[crypto.HEADER_SIZE :]
    pieces = [body[i : i + 500] for i in range(0, len(body), 500)]
    return b"".join(
        crypto.decrypt_chunks(header, pieces, key, plaintext_size=size, expected_sha256=sha)
    )


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 17])
def test_round_trip_and_hash(size: int) -> None:
    data, key = os.urandom(size), os.urandom(32)
    ct, sha = seal(data, key)
    assert sha == hashlib.sha256(data).hexdigest()
    assert open_all(ct, key, size, sha) == data


def test_every_range_decrypts_from_only_its_chunks() -> None:
    size = 3 * CHUNK + 100
    data, key = os.urandom(size), os.urandom(32)
    ct, _ = seal(data, key)
    header = ct[: crypto.HEADER_SIZE]
    for start, end in [
        (0, 1),
        (5, CHUNK),
        (CHUNK - 1, CHUNK + 1),
        (CHUNK, 2 * CHUNK),
        (100, size),
        (size - 1, size),
        (0, size),
    ]:
        offset, length = crypto.chunk_span(size, start, end, CHUNK)
        got = b"".join(
            crypto.decrypt_chunks(
                header,
                [ct[offset : offset + length]],
                key,
                plaintext_size=size,
                start=start,
                end=end,
            )
        )
        assert got == data[start:end], (start, end)


def test_plaintext_is_not_in_the_ciphertext() -> None:
    data = b"Nguyen Thi Huong 079203001234 " * 200
    ct, _ = seal(data, os.urandom(32))
    assert b"079203001234" not in ct and b"Nguyen" not in ct


def test_flipped_bit_is_detected() -> None:
    data, key = os.urandom(3 * CHUNK), os.urandom(32)
    ct = bytearray(seal(data, key)[0])
    ct[crypto.HEADER_SIZE + CHUNK + 40] ^= 1
    with pytest.raises(IntegrityFailure, match="authentication"):
        open_all(bytes(ct), key, len(data))


def test_truncation_at_a_chunk_boundary_is_detected() -> None:
    data, key = os.urandom(3 * CHUNK), os.urandom(32)
    ct, _ = seal(data, key)
    cut = ct[: crypto.HEADER_SIZE + 2 * (CHUNK + crypto.TAG_SIZE)]
    with pytest.raises(IntegrityFailure, match="truncated"):
        open_all(cut, key, len(data))
    # Even if the recorded size were shortened to match, the last chunk is not flagged final.
    with pytest.raises(IntegrityFailure):
        open_all(cut, key, 2 * CHUNK)


def test_reordered_chunks_are_detected() -> None:
    data, key = os.urandom(3 * CHUNK), os.urandom(32)
    ct, _ = seal(data, key)
    h, n = crypto.HEADER_SIZE, CHUNK + crypto.TAG_SIZE
    swapped = ct[:h] + ct[h + n : h + 2 * n] + ct[h : h + n] + ct[h + 2 * n :]
    with pytest.raises(IntegrityFailure):
        open_all(swapped, key, len(data))


def test_wrong_recorded_hash_is_never_served_whole() -> None:
    data, key = os.urandom(2 * CHUNK + 5), os.urandom(32)
    ct, _ = seal(data, key)
    received = bytearray()
    header, body = ct[: crypto.HEADER_SIZE], ct[crypto.HEADER_SIZE :]
    with pytest.raises(IntegrityFailure, match="SHA-256"):
        for piece in crypto.decrypt_chunks(
            header, [body], key, plaintext_size=len(data), expected_sha256="0" * 64
        ):
            received += piece
    assert len(received) < len(data)


def test_size_limit_is_enforced_while_streaming() -> None:
    reader = crypto.EncryptingReader(
        io.BytesIO(os.urandom(5000)), os.urandom(32), max_size=4000, chunk_size=CHUNK
    )
    with pytest.raises(ContentTooLarge):
        while reader.read(CHUNK):
            pass


def test_keyring_wrap_rewrap_and_binding() -> None:
    old, new = os.urandom(32), os.urandom(32)
    blob, other = uuid.uuid4(), uuid.uuid4()
    ring = crypto.Keyring({"k1": old}, "k1")
    data_key = os.urandom(32)
    kid, wrapped = ring.wrap(blob, data_key)
    assert kid == "k1" and data_key not in wrapped
    with pytest.raises(IntegrityFailure):
        ring.unwrap(other, kid, wrapped)  # a wrapped key cannot be moved to another blob
    rotated = crypto.Keyring({"k1": old, "k2": new}, "k2")
    kid2, wrapped2 = rotated.rewrap(blob, kid, wrapped)
    assert kid2 == "k2"
    assert crypto.Keyring({"k2": new}, "k2").unwrap(blob, kid2, wrapped2) == data_key
    with pytest.raises(crypto.UnknownMasterKey):
        crypto.Keyring({"k2": new}, "k2").unwrap(blob, "k1", wrapped)


@pytest.mark.parametrize("pattern", [[-1], [10**9], [16, 10**9], [5000, 1, 3000, 10**9]])
def test_any_read_sizes_give_the_whole_ciphertext(pattern: list[int]) -> None:
    """Object stores read a whole part at once (minio), or in pieces: the same stream."""
    data, key = os.urandom(7 * CHUNK + 5), os.urandom(32)
    reader = crypto.EncryptingReader(io.BytesIO(data), key, max_size=len(data), chunk_size=CHUNK)
    out = bytearray()
    for size in pattern:
        out += reader.read(size)
    assert reader.read(100) == b""
    assert len(out) == crypto.ciphertext_size(len(data), CHUNK)
    assert reader.result.sha256 == hashlib.sha256(data).hexdigest()
    assert open_all(bytes(out), key, len(data), reader.result.sha256) == data
    assert reader.cpu_seconds > 0
