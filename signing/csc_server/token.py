"""Keys in a PKCS#11 token (SoftHSM2 here, a real HSM in production), through python-pkcs11.

Rules that the token imposes (measured on SoftHSM 2.6, see shared/PITFALLS.md):

- The library reads SOFTHSM2_CONF when it is initialised: it is set before the first load and
  one process uses one configuration.
- Two threads in the token at once end in `GeneralError`, a hang or a segfault, even with
  separate sessions: one process-wide lock covers every PKCS#11 call (open, sign, close).
- Login is per token per process (a second `C_Login` fails): one long-lived session logs in;
  each operation opens its own session, which shares that login, and closes it in `finally`.
- The token has no ECDSA-with-SHA-x mechanism: EC keys sign the digest with raw `ECDSA`.
  RSA keys sign a DER DigestInfo with raw `RSA_PKCS`, since the service only has the digest.

Keys never leave the token: imported keys are marked sensitive and not extractable.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11.util.ec import decode_ec_private_key
from pkcs11.util.rsa import decode_rsa_private_key

from signing.csc_server.algorithms import HashAlgorithm, KeyKind
from signing.csc_server.errors import ConfigurationError, TokenFailure

SOFTHSM_LIBRARY = Path("/usr/lib/softhsm/libsofthsm2.so")

# Every PKCS#11 call in this process goes through this lock (see the module docstring).
_LOCK = threading.RLock()
# SOFTHSM2_CONF each loaded library was initialised with (None: not SoftHSM / not set by us).
_LOADED: dict[str, str | None] = {}
# One logged-in session per (library, token label) for the whole process, with a user count.
_LOGINS: dict[tuple[str, str], tuple[Any, int]] = {}


@dataclass(frozen=True)
class KeyFacts:
    kind: KeyKind
    sensitive: bool  # the token never reveals the private value
    extractable: bool  # the key may be wrapped out of the token
    can_sign: bool


def write_softhsm_config(directory: Path) -> Path:
    """A SoftHSM2 configuration keeping its tokens under `directory/tokens`; its path."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n"
    )
    return conf


def init_softhsm_token(conf: Path, label: str, pin: str, so_pin: str) -> None:
    """Initialises a new SoftHSM2 token in the first free slot (development and tests only:
    softhsm2-util takes the PINs on its command line)."""
    result = subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            pin,
            "--so-pin",
            so_pin,
        ],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        # softhsm2-util does not echo the PINs back; its output is safe to show.
        raise ConfigurationError(f"softhsm2-util --init-token failed: {result.stderr.strip()}")


def _load_library(library: Path, softhsm_conf: Path | None) -> Any:
    key = str(library)
    conf = str(softhsm_conf) if softhsm_conf else None
    with _LOCK:
        if key in _LOADED:
            if conf is not None and _LOADED[key] != conf:
                raise ConfigurationError(
                    "the PKCS#11 library is already loaded in this process with another "
                    "SOFTHSM2_CONF; use one token configuration per process"
                )
            return pkcs11.lib(key)
        if conf is not None:
            # Must precede the first load: SoftHSM reads it in C_Initialize.
            os.environ["SOFTHSM2_CONF"] = conf
        try:
            lib = pkcs11.lib(key)
        except (OSError, pkcs11.PKCS11Error, RuntimeError) as exc:
            raise ConfigurationError(f"cannot load PKCS#11 library {key}: {exc}") from exc
        _LOADED[key] = conf
        return lib


class Pkcs11Token:
    """A logged-in token: signs digests with the private keys it holds, by key label."""

    def __init__(
        self,
        token_label: str,
        pin: str,
        *,
        library: Path = SOFTHSM_LIBRARY,
        softhsm_conf: Path | None = None,
    ) -> None:
        self._login_key = (str(library), token_label)
        self.token_label = token_label
        with _LOCK:
            lib = _load_library(library, softhsm_conf)
            try:
                self._token = lib.get_token(token_label=token_label)
            except pkcs11.PKCS11Error as exc:
                raise ConfigurationError(
                    f"PKCS#11 token {token_label!r} not found ({type(exc).__name__})"
                ) from exc
            held = _LOGINS.get(self._login_key)
            if held is None:
                try:
                    login = self._token.open(rw=True, user_pin=pin)
                except pkcs11.PKCS11Error as exc:
                    raise ConfigurationError(
                        f"cannot log in to PKCS#11 token {token_label!r} ({type(exc).__name__})"
                    ) from exc
                _LOGINS[self._login_key] = (login, 1)
            else:
                _LOGINS[self._login_key] = (held[0], held[1] + 1)
        self._closed = False

    def __repr__(self) -> str:
        return f"Pkcs11Token(label={self.token_label!r})"  # never the PIN

    def close(self) -> None:
        """Releases this handle; the last one in the process logs out."""
        with _LOCK:
            if self._closed:
                return
            self._closed = True
            login, users = _LOGINS[self._login_key]
            if users > 1:
                _LOGINS[self._login_key] = (login, users - 1)
                return
            del _LOGINS[self._login_key]
            login.close()

    @contextmanager
    def _session(self, *, rw: bool = False) -> Iterator[Any]:
        """A session sharing the process's login, closed on the way out. Hold `_LOCK`."""
        if self._closed:
            raise TokenFailure("the token handle is closed")
        session = self._token.open(rw=rw)  # no PIN: a second C_Login would fail
        try:
            yield session
        finally:
            session.close()

    def sign_digest(
        self, key_label: str, key_kind: KeyKind, hash_algorithm: HashAlgorithm, digest: bytes
    ) -> bytes:
        """The signature over `digest`: PKCS#1 v1.5 for RSA, DER `ECDSA-Sig-Value` for EC."""
        if len(digest) != hash_algorithm.digest_size:
            raise TokenFailure("digest length does not match its algorithm")
        if key_kind is KeyKind.RSA:
            data, mechanism = hash_algorithm.digest_info_prefix + digest, Mechanism.RSA_PKCS
        else:
            data, mechanism = digest, Mechanism.ECDSA
        with _LOCK:
            try:
                with self._session() as session:
                    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
                    raw = bytes(key.sign(data, mechanism=mechanism))
            except pkcs11.NoSuchKey as exc:
                raise TokenFailure(f"no private key labelled {key_label!r} in the token") from exc
            except pkcs11.PKCS11Error as exc:
                raise TokenFailure(f"the token failed to sign ({type(exc).__name__})") from exc
        if key_kind is KeyKind.EC:
            # PKCS#11 returns r || s, each half the length; CMS wants DER (RFC 5753 §7.1.1).
            half = len(raw) // 2
            r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
            return encode_dss_signature(r, s)
        return raw

    def describe_key(self, key_label: str) -> KeyFacts:
        """What the token says about a private key (`TokenFailure` if there is none)."""
        with _LOCK:
            try:
                with self._session() as session:
                    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
                    kind = KeyKind.RSA if key.key_type == pkcs11.KeyType.RSA else KeyKind.EC
                    return KeyFacts(
                        kind=kind,
                        sensitive=bool(key[Attribute.SENSITIVE]),
                        extractable=bool(key[Attribute.EXTRACTABLE]),
                        can_sign=bool(key[Attribute.SIGN]),
                    )
            except pkcs11.NoSuchKey as exc:
                raise TokenFailure(f"no private key labelled {key_label!r} in the token") from exc
            except pkcs11.PKCS11Error as exc:
                raise TokenFailure(f"cannot read key {key_label!r} ({type(exc).__name__})") from exc

    def import_private_key(
        self, key_label: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    ) -> None:
        """Stores `key` in the token, sensitive and not extractable, for signing only.

        For the development PKI only: production keys are generated inside the HSM.
        """
        if isinstance(key, rsa.RSAPrivateKey):
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1 RSAPrivateKey
                serialization.NoEncryption(),
            )
            attrs = decode_rsa_private_key(der)
        else:
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,  # SEC1 ECPrivateKey
                serialization.NoEncryption(),
            )
            attrs = decode_ec_private_key(der)
        attrs.update(
            {
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
                Attribute.DECRYPT: False,
                Attribute.UNWRAP: False,
                Attribute.LABEL: key_label,
                Attribute.ID: key_label.encode(),
            }
        )
        with _LOCK:
            try:
                with self._session(rw=True) as session:
                    session.create_object(attrs)
            except pkcs11.PKCS11Error as exc:
                raise TokenFailure(f"the token refused the key ({type(exc).__name__})") from exc
