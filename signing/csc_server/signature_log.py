"""The signature log: who had which credential sign which hash, and when. Append-only.

A signature is returned only after its record is durably written. Each JSON line carries
the SHA-256 of the line before it, so a removed or edited line breaks the chain
(`verify_chain`). The database-backed log comes with the vault's tables; until then this
JSON-lines file is the one implementation of `SignatureLog`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from signing.csc_server.errors import AuditUnavailable

GENESIS = "0" * 64


@dataclass(frozen=True)
class SignatureRecord:
    time: datetime
    client_id: str  # the calling system (the vault, an agency system)
    credential_id: str
    user_id: str  # the credential's holder (officer or agency)
    hash_algorithm: str
    hash_hex: str
    signature_algorithm: str  # OID

    def as_dict(self) -> dict[str, str]:
        return {
            "time": self.time.isoformat(),
            "client": self.client_id,
            "credential": self.credential_id,
            "user": self.user_id,
            "hash_algorithm": self.hash_algorithm,
            "hash": self.hash_hex,
            "signature_algorithm": self.signature_algorithm,
        }


class SignatureLog(Protocol):
    def append(self, records: Sequence[SignatureRecord]) -> None:
        """Writes the records durably, or raises `AuditUnavailable`."""
        ...


def _line_digest(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _last_line(path: Path) -> bytes | None:
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        end = f.tell()
        if end == 0:
            return None
        chunk = min(end, 64 * 1024)  # a record is a few hundred bytes
        f.seek(end - chunk)
        lines = f.read(chunk).rstrip(b"\n").split(b"\n")
        return lines[-1]


class JsonLinesSignatureLog:
    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = path
        self._fsync = fsync
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: every write lands at the end, whatever else has the file open.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        last = _last_line(path)
        self._previous = _line_digest(last) if last else GENESIS

    def append(self, records: Sequence[SignatureRecord]) -> None:
        with self._lock:
            previous = self._previous
            lines = []
            for record in records:
                entry = {**record.as_dict(), "prev": previous}
                line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
                previous = _line_digest(line)
                lines.append(line + b"\n")
            data = b"".join(lines)
            try:
                written = os.write(self._fd, data)
                if written != len(data):
                    raise OSError("short write")
                if self._fsync:
                    os.fdatasync(self._fd)  # the data and its length; not the mtime
            except OSError as exc:
                raise AuditUnavailable(f"signature log not written: {exc.strerror}") from exc
            self._previous = previous

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def verify_chain(path: Path) -> int:
    """Checks the hash chain of a log file; returns the number of records. Raises
    ValueError at the first line whose `prev` does not match."""
    previous = GENESIS
    count = 0
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            entry = json.loads(line)
            if entry.get("prev") != previous:
                raise ValueError(f"signature log chain broken at line {number}")
            previous = _line_digest(line)
            count += 1
    return count
