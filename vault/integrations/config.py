"""Builds the adapters from Settings: None for a system whose URL is not configured."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from vault.integrations.auth import PrivateKeyJwt, SigningKey
from vault.integrations.base import ClientAuth, RetryPolicy, Timeouts
from vault.integrations.http import HttpCaller
from vault.integrations.peer import HttpPeerVault
from vault.integrations.portal import HttpNationalPortal
from vault.settings import Settings


def national_portal(settings: Settings) -> HttpNationalPortal | None:
    if not settings.portal_url:
        return None
    return HttpNationalPortal(
        _caller(settings, "national_portal", settings.portal_url, settings.portal_token_url)
    )


def peer_vaults(settings: Settings) -> dict[str, HttpPeerVault]:
    """An adapter for every configured peer (`VAULT_PEERS`), authenticated by this vault's
    private_key_jwt assertions at the peer's own token endpoint. A look-up is bounded by the
    reuse plan's budget (`peer_budget_seconds`); a download by the usual deadline."""
    budget = settings.peer_budget_seconds
    quick = Timeouts(
        connect=min(settings.integration_connect_timeout_seconds, budget),
        read=min(settings.integration_read_timeout_seconds, budget),
        write=min(settings.integration_read_timeout_seconds, budget),
    )
    built: dict[str, HttpPeerVault] = {}
    for peer in settings.peers:
        auth = _peer_auth(settings, peer.name, peer.token_url, quick)
        system = f"peer_vault {peer.name}"
        lookups = HttpCaller(
            system,
            peer.url,
            timeouts=quick,
            policy=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.2, deadline=budget),
            auth=auth,
        )
        downloads = HttpCaller(
            system, peer.url, timeouts=timeouts(settings), policy=retry_policy(settings), auth=auth
        )
        built[peer.name] = HttpPeerVault(downloads, lookup_caller=lookups)
    return built


def signing_key(settings: Settings) -> SigningKey | None:
    """This vault's integration key (`VAULT_INTEGRATION_CLIENT_KEY`), None when unset."""
    if (
        settings.integration_client_key is None
        or not settings.integration_client_key.get_secret_value()
    ):
        return None  # unset, or set empty (compose passes an unset variable as "")
    key = serialization.load_pem_private_key(
        settings.integration_client_key.get_secret_value().encode(), password=None
    )
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ValueError("VAULT_INTEGRATION_CLIENT_KEY must be an RSA, EC or Ed25519 key")
    return key


def _peer_auth(
    settings: Settings, name: str, token_url: str, quick: Timeouts
) -> PrivateKeyJwt | None:
    key = signing_key(settings)
    if key is None:
        return None
    return PrivateKeyJwt(
        system=f"peer_vault {name}",
        client_id=settings.integration_client_id,
        token_url=token_url,
        private_key=key,
        key_id=settings.integration_client_key_id,
        timeouts=quick,
    )


def timeouts(settings: Settings) -> Timeouts:
    return Timeouts(
        connect=settings.integration_connect_timeout_seconds,
        read=settings.integration_read_timeout_seconds,
        write=settings.integration_read_timeout_seconds,
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.integration_attempts,
        base_delay=settings.integration_backoff_base_seconds,
        max_delay=settings.integration_backoff_max_seconds,
        deadline=settings.integration_deadline_seconds,
    )


def _caller(settings: Settings, system: str, url: str, token_url: str | None) -> HttpCaller:
    auth: ClientAuth | None = None
    key = signing_key(settings)
    if key is not None and token_url:
        auth = PrivateKeyJwt(
            system=system,
            client_id=settings.integration_client_id,
            token_url=token_url,
            private_key=key,
            key_id=settings.integration_client_key_id,
            scope=settings.integration_scope,
            timeouts=timeouts(settings),
        )
    return HttpCaller(
        system, url, timeouts=timeouts(settings), policy=retry_policy(settings), auth=auth
    )
