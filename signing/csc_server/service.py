"""The remote signing service (ký số từ xa): what the CSC API's endpoints do.

`api.csc` only translates HTTP into calls on `SigningService`. Every call names the
authenticated caller (`authenticate`): the calling system is who the signature log records,
and a SAD is bound to the caller that asked for it.

Signing a hash set takes two calls, as in the CSC API with SCAL 2:

1. `authorize(caller, credential_id, pin=..., otp=..., hashes=[...])` checks the PIN/OTP
   (wrong ones are counted; `max_failures` in a row lock the credential) and returns a SAD
   bound to that caller, credential, and exact hash multiset, short-lived and single-use;
2. `sign_hash(caller, credential_id, sad, hashes, sign_algo, hash_algo)` spends the SAD,
   has the token sign each hash, verifies every signature against the certificate, logs
   them, and only then returns them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from signing.csc_server.algorithms import (
    DIGEST_SIZES,
    HashAlgorithm,
    KeyKind,
    SignatureAlgorithm,
    resolve,
)
from signing.csc_server.callers import Caller, CallerRegistry
from signing.csc_server.credentials import (
    Credential,
    CredentialRegistry,
    PinHasher,
    match_totp,
    utcnow,
)
from signing.csc_server.errors import (
    CredentialLocked,
    CredentialUnusable,
    InvalidRequest,
    InvalidSAD,
    RetryLater,
    SignatureCheckFailed,
    UnknownCredential,
    WrongAuthenticationFactor,
)
from signing.csc_server.sad import SadGrant, SadStore
from signing.csc_server.signature_log import SignatureLog, SignatureRecord
from signing.csc_server.state import CredentialState, CredentialStateStore

log = logging.getLogger("signing.service")  # its name before the move, kept for log filters

SERVICE_NAME = "Citizen vault remote signing service (ký số từ xa)"


class KeyStore(Protocol):
    """Where the private keys are (a PKCS#11 token): signs a digest with a key, by label."""

    def sign_digest(
        self, key_label: str, key_kind: KeyKind, hash_algorithm: HashAlgorithm, digest: bytes
    ) -> bytes: ...


@dataclass(frozen=True)
class AuthPolicy:
    sad_ttl_seconds: int = 120
    max_failures: int = 5
    failure_delay_seconds: float = 1.0  # doubled per consecutive failure, capped at 1 hour


@dataclass(frozen=True)
class CredentialInfo:
    """A credential with its current status, as `credentials/info` reports it."""

    credential: Credential
    key_enabled: bool  # False while locked
    certificate_status: str  # "valid", "expired" or "not_yet_valid"
    failures: int


def _certificate_status(credential: Credential, now: datetime) -> str:
    cert = credential.certificate
    if now < cert.not_valid_before_utc:
        return "not_yet_valid"
    if now > cert.not_valid_after_utc:
        return "expired"
    return "valid"


def verify_signature(
    credential: Credential, algorithm: SignatureAlgorithm, digest: bytes, signature: bytes
) -> bool:
    """Whether `signature` over `digest` verifies with the credential's certificate."""
    key = credential.certificate.public_key()
    prehashed = Prehashed(algorithm.hash.pyca())
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(prehashed))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


class SigningService:
    def __init__(
        self,
        *,
        credentials: CredentialRegistry,
        keys: KeyStore,
        callers: CallerRegistry,
        signature_log: SignatureLog,
        states: CredentialStateStore,
        pin_hasher: PinHasher,
        policy: AuthPolicy | None = None,
        wall_clock: Callable[[], float] = time.time,
        monotonic_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.policy = policy or AuthPolicy()
        self._keys = keys
        self._callers = callers
        self._log = signature_log
        self._states = states
        self._pins = pin_hasher
        self._now = wall_clock
        self._sads = SadStore(self.policy.sad_ttl_seconds, clock=monotonic_clock)
        # One lock per credential: concurrent guesses are counted one after the other.
        self._credential_locks = {c.id: threading.Lock() for c in credentials}

    # -- callers and credentials ----------------------------------------------------------

    def authenticate(self, authorization_header: str | None) -> Caller:
        return self._callers.authenticate(authorization_header)

    def _credential(self, caller: Caller, credential_id: str) -> Credential:
        if not credential_id:
            raise InvalidRequest("credentialID", "Missing (or invalid type) parameter credentialID")
        if not caller.may_use(credential_id):
            raise UnknownCredential("Invalid parameter credentialID")
        return self.credentials.get(credential_id)

    def list_credentials(self, caller: Caller, user_id: str | None = None) -> list[str]:
        return [
            c.id
            for c in self.credentials
            if caller.may_use(c.id) and (user_id is None or c.user_id == user_id)
        ]

    def credential_info(self, caller: Caller, credential_id: str) -> CredentialInfo:
        credential = self._credential(caller, credential_id)
        state = self._states.load(credential.id)
        return CredentialInfo(
            credential=credential,
            key_enabled=not state.locked,
            certificate_status=_certificate_status(credential, utcnow()),
            failures=state.failures,
        )

    def unlock(self, credential_id: str) -> None:
        """An operator's reset of a locked credential (after checking who asks, offline)."""
        credential = self.credentials.get(credential_id)
        with self._credential_locks[credential.id]:
            state = self._states.load(credential.id)
            self._states.save(credential.id, replace(state, failures=0, locked=False))
        log.warning("credential %s unlocked", credential.id)

    def _ensure_usable(self, credential: Credential) -> None:
        status = _certificate_status(credential, utcnow())
        if status != "valid":
            raise CredentialUnusable(
                f"the certificate of credential {credential.id} is {status.replace('_', ' ')}"
            )

    # -- authorize ------------------------------------------------------------------------

    def authorize(
        self,
        caller: Caller,
        credential_id: str,
        *,
        hashes: Sequence[bytes],
        num_signatures: int | None = None,
        pin: str | None = None,
        otp: str | None = None,
        hash_algorithm: HashAlgorithm | None = None,
    ) -> SadGrant:
        """A SAD for exactly `hashes` (SCAL 2: hashes are required), if PIN/OTP are right."""
        credential = self._credential(caller, credential_id)
        self._check_hashes(credential, hashes, hash_algorithm)
        if num_signatures is not None and num_signatures != len(hashes):
            raise InvalidRequest(
                "numSignatures", "numSignatures does not match the number of hashes"
            )
        if credential.pin_hash is not None and not pin:
            raise InvalidRequest("PIN", "Missing (or invalid type) string parameter PIN")
        if credential.otp_secret is not None and not otp:
            raise InvalidRequest("OTP", "Missing (or invalid type) string parameter OTP")
        self._ensure_usable(credential)
        self._check_factors(credential, pin, otp)
        return self._sads.issue(
            client_id=caller.id,
            credential_id=credential.id,
            hashes=hashes,
            hash_algorithm=hash_algorithm,
        )

    def _check_hashes(
        self,
        credential: Credential,
        hashes: Sequence[bytes],
        hash_algorithm: HashAlgorithm | None,
    ) -> None:
        if not hashes:
            raise InvalidRequest("hash", "Missing (or invalid type) array parameter hash")
        if len(hashes) > credential.multisign:
            raise InvalidRequest(
                "numSignatures",
                f"at most {credential.multisign} hashes per request for this credential",
            )
        sizes = {hash_algorithm.digest_size} if hash_algorithm else DIGEST_SIZES
        if any(len(h) not in sizes for h in hashes):
            raise InvalidRequest("hash", "Invalid digest value length")

    def _check_factors(self, credential: Credential, pin: str | None, otp: str | None) -> None:
        with self._credential_locks[credential.id]:
            state = self._states.load(credential.id)
            now = self._now()
            if state.locked:
                raise CredentialLocked(
                    f"credential {credential.id} is locked after repeated wrong PIN/OTP"
                )
            if state.failures and state.last_failure is not None:
                delay = min(self.policy.failure_delay_seconds * 2 ** (state.failures - 1), 3600.0)
                wait = state.last_failure + delay - now
                if wait > 0:
                    raise RetryLater("too soon after a failed authorization", retry_after=wait)

            wrong: str | None = None
            otp_step: int | None = None
            if credential.pin_hash is not None and not self._pins.verify(
                credential.id, credential.pin_hash, pin or ""
            ):
                wrong = "PIN"
            if wrong is None and credential.otp_secret is not None:
                otp_step = match_totp(credential.otp_secret, otp or "", now)
                used = state.last_otp_step
                if otp_step is None or (used is not None and otp_step <= used):
                    wrong = "OTP"  # a replayed OTP counts as a wrong one

            if wrong is not None:
                failed = state.failed(now, self.policy.max_failures)
                self._states.save(credential.id, failed)
                log.warning(
                    "wrong %s for credential %s (%d in a row%s)",
                    wrong,
                    credential.id,
                    failed.failures,
                    "; now locked" if failed.locked else "",
                )
                if failed.locked:
                    raise CredentialLocked(
                        f"wrong {wrong}: credential {credential.id} is now locked"
                    )
                raise WrongAuthenticationFactor(wrong, f"The {wrong} is invalid")

            succeeded = CredentialState(
                last_otp_step=otp_step if otp_step is not None else state.last_otp_step
            )
            self._states.save(credential.id, succeeded)

    # -- signHash -------------------------------------------------------------------------

    def sign_hash(
        self,
        caller: Caller,
        credential_id: str,
        sad: str,
        hashes: Sequence[bytes],
        sign_algo: str,
        hash_algo: str | None = None,
    ) -> list[bytes]:
        """Signs each hash (raw digests) with the credential's key; one signature per hash,
        in order: PKCS#1 v1.5 for RSA, DER-encoded ECDSA-Sig-Value for EC."""
        credential = self._credential(caller, credential_id)
        algorithm = resolve(credential.key_kind, sign_algo, hash_algo)
        self._check_hashes(credential, hashes, algorithm.hash)
        if not sad:
            raise InvalidRequest("SAD", "Missing (or invalid type) string parameter SAD")
        authorization = self._sads.redeem(sad)  # spent from here on, whatever follows
        if not authorization.covers(caller.id, credential.id, hashes, algorithm.hash):
            raise InvalidSAD("Invalid parameter SAD: it does not cover these hashes")
        self._ensure_usable(credential)
        if self._states.load(credential.id).locked:
            raise CredentialLocked(f"credential {credential.id} is locked")

        signatures = []
        for digest in hashes:
            signature = self._keys.sign_digest(
                credential.key_label, credential.key_kind, algorithm.hash, digest
            )
            if not verify_signature(credential, algorithm, digest, signature):
                log.error("token signature did not verify for credential %s", credential.id)
                raise SignatureCheckFailed("the signature produced did not verify")
            signatures.append(signature)

        at = utcnow()
        self._log.append(
            [
                SignatureRecord(
                    time=at,
                    client_id=caller.id,
                    credential_id=credential.id,
                    user_id=credential.user_id,
                    hash_algorithm=algorithm.hash.value,
                    hash_hex=digest.hex(),
                    signature_algorithm=algorithm.oid,
                )
                for digest in hashes
            ]
        )
        return signatures
