"""Per-credential security state: wrong-PIN/OTP counter, lock, last accepted OTP step.

Kept across restarts by the file store, so that restarting the service does not unlock a
credential or reset its counter. (A database-backed store comes with the vault's tables.)
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Protocol

from signing.csc_server.errors import ConfigurationError


@dataclass(frozen=True)
class CredentialState:
    failures: int = 0  # consecutive wrong PINs/OTPs
    locked: bool = False
    last_failure: float | None = None  # wall-clock seconds
    last_otp_step: int | None = None  # an OTP is accepted once (no replay)

    def failed(self, now: float, max_failures: int) -> CredentialState:
        failures = self.failures + 1
        return replace(self, failures=failures, locked=failures >= max_failures, last_failure=now)


class CredentialStateStore(Protocol):
    def load(self, credential_id: str) -> CredentialState: ...

    def save(self, credential_id: str, state: CredentialState) -> None: ...


class InMemoryStateStore:
    def __init__(self) -> None:
        self._states: dict[str, CredentialState] = {}
        self._lock = threading.Lock()

    def load(self, credential_id: str) -> CredentialState:
        with self._lock:
            return self._states.get(credential_id, CredentialState())

    def save(self, credential_id: str, state: CredentialState) -> None:
        with self._lock:
            self._states[credential_id] = state


class JsonFileStateStore:
    """All states in one JSON file, rewritten atomically (temp file, fsync, rename) on change."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._states: dict[str, CredentialState] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self._states = {k: CredentialState(**v) for k, v in raw.items()}
            except (OSError, ValueError, TypeError) as exc:
                # Starting with empty state would silently unlock every locked credential.
                raise ConfigurationError(f"unreadable credential state file {path}") from exc
        path.parent.mkdir(parents=True, exist_ok=True)

    def load(self, credential_id: str) -> CredentialState:
        with self._lock:
            return self._states.get(credential_id, CredentialState())

    def save(self, credential_id: str, state: CredentialState) -> None:
        with self._lock:
            if self._states.get(credential_id) == state:
                return
            self._states[credential_id] = state
            payload = json.dumps({k: asdict(v) for k, v in self._states.items()}, indent=1)
            tmp = self._path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self._path)
