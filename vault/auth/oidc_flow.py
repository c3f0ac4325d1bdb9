"""OpenID Connect sign-in in a browser (VNeID in production): the authorization code flow
with PKCE (RFC 7636) and a nonce, as a confidential or public client.

`start` gives the provider URL to send the browser to, with the state, nonce and PKCE
verifier the caller must keep (the console keeps them in a signed, short-lived cookie);
`exchange` trades the code the provider sent back for the ID token, which
`AuthService.oidc_login` then verifies (signature by the provider's JWKS, issuer, audience,
expiry, and the nonce).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

import httpx

from vault.errors import AuthenticationFailed


@dataclass(frozen=True, slots=True)
class OidcClientConfig:
    authorization_url: str
    token_url: str
    client_id: str
    client_secret: str | None  # None: a public client, PKCE alone
    scope: str = "openid"


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def _basic(client_id: str, secret: str) -> str:
    """client_secret_basic as RFC 6749 2.3.1 has it: each part form-urlencoded first (a ':'
    in the id or a '+' in the secret would otherwise be read as something else)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcCodeFlow:
    def __init__(self, config: OidcClientConfig, *, timeout: float = 10.0) -> None:
        self.config = config
        self._timeout = timeout

    def start(self, redirect_uri: str) -> AuthorizationRequest:
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.config.scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": _challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in self.config.authorization_url else "?"
        return AuthorizationRequest(
            f"{self.config.authorization_url}{separator}{query}", state, nonce, verifier
        )

    def exchange(self, code: str, redirect_uri: str, code_verifier: str) -> str:
        """The ID token for `code`; AuthenticationFailed when the provider refuses or fails
        (its answer is not repeated to the browser: it may name the client's problems)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.config.client_id,
        }
        headers = {"Accept": "application/json"}
        if self.config.client_secret is not None:
            headers["Authorization"] = _basic(self.config.client_id, self.config.client_secret)
        try:
            response = httpx.post(
                self.config.token_url, data=form, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise AuthenticationFailed("the identity provider could not be reached") from exc
        if response.status_code != 200:
            raise AuthenticationFailed("the identity provider refused the sign-in")
        try:
            id_token = response.json()["id_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthenticationFailed("the identity provider sent no ID token") from exc
        if not isinstance(id_token, str) or not id_token:
            raise AuthenticationFailed("the identity provider sent no ID token")
        return id_token
