"""Builds the vault's parts from settings: one place, used by the API, the CLI and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from vault.access import AccessPolicy
from vault.auth.oidc_flow import OidcClientConfig, OidcCodeFlow
from vault.auth.service import AuthService, OidcConfig
from vault.auth.throttle import ThrottlePolicy
from vault.auth.tokens import TokenKeys, TokenService
from vault.content import ContentLimits
from vault.crypto import Keyring
from vault.db import Engine, UnitOfWorkFactory, create_engine_for, ping, session_factory
from vault.db.rate_limit_store import DatabaseRateStore
from vault.errors import StorageUnavailable
from vault.integrations import config as integrations
from vault.integrations.federation_auth import FederationAuth, fetch_jwks
from vault.personal_data import IdentifierCipher
from vault.ratelimit import RateLimiter, SharedRateLimiter
from vault.services import ContentReader, DocumentService, DossierService, OwnerService
from vault.services.access_log import AccessLogService
from vault.services.catalogue import CatalogueService
from vault.services.consents import ConsentService
from vault.services.corrections import CorrectionService
from vault.services.indicators import IndicatorService
from vault.services.peer_answers import PeerAnswerService
from vault.services.remote_reuse import RemoteReuseService
from vault.services.retention import RetentionService
from vault.services.reuse import ReuseService
from vault.services.signatures import SignatureService
from vault.settings import Settings
from vault.storage import BlobStore
from vault.storage.filesystem import FilesystemBlobStore


def build_blob_store(settings: Settings) -> BlobStore:
    if settings.storage_backend == "s3":
        from vault.storage.s3 import S3BlobStore  # only this backend needs minio loaded

        return S3BlobStore(
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            bucket=settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            part_size=settings.s3_part_size,
            object_lock=settings.s3_object_lock,
        )
    return FilesystemBlobStore(settings.storage_path)


def build_keyring(settings: Settings) -> Keyring:
    return Keyring(settings.master_key_bytes(), settings.active_master_key_id)


def build_identifier_cipher(settings: Settings) -> IdentifierCipher:
    return IdentifierCipher(settings.master_key_bytes(), settings.active_master_key_id)


def build_token_service(settings: Settings) -> TokenService:
    if settings.token_signing_keys:
        assert settings.active_token_key_id is not None
        keys = TokenKeys.from_pem(
            {k: v.get_secret_value() for k, v in settings.token_signing_keys.items()},
            settings.active_token_key_id,
        )
    else:
        keys = TokenKeys.ephemeral()  # development only: settings refuse this in production
    return TokenService(
        keys,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=settings.token_ttl_seconds,
    )


def build_code_flow(settings: Settings) -> OidcCodeFlow | None:
    if settings.oidc_authorization_url and settings.oidc_token_url and settings.oidc_client_id:
        secret = settings.oidc_client_secret
        return OidcCodeFlow(
            OidcClientConfig(
                settings.oidc_authorization_url,
                settings.oidc_token_url,
                settings.oidc_client_id,
                secret.get_secret_value() if secret is not None else None,
                settings.oidc_scope,
            )
        )
    return None


def build_oidc(settings: Settings) -> OidcConfig | None:
    if settings.oidc_issuer and settings.oidc_jwks_url:
        return OidcConfig(
            settings.oidc_issuer,
            settings.oidc_jwks_url,
            # The console's client id is the audience of the ID tokens issued to it.
            settings.oidc_audience or settings.oidc_client_id or settings.token_audience,
        )
    return None


def build_federation(settings: Settings) -> FederationAuth | None:
    """The answering side of vault-to-vault authentication: on when this vault knows its own
    public URL and has an integration key (whose public half it publishes)."""
    key = integrations.signing_key(settings)
    if key is None or not settings.federation_url:
        return None
    return FederationAuth(
        own_key=key,
        key_id=settings.integration_client_key_id,
        base_url=settings.federation_url,
        peers=settings.peers,
        fetch=fetch_jwks(integrations.timeouts(settings)),
    )


def build_rate_limiter(settings: Settings, engine: Engine) -> RateLimiter | SharedRateLimiter:
    """Shared by every API process on PostgreSQL; in memory on the one-machine SQLite default."""
    if engine.dialect.name == "postgresql":
        return SharedRateLimiter(DatabaseRateStore(engine), settings.rate_limit_per_minute)
    return RateLimiter(settings.rate_limit_per_minute)


@dataclass
class Vault:
    """Everything a request or a command needs, built once per process."""

    settings: Settings
    engine: Engine
    uows: UnitOfWorkFactory
    keyring: Keyring
    content: ContentReader
    access: AccessPolicy
    auth: AuthService
    rate_limiter: RateLimiter | SharedRateLimiter
    owners: OwnerService
    documents: DocumentService
    dossiers: DossierService
    reuse: ReuseService
    consents: ConsentService
    catalogue: CatalogueService
    indicators: IndicatorService
    access_log: AccessLogService
    signatures: SignatureService
    remote_reuse: RemoteReuseService
    peer_answers: PeerAnswerService
    federation: FederationAuth | None
    retention: RetentionService
    corrections: CorrectionService

    @classmethod
    def from_settings(cls, settings: Settings, blobs: BlobStore | None = None) -> Vault:
        engine = create_engine_for(settings.database_url)
        keyring = build_keyring(settings)
        limits = ContentLimits(settings.max_image_pixels, settings.max_pdf_pages)
        access = AccessPolicy()
        content = ContentReader(keyring)
        signatures = SignatureService(
            content, max_age=timedelta(seconds=settings.signature_recheck_seconds)
        )
        documents = DocumentService(
            keyring,
            limits,
            max_upload_bytes=settings.max_upload_bytes,
            access=access,
            content=content,
            signature_gate=signatures.require_acceptable,
        )
        reuse = ReuseService(access, signatures)
        uows = UnitOfWorkFactory(
            session_factory(engine),
            blobs or build_blob_store(settings),
            build_identifier_cipher(settings),
        )
        return cls(
            settings=settings,
            engine=engine,
            uows=uows,
            keyring=keyring,
            content=content,
            access=access,
            auth=AuthService(
                build_token_service(settings),
                build_oidc(settings),
                build_code_flow(settings),
                uows=uows,
                throttle=ThrottlePolicy(
                    free_failures=settings.signin_free_failures,
                    lock_after=settings.signin_lock_after,
                    lockout_seconds=settings.signin_lockout_seconds,
                    max_backoff_seconds=settings.signin_max_backoff_seconds,
                    first_backoff_seconds=settings.signin_first_backoff_seconds,
                ),
            ),
            rate_limiter=build_rate_limiter(settings, engine),
            owners=OwnerService(),
            documents=documents,
            dossiers=DossierService(access, signatures),
            reuse=reuse,
            consents=ConsentService(),
            catalogue=CatalogueService(),
            indicators=IndicatorService(),
            access_log=AccessLogService(),
            signatures=signatures,
            remote_reuse=RemoteReuseService(
                reuse=reuse,
                documents=documents,
                signatures=signatures,
                peers=integrations.peer_vaults(settings),
                settings={p.name: p for p in settings.peers},
                budget_seconds=settings.peer_budget_seconds,
                max_download_bytes=settings.max_upload_bytes,
            ),
            peer_answers=PeerAnswerService(signatures, content),
            federation=build_federation(settings),
            retention=RetentionService(keyring),
            corrections=CorrectionService(documents),
        )

    def check_ready(self) -> dict[str, str]:
        """What /readyz reports: each dependency "ok" or why not."""
        status: dict[str, str] = {}
        try:
            ping(self.engine)
            status["database"] = "ok"
        except Exception as exc:
            status["database"] = f"unavailable: {type(exc).__name__}"
        try:
            self.uows.blobs.check()
            status["object_store"] = "ok"
        except StorageUnavailable as exc:
            status["object_store"] = f"unavailable: {exc.detail}"
        return status

    def close(self) -> None:
        self.remote_reuse.close()
        self.uows.close()
        if isinstance(self.rate_limiter, SharedRateLimiter):
            self.rate_limiter.close()
        self.engine.dispose()
