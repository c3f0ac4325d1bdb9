"""Credentials: a key in the token, its certificate chain, and what unlocks it (PIN, OTP).

One credential per officer or agency seal. The PIN is kept only as an Argon2id hash of an
HMAC of it under a server-side pepper: a PIN has a few digits, so no hash cost stops an
offline search of a stolen credential file; the pepper, kept apart from that file, does.
Online guessing is stopped by the failure counter and lock (`signing.csc_server.service`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing.csc_server.algorithms import KeyKind, SignatureAlgorithm, algorithms_for
from signing.csc_server.errors import ConfigurationError, UnknownCredential
from signing.totp import totp, totp_step

CURVE_OIDS = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34"}


@dataclass(frozen=True)
class Credential:
    """A signing credential. Secrets are left out of its repr."""

    id: str
    key_label: str  # the private key's CKA_LABEL in the token
    chain: tuple[x509.Certificate, ...]  # signer first, then its CAs
    user_id: str  # who holds it: an officer's or an agency's identifier
    description: str = ""
    pin_hash: str | None = field(default=None, repr=False)
    otp_secret: bytes | None = field(default=None, repr=False)
    multisign: int = 10

    def __post_init__(self) -> None:
        if not self.chain:
            raise ConfigurationError(f"credential {self.id!r} has no certificate")
        if self.pin_hash is None and self.otp_secret is None:
            raise ConfigurationError(f"credential {self.id!r} needs a PIN or an OTP")
        _ = self.key_kind  # refuses unsupported keys at load time, not at the first signature

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def key_kind(self) -> KeyKind:
        key = self.certificate.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            return KeyKind.RSA
        if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in CURVE_OIDS:
            return KeyKind.EC
        raise ConfigurationError(f"credential {self.id!r}: unsupported key type")

    @property
    def key_bits(self) -> int:
        key = self.certificate.public_key()
        assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        return key.key_size

    @property
    def curve_oid(self) -> str | None:
        key = self.certificate.public_key()
        return CURVE_OIDS[key.curve.name] if isinstance(key, ec.EllipticCurvePublicKey) else None

    @property
    def algorithms(self) -> tuple[SignatureAlgorithm, ...]:
        return algorithms_for(self.key_kind)


class CredentialRegistry:
    """The credentials the service signs with, by id."""

    def __init__(self, credentials: Iterable[Credential]) -> None:
        self._by_id: dict[str, Credential] = {}
        for credential in credentials:
            if credential.id in self._by_id:
                raise ConfigurationError(f"duplicate credential id {credential.id!r}")
            self._by_id[credential.id] = credential

    def __iter__(self) -> Iterator[Credential]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, credential_id: str) -> Credential:
        try:
            return self._by_id[credential_id]
        except KeyError:
            raise UnknownCredential("Invalid parameter credentialID") from None

    @classmethod
    def from_file(cls, path: Path) -> CredentialRegistry:
        """Loads a credentials file (JSON):

        {"credentials": [{"id": "...", "key_label": "...", "certificates": "chain.pem",
          "user_id": "...", "description": "...", "pin_hash": "$argon2id$...",
          "otp_secret": "BASE32 or null", "multisign": 10}]}

        `certificates` is a PEM file (signer first), relative to the credentials file.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["credentials"]
            credentials = []
            for entry in entries:
                chain = x509.load_pem_x509_certificates(
                    (path.parent / entry["certificates"]).read_bytes()
                )
                otp = entry.get("otp_secret")
                credentials.append(
                    Credential(
                        id=entry["id"],
                        key_label=entry["key_label"],
                        chain=tuple(chain),
                        user_id=entry["user_id"],
                        description=entry.get("description", ""),
                        pin_hash=entry.get("pin_hash"),
                        otp_secret=base64.b32decode(otp) if otp else None,
                        multisign=int(entry.get("multisign", 10)),
                    )
                )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(
                f"cannot load credentials file {path}: {type(exc).__name__}"
            ) from exc
        return cls(credentials)


class PinHasher:
    """Argon2id over HMAC-SHA256(pepper, credential id, PIN).

    The cost is low on purpose (~2 ms, 4 MiB; one verification per signature request on 2
    cores): over a 6-digit PIN space no affordable hash cost stops an offline search, the
    pepper (kept apart from the credentials file) does, and the lock stops online guessing.
    Hashes carry their own parameters, so changing the cost later keeps stored ones valid.
    """

    def __init__(
        self, pepper: bytes, *, time_cost: int = 1, memory_cost: int = 4096, parallelism: int = 1
    ) -> None:
        if len(pepper) < 16:
            raise ConfigurationError("the PIN pepper must be at least 16 bytes")
        self._pepper = pepper
        self._argon2 = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    def __repr__(self) -> str:
        return "PinHasher(...)"

    def _peppered(self, credential_id: str, pin: str) -> bytes:
        message = credential_id.encode() + b"\x00" + pin.encode()
        return hmac.new(self._pepper, message, hashlib.sha256).digest()

    def hash(self, credential_id: str, pin: str) -> str:
        return self._argon2.hash(self._peppered(credential_id, pin))

    def verify(self, credential_id: str, pin_hash: str, pin: str) -> bool:
        try:
            return self._argon2.verify(pin_hash, self._peppered(credential_id, pin))
        except InvalidHashError as exc:
            raise ConfigurationError(f"credential {credential_id!r}: malformed PIN hash") from exc
        except VerificationError:
            return False


def match_totp(secret: bytes, otp: str, when: float | None = None, window: int = 1) -> int | None:
    """The time step `otp` is valid for (now ± `window` steps), or None."""
    now = totp_step(time.time() if when is None else when)
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(totp(secret, step), otp):
            return step
    return None


def utcnow() -> datetime:
    return datetime.now(UTC)
