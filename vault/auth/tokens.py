"""Access tokens: short-lived JWTs signed by the vault (EdDSA), verified with PyJWT.

Every configured key verifies (by `kid`); the active one signs. Verification pins the
algorithm, issuer and audience and requires expiry, so `alg: none`, forged, expired and
foreign tokens are all refused.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vault.errors import AuthenticationFailed

ALGORITHM = "EdDSA"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int


class TokenKeys:
    def __init__(self, private_keys: dict[str, Ed25519PrivateKey], active_kid: str) -> None:
        if active_kid not in private_keys:
            raise ValueError(f"token key {active_kid!r} is not configured")
        self._private = private_keys
        self.active_kid = active_kid
        self._public: dict[str, Ed25519PublicKey] = {
            kid: key.public_key() for kid, key in private_keys.items()
        }

    @classmethod
    def from_pem(cls, pems: dict[str, str], active_kid: str) -> TokenKeys:
        keys: dict[str, Ed25519PrivateKey] = {}
        for kid, pem in pems.items():
            key = serialization.load_pem_private_key(pem.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"token key {kid!r} must be an Ed25519 private key")
            keys[kid] = key
        return cls(keys, active_kid)

    @classmethod
    def ephemeral(cls) -> TokenKeys:
        """Development only: a fresh key per process."""
        kid = "dev-" + secrets.token_hex(4)
        return cls({kid: Ed25519PrivateKey.generate()}, kid)

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims,
            self._private[self.active_kid],
            algorithm=ALGORITHM,
            headers={"kid": self.active_kid},
        )

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        return self._public.get(kid)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        keys = []
        for kid, public in self._public.items():
            jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(public))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM})
        return {"keys": keys}


class TokenService:
    def __init__(self, keys: TokenKeys, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl_seconds

    def issue(self, subject: str, claims: dict[str, Any]) -> IssuedToken:
        clock = time.time()
        now = int(clock)
        body = {
            **claims,
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            # In milliseconds (RFC 7519 allows fractions): tokens issued after an account's
            # tokens were revoked must be told from those before, even within one second.
            "iat": math.floor(clock * 1000) / 1000,
            "nbf": now,
            "exp": now + self.ttl,
            "jti": secrets.token_urlsafe(12),
        }
        return IssuedToken(self.keys.sign(body), self.ttl)

    def sign_document(self, payload: dict[str, Any]) -> str:
        """A JWS over a document the vault vouches for (e.g. a consent receipt)."""
        return self.keys.sign({**payload, "iss": self.issuer, "iat": int(time.time())})

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("the access token is malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise AuthenticationFailed("the access token's algorithm is not accepted")
        key = self.keys.public_key(str(header.get("kid", "")))
        if key is None:
            raise AuthenticationFailed("the access token was signed by an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationFailed("the access token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationFailed("the access token is for another audience") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("the access token is not valid") from exc
        return claims
