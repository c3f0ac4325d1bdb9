"""VaultClient and AsyncVaultClient: configuration, the connection pool, the signed-in
identity, and the resources."""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Self

import httpx

from vault_client._base_client import AsyncAPIClient, SyncAPIClient
from vault_client._config import Config, ConfigurationError, resolve, retry_from, timeout_from
from vault_client._constants import DEFAULT_CONNECTION_LIMITS
from vault_client._credentials import (
    AsyncTokenCache,
    ClientCredentials,
    Credentials,
    TokenCache,
)
from vault_client._retry import RetryPolicy
from vault_client.resources.access_log import AccessLog, AsyncAccessLog
from vault_client.resources.admin import Admin, AsyncAdmin
from vault_client.resources.auth import AsyncAuth, Auth
from vault_client.resources.catalogue import AsyncCatalogue, Catalogue
from vault_client.resources.certified_copies import AsyncCertifiedCopies, CertifiedCopies
from vault_client.resources.consents import AsyncConsents, Consents
from vault_client.resources.documents import AsyncDocuments, Documents
from vault_client.resources.dossiers import AsyncDossiers, Dossiers
from vault_client.resources.exports import AsyncExports, Exports
from vault_client.resources.health import AsyncHealthResource, HealthResource
from vault_client.resources.imports import AsyncImports, Imports
from vault_client.resources.indicators import AsyncIndicatorsResource, IndicatorsResource
from vault_client.resources.jobs import AsyncJobs, Jobs
from vault_client.resources.ocr import AsyncOcr, Ocr
from vault_client.resources.owners import AsyncOwners, Owners
from vault_client.resources.proofs import AsyncProofs, Proofs
from vault_client.resources.retention import AsyncRetention, Retention
from vault_client.resources.reuse import AsyncReuseResource, ReuseResource
from vault_client.resources.search import AsyncSearchResource, SearchResource
from vault_client.resources.signatures import AsyncSignatures, Signatures
from vault_client.resources.sync import AsyncPortalSyncResource, PortalSyncResource
from vault_client.resources.verifications import AsyncVerifications, Verifications


def _describe(name: str, config: Config) -> str:
    # Secrets and tokens are never part of it: credentials' reprs leave them out.
    return (
        f"{name}(base_url={config.base_url!r}, credentials={config.credentials!r}, "
        f"max_retries={config.retry.max_retries})"
    )


def _for_officer(config: Config, officer: str) -> Config:
    if not isinstance(config.credentials, ClientCredentials):
        raise ConfigurationError("acting for an officer needs client credentials")
    return Config(
        config.base_url, config.credentials.for_officer(officer), config.timeout, config.retry
    )


def _with(config: Config, timeout: float | httpx.Timeout | None, max_retries: int | None) -> Config:
    return Config(
        config.base_url,
        config.credentials,
        config.timeout if timeout is None else timeout_from(timeout, {}),
        retry_from(config.retry, max_retries, {}),
    )


class VaultClient:
    """The citizen document vault's API, synchronously. Thread-safe: share one client (and
    its connection pool) across threads, and close it at the end (or use `with`).

    Every argument falls back to an environment variable, then to a default:

    - `base_url` (CITIZEN_VAULT_BASE_URL), e.g. "https://vault.dongnai.gov.vn";
    - sign-in, the first of: `credentials=` (ClientCredentials, Password, AccessToken);
      `access_token=`; `client_id=` + `client_secret=` + `officer=` (CITIZEN_VAULT_CLIENT_ID,
      CITIZEN_VAULT_CLIENT_SECRET, CITIZEN_VAULT_OFFICER): OAuth2 client credentials of an
      agency system acting for that officer, renewed automatically before they expire;
      CITIZEN_VAULT_ACCESS_TOKEN. With none, only the probes, the public keys and the
      sign-in endpoints can be called;
    - `timeout`: seconds, or an httpx.Timeout (CITIZEN_VAULT_TIMEOUT); default 60 s between
      bytes and 5 s to connect. `httpx.Timeout(None)` waits forever;
    - `max_retries` (CITIZEN_VAULT_MAX_RETRIES), default 2; or a whole `retry=RetryPolicy()`;
    - `http_client`: your own httpx client (proxies, TLS settings); you close it.

    ConfigurationError when something needed is missing or malformed.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        officer: str | None = None,
        access_token: str | None = None,
        credentials: Credentials | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        config = resolve(
            base_url=base_url,
            credentials=credentials,
            access_token=access_token,
            client_id=client_id,
            client_secret=client_secret,
            officer=officer,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
        )
        owns = http_client is None
        http = http_client or httpx.Client(limits=DEFAULT_CONNECTION_LIMITS)
        self._setup(config, http, owns)

    def _setup(self, config: Config, http: httpx.Client, owns: bool) -> None:
        self._config = config
        self._owns_http = owns
        tokens = TokenCache(config.credentials) if config.credentials else None
        self._api = SyncAPIClient(
            base_url=config.base_url,
            http=http,
            tokens=tokens,
            timeout=config.timeout,
            retry=config.retry,
        )

    def _derive(self, config: Config) -> VaultClient:
        client = object.__new__(type(self))
        client._setup(config, self._api.http, owns=False)
        if config.credentials is self._config.credentials:
            client._api.tokens = self._api.tokens  # same identity: share its token
        return client

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def acting_for(self, officer: str) -> VaultClient:
        """A client for the same agency system acting for another officer of its agency
        (who must hold the roles the calls need). It shares this client's connections;
        close this one, not it."""
        return self._derive(_for_officer(self._config, officer))

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> VaultClient:
        """A client like this one with another timeout or retry count (sharing its
        connections and token), e.g. `client.with_options(max_retries=5).documents...`."""
        return self._derive(_with(self._config, timeout, max_retries))

    @cached_property
    def owners(self) -> Owners:
        """Citizens and organisations: register, look up by identifier, get."""
        return Owners(self._api)

    @cached_property
    def documents(self) -> Documents:
        """Papers: upload, list, get, versions, reissue, download, stream."""
        return Documents(self._api)

    @cached_property
    def dossiers(self) -> Dossiers:
        """Dossiers: record, list, get, close, attachments, results."""
        return Dossiers(self._api)

    @cached_property
    def reuse(self) -> ReuseResource:
        """Reuse: the papers a dossier needs that are on file, and attaching them."""
        return ReuseResource(self._api)

    @cached_property
    def consents(self) -> Consents:
        """The signed-in owner's consents (an owner's token only)."""
        return Consents(self._api)

    @cached_property
    def retention(self) -> Retention:
        """Retention periods, legal holds, disposal lists and their signed record."""
        return Retention(self._api)

    @cached_property
    def access_log(self) -> AccessLog:
        """Who accessed the signed-in owner's papers (an owner's token only)."""
        return AccessLog(self._api)

    @cached_property
    def catalogue(self) -> Catalogue:
        """Paper types and procedures."""
        return Catalogue(self._api)

    @cached_property
    def jobs(self) -> Jobs:
        """Background jobs you asked for: status, progress, cancelling."""
        return Jobs(self._api)

    @cached_property
    def imports(self) -> Imports:
        """Batch import: separator sheets, scanned batches, the review queue."""
        return Imports(self._api)

    @cached_property
    def exports(self) -> Exports:
        """Your own copy of your warehouse: ask, wait, download once (owners)."""
        return Exports(self._api)

    @cached_property
    def proofs(self) -> Proofs:
        """Proof bundles of signed results and certified copies, and their status now."""
        return Proofs(self._api)

    @cached_property
    def indicators(self) -> IndicatorsResource:
        """The 766 digitisation indicators of an agency and month."""
        return IndicatorsResource(self._api)

    @cached_property
    def portal_sync(self) -> PortalSyncResource:
        """The dossier sync to the national portal: queue, dead letters, reconciliation."""
        return PortalSyncResource(self._api)

    @cached_property
    def auth(self) -> Auth:
        """Who the client is, tokens for other programs, signing out, the account's own
        sign-in events, the vault's public keys."""
        return Auth(self._api)

    @cached_property
    def admin(self) -> Admin:
        """An administrator switching the agency's officers and agency systems off and on."""
        return Admin(self._api)

    @cached_property
    def health(self) -> HealthResource:
        """Liveness and readiness probes."""
        return HealthResource(self._api)

    @cached_property
    def signatures(self) -> Signatures:
        """Signing a stored result with the officer's credential (PAdES)."""
        return Signatures(self._api)

    @cached_property
    def certified_copies(self) -> CertifiedCopies:
        """Electronic certified copies: issue from scans, refuse, and the public record."""
        return CertifiedCopies(self._api)

    @cached_property
    def verifications(self) -> Verifications:
        """The vault's signature verification: of a PDF you hold, or of a stored document."""
        return Verifications(self._api)

    @cached_property
    def search(self) -> SearchResource:
        """Search over the papers this caller may see (diacritics-insensitive)."""
        return SearchResource(self._api)

    @cached_property
    def ocr(self) -> Ocr:
        """What OCR made of a document: status, text, the searchable PDF copy."""
        return Ocr(self._api)

    def close(self) -> None:
        """Closes the connection pool (unless it was given as `http_client`)."""
        if self._owns_http:
            self._api.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return _describe(type(self).__name__, self._config)


class AsyncVaultClient:
    """The citizen document vault's API for asyncio: the same resources and methods as
    VaultClient, awaited. Use one per event loop, and `await client.close()` (or
    `async with`) at the end.

    Every argument falls back to an environment variable, then to a default:

    - `base_url` (CITIZEN_VAULT_BASE_URL), e.g. "https://vault.dongnai.gov.vn";
    - sign-in, the first of: `credentials=` (ClientCredentials, Password, AccessToken);
      `access_token=`; `client_id=` + `client_secret=` + `officer=` (CITIZEN_VAULT_CLIENT_ID,
      CITIZEN_VAULT_CLIENT_SECRET, CITIZEN_VAULT_OFFICER): OAuth2 client credentials of an
      agency system acting for that officer, renewed automatically before they expire;
      CITIZEN_VAULT_ACCESS_TOKEN. With none, only the probes, the public keys and the
      sign-in endpoints can be called;
    - `timeout`: seconds, or an httpx.Timeout (CITIZEN_VAULT_TIMEOUT); default 60 s between
      bytes and 5 s to connect. `httpx.Timeout(None)` waits forever;
    - `max_retries` (CITIZEN_VAULT_MAX_RETRIES), default 2; or a whole `retry=RetryPolicy()`;
    - `http_client`: your own httpx client (proxies, TLS settings); you close it.

    ConfigurationError when something needed is missing or malformed.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        officer: str | None = None,
        access_token: str | None = None,
        credentials: Credentials | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        config = resolve(
            base_url=base_url,
            credentials=credentials,
            access_token=access_token,
            client_id=client_id,
            client_secret=client_secret,
            officer=officer,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
        )
        owns = http_client is None
        http = http_client or httpx.AsyncClient(limits=DEFAULT_CONNECTION_LIMITS)
        self._setup(config, http, owns)

    def _setup(self, config: Config, http: httpx.AsyncClient, owns: bool) -> None:
        self._config = config
        self._owns_http = owns
        tokens = AsyncTokenCache(config.credentials) if config.credentials else None
        self._api = AsyncAPIClient(
            base_url=config.base_url,
            http=http,
            tokens=tokens,
            timeout=config.timeout,
            retry=config.retry,
        )

    def _derive(self, config: Config) -> AsyncVaultClient:
        client = object.__new__(type(self))
        client._setup(config, self._api.http, owns=False)
        if config.credentials is self._config.credentials:
            client._api.tokens = self._api.tokens
        return client

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def acting_for(self, officer: str) -> AsyncVaultClient:
        """A client for the same agency system acting for another officer of its agency
        (who must hold the roles the calls need). It shares this client's connections;
        close this one, not it."""
        return self._derive(_for_officer(self._config, officer))

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> AsyncVaultClient:
        """A client like this one with another timeout or retry count (sharing its
        connections and token)."""
        return self._derive(_with(self._config, timeout, max_retries))

    @cached_property
    def owners(self) -> AsyncOwners:
        """Citizens and organisations: register, look up by identifier, get."""
        return AsyncOwners(self._api)

    @cached_property
    def documents(self) -> AsyncDocuments:
        """Papers: upload, list, get, versions, reissue, download, stream."""
        return AsyncDocuments(self._api)

    @cached_property
    def dossiers(self) -> AsyncDossiers:
        """Dossiers: record, list, get, close, attachments, results."""
        return AsyncDossiers(self._api)

    @cached_property
    def reuse(self) -> AsyncReuseResource:
        """Reuse: the papers a dossier needs that are on file, and attaching them."""
        return AsyncReuseResource(self._api)

    @cached_property
    def consents(self) -> AsyncConsents:
        """The signed-in owner's consents (an owner's token only)."""
        return AsyncConsents(self._api)

    @cached_property
    def retention(self) -> AsyncRetention:
        """Retention periods, legal holds, disposal lists and their signed record."""
        return AsyncRetention(self._api)

    @cached_property
    def access_log(self) -> AsyncAccessLog:
        """Who accessed the signed-in owner's papers (an owner's token only)."""
        return AsyncAccessLog(self._api)

    @cached_property
    def catalogue(self) -> AsyncCatalogue:
        """Paper types and procedures."""
        return AsyncCatalogue(self._api)

    @cached_property
    def jobs(self) -> AsyncJobs:
        """Background jobs you asked for: status, progress, cancelling."""
        return AsyncJobs(self._api)

    @cached_property
    def imports(self) -> AsyncImports:
        """Batch import: separator sheets, scanned batches, the review queue."""
        return AsyncImports(self._api)

    @cached_property
    def exports(self) -> AsyncExports:
        """Your own copy of your warehouse: ask, wait, download once (owners)."""
        return AsyncExports(self._api)

    @cached_property
    def proofs(self) -> AsyncProofs:
        """Proof bundles of signed results and certified copies, and their status now."""
        return AsyncProofs(self._api)

    @cached_property
    def indicators(self) -> AsyncIndicatorsResource:
        """The 766 digitisation indicators of an agency and month."""
        return AsyncIndicatorsResource(self._api)

    @cached_property
    def portal_sync(self) -> AsyncPortalSyncResource:
        """The dossier sync to the national portal: queue, dead letters, reconciliation."""
        return AsyncPortalSyncResource(self._api)

    @cached_property
    def auth(self) -> AsyncAuth:
        """Who the client is, tokens for other programs, signing out, the account's own
        sign-in events, the vault's public keys."""
        return AsyncAuth(self._api)

    @cached_property
    def admin(self) -> AsyncAdmin:
        """An administrator switching the agency's officers and agency systems off and on."""
        return AsyncAdmin(self._api)

    @cached_property
    def health(self) -> AsyncHealthResource:
        """Liveness and readiness probes."""
        return AsyncHealthResource(self._api)

    @cached_property
    def signatures(self) -> AsyncSignatures:
        """Signing a stored result with the officer's credential (PAdES)."""
        return AsyncSignatures(self._api)

    @cached_property
    def certified_copies(self) -> AsyncCertifiedCopies:
        """Electronic certified copies: issue from scans, refuse, and the public record."""
        return AsyncCertifiedCopies(self._api)

    @cached_property
    def verifications(self) -> AsyncVerifications:
        """The vault's signature verification: of a PDF you hold, or of a stored document."""
        return AsyncVerifications(self._api)

    @cached_property
    def search(self) -> AsyncSearchResource:
        """Search over the papers this caller may see (diacritics-insensitive)."""
        return AsyncSearchResource(self._api)

    @cached_property
    def ocr(self) -> AsyncOcr:
        """What OCR made of a document: status, text, the searchable PDF copy."""
        return AsyncOcr(self._api)

    async def close(self) -> None:
        """Closes the connection pool (unless it was given as `http_client`)."""
        if self._owns_http:
            await self._api.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return _describe(type(self).__name__, self._config)
