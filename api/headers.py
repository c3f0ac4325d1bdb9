"""Headers every response carries.

- `X-Content-Type-Options: nosniff` on every response;
- `Cache-Control: no-store` on every API response (/api/...) that does not set its own:
  they carry personal data (metadata, OCR text, search results, access logs) or tokens;
  token responses also get `Pragma: no-cache` (RFC 6749 §5.1);
- `Strict-Transport-Security` in production, where the vault is served over HTTPS only.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
TOKEN_PATHS = frozenset({"/api/v1/oauth/token", "/api/v1/auth/login", "/api/v1/auth/oidc"})


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if path.startswith("/api/"):
                    headers.setdefault("Cache-Control", "no-store")
                if path in TOKEN_PATHS:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
                if self.production:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
