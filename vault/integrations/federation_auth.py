"""The answering side of vault-to-vault authentication: no shared secret anywhere.

A peer vault obtains an access token here with OAuth 2.0 client credentials and an RFC 7523
`private_key_jwt` client assertion (what `auth.PrivateKeyJwt` sends). The assertion must be
signed by a key in the JWK set the peer publishes at its well-known address (fetched over
HTTP and cached; fetched again once when an unknown key id shows up, so a peer's key
rotation needs nobody here), name the peer as `iss` and `sub`, this vault's token endpoint
as `aud`, be unexpired and carry a `jti` not seen before (in this process: assertions live
60 s, so a replay has a minute and one process to try, and the token it gets names the same
peer anyway).

The access token is a JWT this vault signs with its own integration key, the key whose
public half it publishes (`public_jwks`): any of its processes that share the key verify it,
and no state is kept.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from vault.errors import AuthenticationFailed
from vault.integrations.auth import ASSERTION_TYPE, PrivateKeyJwt, SigningKey
from vault.integrations.base import IntegrationError, RetryPolicy, Timeouts
from vault.integrations.http import HttpCaller
from vault.settings import PeerSettings

log = logging.getLogger("vault.integrations")

ACCESS_TOKEN_SECONDS = 300
KEYS_CACHE_SECONDS = 3600.0
# A peer that keeps naming unknown key ids does not make us fetch its keys each time.
KEYS_REFETCH_SECONDS = 30.0
_JTI_MEMORY = 50_000
ALGORITHMS = ["PS256", "ES256", "EdDSA", "RS256"]


@dataclass(frozen=True, slots=True)
class PeerClient:
    """A peer vault as it was authenticated: who, and which agencies it speaks for."""

    name: str
    label: str
    agency_prefix: str

    def speaks_for(self, agency_code: str) -> bool:
        return agency_code.startswith(self.agency_prefix)


JwksFetcher = Callable[[PeerSettings], Mapping[str, Any]]


def fetch_jwks(timeouts: Timeouts) -> JwksFetcher:
    """Reads a peer's published JWK set over HTTP (one attempt, short deadline)."""

    def fetch(peer: PeerSettings) -> Mapping[str, Any]:
        url = httpx.URL(peer.keys_url)
        with HttpCaller(
            f"peer_vault {peer.name} keys",
            str(url.copy_with(path="/", query=None)),
            timeouts=timeouts,
            policy=RetryPolicy(attempts=2, base_delay=0.2, deadline=10),
        ) as caller:
            answer = caller.get_json(url.raw_path.decode("ascii"), operation="jwks")
        if not isinstance(answer, dict) or not isinstance(answer.get("keys"), list):
            raise AuthenticationFailed(f"peer {peer.name} publishes no JWK set")
        return answer

    return fetch


class FederationAuth:
    def __init__(
        self,
        *,
        own_key: SigningKey,
        key_id: str,
        base_url: str,
        peers: list[PeerSettings],
        fetch: JwksFetcher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = own_key
        self._key_id = key_id
        self.base_url = base_url.rstrip("/")
        self.token_url = self.base_url + "/federation/token"
        self._peers = {p.name: p for p in peers}
        self._fetch = fetch
        self._clock = clock
        self._algorithm = PrivateKeyJwt.algorithm_for(own_key)
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, jwt.PyJWKSet]] = {}
        self._jtis: OrderedDict[str, float] = OrderedDict()

    def public_jwks(self) -> dict[str, Any]:
        return PrivateKeyJwt.jwks_of(self._key, self._key_id, self._algorithm)

    def peer(self, name: str) -> PeerClient | None:
        found = self._peers.get(name)
        return PeerClient(found.name, found.label, found.agency_prefix) if found else None

    # -- the token endpoint --------------------------------------------------------------

    def issue_token(self, form: Mapping[str, str]) -> tuple[str, int]:
        """An access token for the peer the client assertion in `form` proves; else
        AuthenticationFailed (the detail never repeats the assertion)."""
        if form.get("grant_type") != "client_credentials":
            raise AuthenticationFailed("only the client_credentials grant is supported")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise AuthenticationFailed("a private_key_jwt client assertion is required")
        assertion = form.get("client_assertion", "")
        name = form.get("client_id", "")
        peer = self._peers.get(name)
        if peer is None or not assertion:
            raise AuthenticationFailed("not a peer this vault trusts")
        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("the client assertion is not a JWT") from exc
        key = self._key_for(peer, kid)
        try:
            claims = jwt.decode(
                assertion,
                key=key,
                algorithms=[key.algorithm_name],
                audience=self.token_url,
                issuer=peer.name,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed(f"the client assertion does not hold: {exc}") from exc
        if claims["sub"] != peer.name:
            raise AuthenticationFailed("the assertion's subject is not the client")
        if int(claims["exp"]) - int(claims.get("iat", claims["exp"])) > 600:
            raise AuthenticationFailed("an assertion may live ten minutes at most")
        self._once(str(claims["jti"]), float(claims["exp"]))
        now = int(self._clock())
        token = jwt.encode(
            {
                "iss": self.base_url,
                "aud": self.base_url + "/federation",
                "sub": peer.name,
                "iat": now,
                "exp": now + ACCESS_TOKEN_SECONDS,
                "jti": secrets.token_urlsafe(12),
            },
            self._key,
            algorithm=self._algorithm,
            headers={"kid": self._key_id},
        )
        return token, ACCESS_TOKEN_SECONDS

    # -- the federation endpoints --------------------------------------------------------

    def authenticate(self, authorization: str | None) -> PeerClient:
        """The peer an access token from `issue_token` was given to."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationFailed("a peer vault's bearer token is required")
        try:
            claims = jwt.decode(
                token,
                key=self._key.public_key(),
                algorithms=[self._algorithm],
                audience=self.base_url + "/federation",
                issuer=self.base_url,
                options={"require": ["sub", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("the peer's access token does not hold") from exc
        peer = self.peer(str(claims["sub"]))
        if peer is None:
            raise AuthenticationFailed("not a peer this vault trusts (any more)")
        return peer

    # -- internals -----------------------------------------------------------------------

    def _key_for(self, peer: PeerSettings, kid: object) -> jwt.PyJWK:
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(peer.name)
        keys = cached[1] if cached and now - cached[0] < KEYS_CACHE_SECONDS else None
        found = _find(keys, kid)
        if found is None and (cached is None or now - cached[0] >= KEYS_REFETCH_SECONDS):
            try:
                keys = jwt.PyJWKSet.from_dict(dict(self._fetch(peer)))
            except (IntegrationError, jwt.PyJWTError) as exc:
                raise AuthenticationFailed(f"the keys of peer {peer.name} cannot be read") from exc
            with self._lock:
                self._keys[peer.name] = (now, keys)
            found = _find(keys, kid)
        if found is None:
            log.warning(
                "peer %s: key id %r is not among the published %r",
                peer.name,
                kid,
                [k.key_id for k in keys.keys] if keys is not None else None,
            )
            raise AuthenticationFailed("the assertion's key is not one the peer publishes")
        return found

    def _once(self, jti: str, expires: float) -> None:
        now = self._clock()
        with self._lock:
            while self._jtis and next(iter(self._jtis.values())) < now - 60:
                self._jtis.popitem(last=False)
            if jti in self._jtis:
                raise AuthenticationFailed("this client assertion was already used")
            self._jtis[jti] = expires
            while len(self._jtis) > _JTI_MEMORY:
                self._jtis.popitem(last=False)


def _find(keys: jwt.PyJWKSet | None, kid: object) -> jwt.PyJWK | None:
    if keys is None:
        return None
    for key in keys.keys:
        if key.key_id == kid:
            return key
    return None


def is_signing_key(key: object) -> bool:
    return isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    )
