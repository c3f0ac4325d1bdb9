"""Two (or more) real vault processes that trust each other, for the tests and the benchmark
of reuse between provinces: each with its own PostgreSQL database, its own bucket, its own
integration key (published as JWKS) and its own token key; plus a proxy that alters what
passes between them, and a peer that never answers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from tests.support.live import free_port
from vault.settings import Environment, Settings


def new_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@dataclass
class Province:
    """One vault: a province's name among its peers, its label, its officers' agency."""

    name: str
    label: str
    agency: str
    prefix: str
    database_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    bucket: str
    port: int = field(default_factory=free_port)
    key_pem: str = field(default_factory=new_pem)  # its integration key (JWKS)
    token_pem: str = field(default_factory=new_pem)  # its officers' access tokens

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def as_peer(self, url: str | None = None) -> dict[str, str]:
        """How another vault lists this one in VAULT_PEERS (optionally through `url`)."""
        return {
            "name": self.name,
            "label": self.label,
            "agency_prefix": self.prefix,
            "url": url or self.url,
            "jwks_url": self.url + "/.well-known/federation-jwks.json",
        }

    def settings(self) -> Settings:
        """The same vault in this process: to make accounts and issue their tokens."""
        return Settings(
            env=Environment.TEST,
            database_url=self.database_url,
            storage_backend="s3",
            s3_endpoint=self.s3_endpoint,
            s3_access_key=self.s3_access_key,
            s3_secret_key=SecretStr(self.s3_secret_key),
            s3_bucket=self.bucket,
            token_signing_keys={"t1": SecretStr(self.token_pem)},
            active_token_key_id="t1",
        )

    def environment(
        self, peers: list[dict[str, str]], extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
        env.update(
            VAULT_ENV="test",
            VAULT_DATABASE_URL=self.database_url,
            VAULT_STORAGE_BACKEND="s3",
            VAULT_S3_ENDPOINT=self.s3_endpoint,
            VAULT_S3_ACCESS_KEY=self.s3_access_key,
            VAULT_S3_SECRET_KEY=self.s3_secret_key,
            VAULT_S3_BUCKET=self.bucket,
            VAULT_TOKEN_SIGNING_KEYS=json.dumps({"t1": self.token_pem}),
            VAULT_ACTIVE_TOKEN_KEY_ID="t1",
            VAULT_RATE_LIMIT_PER_MINUTE=str(10**9),
            VAULT_INTEGRATION_CLIENT_ID=self.name,
            VAULT_INTEGRATION_CLIENT_KEY=self.key_pem,
            VAULT_INTEGRATION_CLIENT_KEY_ID=f"{self.name}-1",
            VAULT_FEDERATION_URL=self.url,
            VAULT_PEERS=json.dumps(peers),
            VAULT_OCR_WORKER_EMBEDDED="false",
            VAULT_LOG_FORMAT="json",
        )
        env.update(extra or {})
        return env


@contextlib.contextmanager
def vault_process(
    province: Province, env: dict[str, str], log_path: Path, cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`vault serve` (one process) for `province` on its port; yields once /readyz is 200."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--port",
                str(province.port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300  # interpreters start slowly on a loaded machine
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(province.url + "/readyz", timeout=2).status_code == 200:
                        break
                assert process.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "vault serve did not start"
                time.sleep(0.3)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def tamper(data: bytes) -> bytes:
    """The same PDF with its page one point taller: a change inside the signed bytes."""
    if b"842" in data:
        return data.replace(b"842", b"843", 1)
    return data[:-2] + bytes([data[-2] ^ 1]) + data[-1:]


class TamperingProxy:
    """Passes every request to `upstream` and alters the papers on their way back.

    `forge_digest=False`: the document's bytes change, the digest the peer announced does
    not (caught by the size and SHA-256 check). `forge_digest=True`: the announced digest and
    size are rewritten to match the altered bytes (a forger who controls the channel; caught
    only by verifying the signatures)."""

    def __init__(self, upstream: str, *, forge_digest: bool) -> None:
        self.upstream = upstream.rstrip("/")
        self.forge_digest = forge_digest
        self.port = free_port()
        self.altered = 0
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> TamperingProxy:
        self._server = _Server(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        keep = {k: v for k, v in headers.items() if k.lower() not in {"host", "content-length"}}
        return httpx.request(
            method, self.upstream + path, headers=keep, content=body or None, timeout=30
        )

    def _rewrite_candidates(
        self, answer: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> None:
        for item in answer.get("candidates", []):
            paper = self._forward(
                "POST", "/federation/documents/" + item["document_id"], headers, body
            )
            if paper.status_code == 200:
                altered = tamper(paper.content)
                item["sha256"] = hashlib.sha256(altered).hexdigest()
                item["size"] = len(altered)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = dict(self.headers.items())
                answer = proxy._forward(self.command, self.path, headers, body)
                content = answer.content
                if answer.status_code == 200 and self.path.startswith("/federation/documents/"):
                    content = tamper(content)
                    proxy.altered += 1
                elif (
                    answer.status_code == 200
                    and self.path == "/federation/reuse-candidates"
                    and proxy.forge_digest
                ):
                    parsed = answer.json()
                    proxy._rewrite_candidates(parsed, headers, body)
                    content = json.dumps(parsed).encode()
                self.send_response(answer.status_code)
                ctype = answer.headers.get("content-type")
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler


class SilentPeer:
    """A port that accepts connections and never answers: a peer slower than any budget."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._socket.close()
