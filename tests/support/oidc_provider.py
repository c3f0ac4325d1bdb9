"""A stand-in for the OpenID Connect provider (VNeID), which cannot be reached from here: a
small HTTP server with the provider's authorization, token and JWKS endpoints, as strict as a
real one about what it checks (client secret, redirect URI, PKCE verifier, single-use codes)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.live import free_port

CLIENT_ID = "vault-console"
# Characters that client_secret_basic must form-urlencode (RFC 6749 2.3.1) before Base64.
CLIENT_SECRET = "s3cr+t:%/é-console-0123456789"


class FakeIdentityProvider:
    """The provider's side of the code flow. `subject` is who is signed in at the provider
    (and consents at once); `nonce_override` makes it put a wrong nonce in the ID token."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.subject = "vneid-subject-42"  # who is signed in at the provider
        self.nonce_override: str | None = None
        self.extra_claims: dict[str, Any] = {}  # e.g. another "aud" or an "azp"
        self.codes: dict[str, dict[str, str]] = {}
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwks = json.dumps({"keys": [{**jwk, "kid": "vneid-1", "use": "sig", "alg": "RS256"}]})
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict[str, Any] | str, **headers: str) -> None:
                data = body if isinstance(body, str) else json.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data.encode())

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/jwks":
                    return self._send(200, jwks)
                if url.path != "/authorize":
                    return self._send(404, {"error": "not_found"})
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                if (
                    q.get("response_type") != "code"
                    or q.get("client_id") != CLIENT_ID
                    or q.get("code_challenge_method") != "S256"
                    or "openid" not in q.get("scope", "").split()
                ):
                    return self._send(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {
                    "challenge": q["code_challenge"],
                    "redirect_uri": q["redirect_uri"],
                    "nonce": q["nonce"],
                    "subject": provider.subject,
                }
                back = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                return self._send(302, {}, Location=back)

            def do_POST(self) -> None:
                if self.path != "/token":
                    return self._send(404, {"error": "not_found"})
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if provider.client_auth(self.headers.get("Authorization", "")) != (
                    CLIENT_ID,
                    CLIENT_SECRET,
                ):
                    return self._send(401, {"error": "invalid_client"})
                grant = provider.codes.pop(form.get("code", ""), None)  # single use
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if (
                    grant is None
                    or form.get("grant_type") != "authorization_code"
                    or form.get("redirect_uri") != grant["redirect_uri"]
                    or challenge != grant["challenge"]
                ):
                    return self._send(400, {"error": "invalid_grant"})
                now = int(time.time())
                claims = {
                    "iss": provider.issuer,
                    "sub": grant["subject"],
                    "aud": CLIENT_ID,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": provider.nonce_override or grant["nonce"],
                    **provider.extra_claims,
                }
                token = jwt.encode(
                    claims, provider.key, algorithm="RS256", headers={"kid": "vneid-1"}
                )
                return self._send(200, {"id_token": token, "token_type": "Bearer"})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def settings(self) -> dict[str, Any]:
        """The vault settings that point the console at this provider."""
        from pydantic import SecretStr

        return {
            "oidc_issuer": self.issuer,
            "oidc_jwks_url": f"{self.issuer}/jwks",
            "oidc_audience": CLIENT_ID,
            "oidc_authorization_url": f"{self.issuer}/authorize",
            "oidc_token_url": f"{self.issuer}/token",
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
        }

    def id_token(self, subject: str, **override: Any) -> str:
        """An ID token as the provider would sign it (for the API's `/auth/oidc`)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            **override,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "vneid-1"})

    @staticmethod
    def client_auth(header: str) -> tuple[str, str] | None:
        """client_secret_basic, decoded as RFC 6749 2.3.1 says: Base64, then each part
        form-urldecoded."""
        scheme, _, value = header.partition(" ")
        if scheme != "Basic":
            return None
        user, sep, password = base64.b64decode(value).decode().partition(":")
        return (unquote_plus(user), unquote_plus(password)) if sep else None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
