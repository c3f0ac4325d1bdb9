"""The signature log: append-only, hash-chained, written before a signature is returned."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from signing.csc_server.assembly import SigningRuntime
from signing.csc_server.callers import CallerRegistry, token_digest
from signing.csc_server.credentials import PinHasher
from signing.csc_server.errors import AuditUnavailable, SignatureCheckFailed
from signing.csc_server.service import SigningService
from signing.csc_server.signature_log import JsonLinesSignatureLog, SignatureRecord, verify_chain
from signing.csc_server.state import InMemoryStateStore
from tests.signing.conftest import VAULT_TOKEN

SHA256_RSA = "1.2.840.113549.1.1.11"


def record(n: int) -> SignatureRecord:
    return SignatureRecord(
        time=datetime.now(UTC),
        client_id="vault",
        credential_id="h57-officer-an",
        user_id="000.00.15.H57/nguyen.van.an",
        hash_algorithm="sha256",
        hash_hex=f"{n:064x}",
        signature_algorithm=SHA256_RSA,
    )


def test_the_log_is_a_hash_chain_that_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "signatures.jsonl"
    log = JsonLinesSignatureLog(path)
    log.append([record(1), record(2)])
    log.close()
    log = JsonLinesSignatureLog(path)  # a restart continues the chain
    log.append([record(3)])
    log.close()
    assert verify_chain(path) == 3
    entries = [json.loads(x) for x in path.read_text().splitlines()]
    assert [e["hash"][-1] for e in entries] == ["1", "2", "3"]
    assert set(entries[0]) == {
        "time",
        "client",
        "credential",
        "user",
        "hash_algorithm",
        "hash",
        "signature_algorithm",
        "prev",
    }

    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")  # a record removed
    with pytest.raises(ValueError, match="line 2"):
        verify_chain(path)


class FailingLog:
    def append(self, records: Sequence[SignatureRecord]) -> None:
        raise AuditUnavailable("disk full")


class WrongKeys:
    """A token answering with a signature by some other key."""

    def sign_digest(self, *args: object) -> bytes:
        return os.urandom(256)


def service_with(runtime: SigningRuntime, tmp_path: Path, **parts: object) -> SigningService:
    defaults: dict[str, object] = {
        "credentials": runtime.service.credentials,
        "keys": runtime.dev.token if runtime.dev else None,
        "callers": CallerRegistry({"vault": (token_digest(VAULT_TOKEN), frozenset({"*"}))}),
        "signature_log": JsonLinesSignatureLog(tmp_path / "log.jsonl"),
        "states": InMemoryStateStore(),
        "pin_hasher": PinHasher(runtime.settings.pin_pepper.get_secret_value().encode()),
    }
    defaults.update(parts)
    return SigningService(**defaults)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("parts", "error"),
    [
        (lambda tmp: {"signature_log": FailingLog()}, AuditUnavailable),
        (lambda tmp: {"keys": WrongKeys()}, SignatureCheckFailed),
    ],
    ids=["log-unavailable", "signature-does-not-verify"],
)
def test_no_signature_leaves_unlogged_or_unverified(
    runtime: SigningRuntime,
    tmp_path: Path,
    parts: Callable[[Path], dict[str, object]],
    error: type[Exception],
) -> None:
    service = service_with(runtime, tmp_path, **parts(tmp_path))
    caller = service.authenticate(f"Bearer {VAULT_TOKEN}")
    digest = os.urandom(32)
    grant = service.authorize(caller, "h57-officer-an", hashes=[digest], pin="111111")
    with pytest.raises(error):
        service.sign_hash(caller, "h57-officer-an", grant.sad, [digest], SHA256_RSA)
    log_file = tmp_path / "log.jsonl"
    assert not log_file.exists() or log_file.read_text() == ""
