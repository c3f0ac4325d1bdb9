"""The generated corpus the PostgreSQL benchmarks (list_owner, search, reuse) load: ids,
timestamps, names and identifiers, and owner, blob and document rows in COPY text format.

What each benchmark's corpus looks like (how many papers, which types, how they are reissued,
which pages they hold) stays in the benchmark; what their rows are made of is here, once, so
that the three load the same tables the same way. `bench._pg_load` writes the rows.
"""

from __future__ import annotations

import base64
import os
import random
import time
import uuid
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from vault.personal_data import IdentifierCipher
from vault.settings import DEVELOPMENT_MASTER_KEY, DEVELOPMENT_MASTER_KEY_ID

NULL = r"\N"  # COPY text format
KEY_ID = DEVELOPMENT_MASTER_KEY_ID  # the servers the benchmarks start use the development key
DAY_MS = 86_400_000
EPOCH = 719_163  # date(1970, 1, 1).toordinal()

# Issuing agencies; the first is the benchmarks' officer's (_common.AGENCY).
AGENCIES = ("000.00.15.H57", "000.00.31.H29", "000.00.05.G01", "000.00.26.H48", "000.00.12.H10")
ORIGINS = ("digitised", "certified_copy", "issued_result", "uploaded_by_owner")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
GIVEN = ("Thị Hương", "Văn Nam", "Minh Anh", "Quốc Bảo", "Thu Trang", "Đức Thắng", "Ngọc Lan")


# -- ids -----------------------------------------------------------------------------------

_VARIANT_DIGIT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_LOW_BITS = (1 << 62) - 1
_MULTIPLIER = 0x9E3779B97F4A7C15  # odd: serial -> low bits is a bijection modulo 2**62
_VARIANT = 1 << 63  # the RFC 4122 variant, 0b10, over the 62 low bits


def time_ordered_ids(stamps_ms: Sequence[int]) -> list[str]:
    """UUIDs in the layout of `vault.domain.new_id()` (48-bit ms time, version 7, RFC 4122
    variant, random rest) as text, one per timestamp; random bytes drawn in one call."""
    random_hex = os.urandom(10 * len(stamps_ms)).hex()
    ids = []
    for i, ms in enumerate(stamps_ms):
        r = random_hex[20 * i : 20 * i + 20]
        ids.append(
            f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{r[:3]}-{_VARIANT_DIGIT[r[3]]}{r[4:7]}-{r[7:19]}"
        )
    return ids


def uid(ms: int, serial: int, salt: int) -> str:
    """A UUID in the layout of `vault.domain.new_id()` as 32 hex digits, which PostgreSQL
    reads as a uuid. Its 62 low "random" bits are a bijection of `serial`, so ids made with
    one salt never collide, and a row's id can be made again from its index and time
    instead of being kept (ten million ids are not held in memory)."""
    low = ((serial * _MULTIPLIER) ^ salt) & _LOW_BITS
    return f"{ms:012x}7{serial & 0xFFF:03x}{_VARIANT | low:016x}"


def check_ids() -> None:
    """Both id makers must agree with the layout of vault.domain.new_id."""
    now = time.time_ns() // 1_000_000
    ids = {uuid.UUID(uid(now, serial, 0x2B4D6F8A1C3E5A7C)) for serial in range(1000)}
    if len(ids) != 1000:
        raise AssertionError("time-ordered ids collide")
    ids.add(uuid.UUID(time_ordered_ids([now])[0]))
    for u in ids:
        if u.version != 7 or u.variant != uuid.RFC_4122 or u.bytes[:6] != now.to_bytes(6, "big"):
            raise AssertionError(f"malformed time-ordered id {u}")


# -- text ----------------------------------------------------------------------------------

_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]


class Clock:
    """COPY text for UTC timestamps and dates, from cached day and time-of-day strings."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def day(self, ordinal: int) -> str:
        text = self._days.get(ordinal)
        if text is None:
            text = self._days[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def stamp(self, ms: int) -> str:
        days, rest = divmod(ms, DAY_MS)
        seconds, milli = divmod(rest, 1000)
        return f"{self.day(days + EPOCH)} {_HMS[seconds]}.{milli:03d}+00"


def escape(text: str) -> str:
    """Free text as a COPY text field."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def short_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"


def citizen_identifier(i: int, rng: random.Random) -> str:
    """A valid personal identification number for owner `i`: province 001-096, sex and 1900s
    century, a birth year, and a serial that with the province is unique to this owner."""
    return f"{1 + i % 96:03d}{rng.choice('01')}{rng.randrange(50, 100):02d}{i // 96:06d}"


# -- rows ----------------------------------------------------------------------------------


@cache
def _development_cipher() -> IdentifierCipher:
    key = base64.b64decode(DEVELOPMENT_MASTER_KEY)
    return IdentifierCipher({DEVELOPMENT_MASTER_KEY_ID: key}, DEVELOPMENT_MASTER_KEY_ID)


def owner_line(owner_id: str, kind: str, identifier: str, name: str, created: str) -> str:
    """One owners row (_pg_load.OWNER_COLUMNS), the identification number sealed and indexed
    as the vault writes it (vault.personal_data)."""
    sealed = _development_cipher().seal(uuid.UUID(owner_id), identifier)
    return (
        f"{owner_id}\t{kind}\t{sealed.key_id}\t\\\\x{sealed.sealed.hex()}\t"
        f"\\\\x{sealed.index.hex()}\t{name}\t{created}\n"
    )


def owner_rows(
    owner_ids: Sequence[str],
    stamps: Sequence[int],
    names: Sequence[str],
    rng: random.Random,
    clock: Clock,
) -> str:
    """Citizens: owner i has owner_ids[i], created at stamps[i] (ms), named names[i]."""
    return "".join(
        owner_line(owner_id, "citizen", citizen_identifier(i, rng), name, clock.stamp(ms))
        for i, (owner_id, ms, name) in enumerate(zip(owner_ids, stamps, names, strict=True))
    )


def blob_line(
    blob_id: str, size: int, media_type: str, sha256: str, wrapped_key: str, created: str
) -> str:
    """One blobs row (_pg_load.BLOB_COLUMNS); the object key as the vault makes it."""
    hex_id = blob_id.replace("-", "")
    return (
        f"{blob_id}\tblobs/{hex_id[-2:]}/{hex_id}\t{size}\t{media_type}\t{sha256}\t{KEY_ID}\t"
        f"\\\\x{wrapped_key}\t{created}\n"
    )


def document_line(
    document_id: str,
    owner_id: str,
    paper_type: str,
    title: str,
    reference: str | None,
    issuer: str | None,
    issued: str,
    valid_until: str | None,
    origin: str,
    superseded: bool,
    lineage_id: str,
    version: int,
    supersedes_id: str | None,
    blob_id: str,
    created: str,
    *extra: str,
) -> str:
    """One documents row (_pg_load.DOCUMENT_COLUMNS, then `extra` columns a benchmark adds)."""
    tail = "".join(f"\t{e}" for e in extra)
    return (
        f"{document_id}\t{owner_id}\t{paper_type}\t{title}\t{reference or NULL}\t"
        f"{issuer or NULL}\t{issued}\t{valid_until or NULL}\t{origin}\t"
        f"{'superseded' if superseded else 'current'}\t{lineage_id}\t{version}\t"
        f"{supersedes_id or NULL}\t{blob_id}\t{created}{tail}\n"
    )


@dataclass
class Lineages:
    """Versions of the documents 0..n-1, decided before any row is written: a reissue (cấp
    lại) must find the version it supersedes already marked as superseded."""

    lineage: array[int]  # index of the lineage's first version
    version: array[int]
    supersedes: array[int]  # index of the superseded version, or -1
    superseded: bytearray  # 1 where a later version replaced the document

    @classmethod
    def of(cls, n: int) -> Lineages:
        return cls(array("i", range(n)), array("i", [1]) * n, array("i", [-1]) * n, bytearray(n))

    def reissue(self, i: int, previous: int) -> None:
        """Document i is the next version of `previous`."""
        self.supersedes[i] = previous
        self.superseded[previous] = 1
        self.lineage[i] = self.lineage[previous]
        self.version[i] = self.version[previous] + 1
