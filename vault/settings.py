"""The one configuration object. Every value comes from `VAULT_*` environment variables."""

from __future__ import annotations

import base64
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Public on purpose: it encrypts the embedded default's data under ./var/ and nothing else.
# Settings refuse it when VAULT_ENV=production.
DEVELOPMENT_MASTER_KEY_ID = "dev-0"
DEVELOPMENT_MASTER_KEY = "dmF1bHQtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="  # 32 bytes


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class PeerSettings(BaseModel):
    """Another province's vault this one trusts (kho dữ liệu của tỉnh khác).

    `name` is the client id each side uses with the other (this vault's
    `integration_client_id` is its name at the peer); `agency_prefix` is the start of the
    agency codes the peer speaks for (e.g. "000.00.22" for its province's agencies), so an
    officer it names must belong to one of them; its keys are read from `jwks_url` (default
    `<url>/.well-known/federation-jwks.json`; the vault's own
    access-token keys are at /.well-known/jwks.json)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    label: str = Field(min_length=1, max_length=200)  # "tỉnh Đồng Nai", shown to officers
    agency_prefix: str = Field(pattern=r"^\d{3}(\.\d{2}(\.\d{2}(\.[A-Z]\d{0,2})?)?)?\.?$")
    url: str = Field(pattern=r"^https?://")
    jwks_url: str | None = None
    token_endpoint: str | None = None  # default `<url>/federation/token`

    @property
    def keys_url(self) -> str:
        return self.jwks_url or self.url.rstrip("/") + "/.well-known/federation-jwks.json"

    @property
    def token_url(self) -> str:
        return self.token_endpoint or self.url.rstrip("/") + "/federation/token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT_", env_nested_delimiter="__", extra="ignore"
    )

    env: Environment = Environment.DEVELOPMENT

    database_url: str = "sqlite:///./var/vault.db"

    storage_backend: Literal["filesystem", "s3"] = "filesystem"
    storage_path: Path = Path("./var/objects")
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "vault"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    # One part this size is held in memory while uploading (a few copies of it at peak):
    # it bounds a large upload's RSS.
    s3_part_size: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024)
    # S3 Object Lock on each document's object (COMPLIANCE retention until its period ends,
    # legal holds mirrored): the bucket must have been created with object lock (MinIO).
    s3_object_lock: bool = False

    # Master keys wrap the per-blob data keys: {"key id": "base64 of 32 bytes"}.
    master_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEVELOPMENT_MASTER_KEY_ID: SecretStr(DEVELOPMENT_MASTER_KEY)}
    )
    active_master_key_id: str = DEVELOPMENT_MASTER_KEY_ID

    max_upload_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    # Decoded pixels an uploaded image may have: a bigger one is a decompression bomb.
    max_image_pixels: int = Field(default=120_000_000, gt=0)
    max_pdf_pages: int = Field(default=2_000, gt=0)

    # How old an object without a database row must be before `vault reconcile` removes it:
    # younger ones may belong to an upload still in flight.
    orphan_grace_seconds: int = Field(default=3600, ge=0)

    host: str = "127.0.0.1"
    port: int = 8000

    # Access tokens the vault issues (JWT, EdDSA). Keys: {"key id": "PEM of an Ed25519 private
    # key"}; every configured key verifies, the active one signs, so keys rotate without
    # invalidating live tokens. Empty in development: an ephemeral key is made at start-up.
    token_signing_keys: dict[str, SecretStr] = Field(default_factory=dict)
    active_token_key_id: str | None = None
    token_issuer: str = "urn:vault:development"  # noqa: S105
    token_audience: str = "vault-api"  # noqa: S105
    token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    # The officer console's session: it ends after this long without a request (a warning
    # shows two minutes before), and after 12 hours whatever happens. Its own setting, not
    # the access token's lifetime: an officer at the desk reads a paper for more than 5 minutes.
    console_idle_seconds: int = Field(default=1800, ge=60, le=12 * 3600)

    # OpenID Connect sign-in for officers and owners (VNeID in production).
    oidc_issuer: str | None = None
    oidc_jwks_url: str | None = None
    oidc_audience: str | None = None
    # The officer console's browser sign-in (authorization code flow with PKCE): the
    # provider's endpoints, this vault's client registration, and the redirect URI
    # registered there (default: <the request's base URL>/console/oidc/callback).
    oidc_authorization_url: str | None = None
    oidc_token_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scope: str = "openid"
    oidc_redirect_uri: str | None = None

    # RFC 3161 timestamp authority for anchoring the audit chain head (the signing service's
    # TSA, or the CA's in production), and how often the API process anchors it (0: never;
    # `vault audit anchor` does it on demand).
    audit_tsa_url: str | None = None
    audit_anchor_interval_seconds: int = Field(default=3600, ge=0)

    # /metrics (Prometheus): with a token, only a scraper sending it as a bearer token reads
    # them; without one they are open in development and switched off in production.
    metrics_token: SecretStr | None = None
    # Log lines of `vault serve` and `vault worker`: "json" (one object per line, for a log
    # shipper) or "text" (for a terminal).
    log_format: Literal["text", "json"] = "text"
    # A Server-Timing header on every API answer: where its time went (token, account,
    # queries, commit, the durable audit write, serialisation). For benchmarks and tuning;
    # off by default, since it tells a caller how long the server's steps take.
    server_timing: bool = False

    # Requests per minute per client (token subject or address), with bursts of a tenth.
    rate_limit_per_minute: int = Field(default=1200, ge=1)

    # Failed sign-ins per account and per client id, on every sign-in path, counted in the
    # database (shared by every API process): after `signin_free_failures` in a row each
    # attempt waits 1, 2, 4 … s (from `signin_first_backoff_seconds`, at most
    # `signin_max_backoff_seconds`); at
    # `signin_lock_after` the account or client is locked out for `signin_lockout_seconds`.
    signin_free_failures: int = Field(default=5, ge=1)
    signin_lock_after: int = Field(default=10, ge=1)
    signin_lockout_seconds: int = Field(default=900, ge=1)
    signin_max_backoff_seconds: int = Field(default=60, ge=1)
    signin_first_backoff_seconds: float = Field(default=1.0, gt=0, le=60)

    # OCR jobs, run by `vault worker` processes (or by one inside `vault serve`, see
    # `ocr_worker_embedded`). A file over the page limit fails its job (it stays stored).
    ocr_max_pages: int = Field(default=500, gt=0)
    ocr_page_timeout_seconds: float = Field(default=60, gt=0)  # one engine call
    ocr_job_timeout_seconds: float = Field(default=1800, gt=0)  # one document, all pages
    # Address space of the process that reads one document (Tesseract included): a file
    # that needs more fails its job, not the worker. 0: no limit.
    ocr_memory_limit_mb: int = Field(default=3072, ge=0)
    # A worker renews its lease while it works; a killed worker's job is taken over once
    # the lease has run out.
    ocr_lease_seconds: float = Field(default=60, gt=0)
    ocr_max_attempts: int = Field(default=5, ge=1)
    ocr_retry_base_seconds: float = Field(default=30, ge=0)  # doubled on each failure
    ocr_retry_max_seconds: float = Field(default=3600, ge=0)
    ocr_poll_seconds: float = Field(default=2, gt=0)  # how often an idle worker looks
    # A worker thread inside the API process: None means on in development (the embedded
    # default, ./scripts/run), off otherwise (run `vault worker` processes).
    ocr_worker_embedded: bool | None = None

    # How long an export package waits for its one download before it is deleted.
    export_link_hours: float = Field(default=72, gt=0, le=24 * 30)

    # How long a stored paper's signature verdict stands before reuse checks it again
    # (revocation can turn a good signature bad).
    signature_recheck_seconds: int = Field(default=86_400, ge=60)

    # Outbound integrations (vault.integrations); each is off while its URL is unset.
    # The National Public Service Portal's dossier sync, and the token endpoint it trusts.
    portal_url: str | None = None
    portal_token_url: str | None = None
    # Peer vaults this one asks for reuse candidates and answers (a JSON list of
    # PeerSettings), this vault's own public base URL (the audience of the assertions peers
    # send it; federation is off without it), and how long a reuse plan waits for peers.
    peers: list[PeerSettings] = Field(default_factory=list)
    federation_url: str | None = None
    peer_budget_seconds: float = Field(default=3.0, gt=0, le=60)
    # This vault as their client: its client id, and the private key (PEM: RSA, P-256 or
    # Ed25519) signing its private_key_jwt assertions, whose public half is registered with
    # them. Without a key (or token URL) calls carry no credentials: local stand-ins only.
    integration_client_id: str = "vault"
    integration_client_key: SecretStr | None = None
    integration_client_key_id: str = "vault-1"
    integration_scope: str | None = None
    # Per attempt: connecting, and each read or write; per call (retries included): the
    # deadline. Only calls safe to repeat are retried, with exponential backoff and jitter.
    integration_connect_timeout_seconds: float = Field(default=5, gt=0)
    integration_read_timeout_seconds: float = Field(default=30, gt=0)
    integration_deadline_seconds: float = Field(default=60, gt=0)
    integration_attempts: int = Field(default=4, ge=1, le=10)
    integration_backoff_base_seconds: float = Field(default=0.5, ge=0)
    integration_backoff_max_seconds: float = Field(default=30, ge=0)
    # The portal sync's outbox (vault.services.portal_sync): events per call, the delivery
    # attempts an event gets before it is a dead letter, and the backoff between them.
    portal_sync_batch_size: int = Field(default=200, ge=1, le=1000)
    portal_sync_max_attempts: int = Field(default=12, ge=1)
    portal_sync_backoff_base_seconds: float = Field(default=2, ge=0)
    portal_sync_backoff_max_seconds: float = Field(default=900, ge=0)

    @field_validator("master_keys")
    @classmethod
    def _keys_are_256_bit(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if not keys:
            raise ValueError("at least one master key is required")
        for key_id, value in keys.items():
            try:
                raw = base64.b64decode(value.get_secret_value(), validate=True)
            except ValueError as exc:
                raise ValueError(f"master key {key_id!r} is not valid base64") from exc
            if len(raw) != 32:
                raise ValueError(f"master key {key_id!r} must be 32 bytes (AES-256)")
        return keys

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.active_master_key_id not in self.master_keys:
            raise ValueError(f"active master key {self.active_master_key_id!r} is not configured")
        if self.env is Environment.PRODUCTION:
            if any(
                v.get_secret_value() == DEVELOPMENT_MASTER_KEY for v in self.master_keys.values()
            ):
                raise ValueError("the development master key must not be used in production")
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs PostgreSQL, not the embedded SQLite file")
            if self.oidc_authorization_url and not self.oidc_redirect_uri:
                # Else it would follow the request's Host header, which a client chooses.
                raise ValueError(
                    "production needs VAULT_OIDC_REDIRECT_URI for the console's sign-in"
                )
            if not self.token_signing_keys:
                raise ValueError("production needs VAULT_TOKEN_SIGNING_KEYS")
        names = [p.name for p in self.peers]
        if len(set(names)) != len(names):
            raise ValueError("two peers share a name")
        if self.token_signing_keys and self.active_token_key_id not in self.token_signing_keys:
            raise ValueError("VAULT_ACTIVE_TOKEN_KEY_ID must name one of the token signing keys")
        return self

    def master_key_bytes(self) -> dict[str, bytes]:
        return {k: base64.b64decode(v.get_secret_value()) for k, v in self.master_keys.items()}
