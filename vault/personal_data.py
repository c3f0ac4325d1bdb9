"""Owners' identification numbers at rest: sealed, and found through a keyed blind index.

Số định danh cá nhân and tax codes are personal data (Decree 13/2023/NĐ-CP): the owners table
keeps them encrypted, never in clear. Each master key of the configuration yields, through
HKDF-SHA256, two subkeys of its own: one seals the number (AES-256-GCM, bound to the owner's
id so a sealed value cannot be moved onto another row), one computes its blind index
(HMAC-SHA256), the only thing an exact look-up compares. Without the master key neither the
numbers nor a dictionary of their indexes can be made from a copy of the database.

Rows remember the master key id they were sealed under; `vault rotate-keys` reseals and
re-indexes every row under the active key. Until it has run, a look-up compares the index
under every configured key, so rows not yet rotated are still found.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault.crypto import UnknownMasterKey
from vault.errors import IntegrityFailure

_SEAL_INFO = b"vault owner identifier seal v1"
_INDEX_INFO = b"vault owner identifier index v1"
NONCE_SIZE = 12
INDEX_SIZE = 32  # HMAC-SHA256


def _subkey(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True, slots=True)
class SealedIdentifier:
    key_id: str  # the master key the subkeys came from
    sealed: bytes  # nonce, ciphertext and tag
    index: bytes  # HMAC-SHA256 of the identifier


class IdentifierCipher:
    """Seals, opens and indexes identification numbers with subkeys of the master keys."""

    def __init__(self, master_keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in master_keys:
            raise UnknownMasterKey(f"active master key {active_key_id!r} is not configured")
        self.active_key_id = active_key_id
        self._seal = {k: AESGCM(_subkey(v, _SEAL_INFO)) for k, v in master_keys.items()}
        self._index = {k: _subkey(v, _INDEX_INFO) for k, v in master_keys.items()}

    @staticmethod
    def _aad(key_id: str, owner_id: uuid.UUID) -> bytes:
        return b"vault-owner-identifier|" + key_id.encode() + b"|" + owner_id.bytes

    def index(self, identifier: str, key_id: str | None = None) -> bytes:
        key = self._index.get(key_id or self.active_key_id)
        if key is None:
            raise UnknownMasterKey(f"master key {key_id!r} is not configured")
        return hmac.new(key, identifier.encode(), hashlib.sha256).digest()

    def indexes(self, identifier: str) -> list[bytes]:
        """The identifier's index under every configured key, the active one first: a look-up
        matches rows sealed before a rotation as well as after."""
        ids = [self.active_key_id] + [k for k in self._index if k != self.active_key_id]
        return [self.index(identifier, k) for k in ids]

    def seal(self, owner_id: uuid.UUID, identifier: str) -> SealedIdentifier:
        kid = self.active_key_id
        nonce = os.urandom(NONCE_SIZE)
        ciphertext = self._seal[kid].encrypt(nonce, identifier.encode(), self._aad(kid, owner_id))
        return SealedIdentifier(kid, nonce + ciphertext, self.index(identifier, kid))

    def open(self, owner_id: uuid.UUID, key_id: str, sealed: bytes) -> str:
        aead = self._seal.get(key_id)
        if aead is None:
            raise UnknownMasterKey(f"master key {key_id!r} is not configured")
        try:
            plain = aead.decrypt(
                sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], self._aad(key_id, owner_id)
            )
        except InvalidTag as exc:
            raise IntegrityFailure("an owner's sealed identifier does not open") from exc
        return plain.decode()
