"""Client authentication towards outside systems: a fixed bearer token, or OAuth 2.0 client
credentials with a `private_key_jwt` client assertion (RFC 7523, OpenID Connect Core 9).

The assertion is a JWS built with PyJWT (already a dependency: the vault's own access tokens
use it) over a `cryptography` private key; the peer checks it against the public key set this
vault publishes (`PrivateKeyJwt.public_jwks()`), so no shared secret ever leaves the vault.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from vault.integrations.base import IntegrationProtocolError, RetryPolicy, Timeouts
from vault.integrations.http import HttpCaller

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# A cached access token is renewed this long before the peer says it expires.
EXPIRY_MARGIN_SECONDS = 30.0

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class BearerToken:
    """A long-lived token the peer issued out of band (a development or test set-up)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        """A fixed token cannot be renewed: the next call is refused the same way."""

    def __repr__(self) -> str:
        return "BearerToken(***)"


def _algorithm(key: SigningKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "PS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name != "secp256r1":
            raise ValueError("only P-256 EC keys are supported (ES256)")
        return "ES256"
    return "EdDSA"


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires_at: float  # time.monotonic()


class PrivateKeyJwt:
    """OAuth 2.0 client credentials, the client authenticated by a signed assertion.

    Each token request carries a fresh assertion (iss = sub = client id, aud = the token
    endpoint, a random jti, a lifetime of `assertion_seconds`), so a captured one cannot be
    replayed for long, and the endpoint can refuse a jti it has seen. The access token is
    cached until shortly before it expires, or until the peer refuses it (401).
    """

    def __init__(
        self,
        *,
        system: str,
        client_id: str,
        token_url: str,
        private_key: SigningKey,
        key_id: str,
        scope: str | None = None,
        assertion_seconds: int = 60,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.key_id = key_id
        self.scope = scope
        self.assertion_seconds = assertion_seconds
        self._key = private_key
        self._algorithm = _algorithm(private_key)
        # Tried once per call: the call that needs the token retries as a whole.
        self._caller = HttpCaller(
            f"{system} token endpoint",
            token_url,
            timeouts=timeouts,
            policy=RetryPolicy(attempts=1),
        )
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"PrivateKeyJwt(client_id={self.client_id!r}, key_id={self.key_id!r})"

    def public_jwks(self) -> dict[str, Any]:
        """The JWK set to publish (or register with the peer): the public key only."""
        return self.jwks_of(self._key, self.key_id, self._algorithm)

    @staticmethod
    def algorithm_for(key: SigningKey) -> str:
        return _algorithm(key)

    @staticmethod
    def jwks_of(key: SigningKey, key_id: str, algorithm: str) -> dict[str, Any]:
        public = key.public_key()
        jwk: dict[str, Any]
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        return {"keys": [{**jwk, "kid": key_id, "use": "sig", "alg": algorithm}]}

    def assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "jti": secrets.token_urlsafe(24),
            "iat": now,
            "nbf": now,
            "exp": now + self.assertion_seconds,
        }
        return jwt.encode(
            claims, self._key, algorithm=self._algorithm, headers={"kid": self.key_id}
        )

    def headers(self) -> dict[str, str]:
        with self._lock:
            token = self._token
            if token is None or time.monotonic() >= token.expires_at:
                token = self._token = self._fetch()
            return {"Authorization": f"Bearer {token.value}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def close(self) -> None:
        self._caller.close()

    def _fetch(self) -> _Token:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(),
        }
        if self.scope:
            form["scope"] = self.scope
        answer = self._caller.post_form(self.token_url, form, operation="token")
        if not isinstance(answer, dict):
            raise IntegrationProtocolError(self._caller.system, "the token answer is no object")
        value = answer.get("access_token")
        kind = str(answer.get("token_type", "")).lower()
        lifetime = answer.get("expires_in", 300)
        if not isinstance(value, str) or not value or kind != "bearer":
            raise IntegrationProtocolError(self._caller.system, "no bearer access token")
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            raise IntegrationProtocolError(self._caller.system, "a bad expires_in")
        margin = min(EXPIRY_MARGIN_SECONDS, lifetime / 2)
        return _Token(value, time.monotonic() + lifetime - margin)
