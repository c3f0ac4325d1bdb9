"""Configuration from arguments, then the environment, then defaults."""

from __future__ import annotations

import ipaddress
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from vault_client._constants import (
    DEFAULT_TIMEOUT,
    ENV_ACCESS_TOKEN,
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_MAX_RETRIES,
    ENV_OFFICER,
    ENV_TIMEOUT,
)
from vault_client._credentials import AccessToken, ClientCredentials, Credentials
from vault_client._exceptions import VaultError
from vault_client._retry import RetryPolicy


class ConfigurationError(VaultError, ValueError):
    """The client cannot be built from what it was given (arguments and environment)."""


@dataclass(frozen=True)
class Config:
    base_url: str
    credentials: Credentials | None
    timeout: httpx.Timeout
    retry: RetryPolicy


def _base_url(value: str | None, env: Mapping[str, str]) -> str:
    url = value or env.get(ENV_BASE_URL)
    if not url:
        raise ConfigurationError(f"give base_url= or set {ENV_BASE_URL}")
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {url!r}")
    if parsed.query or parsed.fragment:
        raise ConfigurationError("base_url takes no query string or fragment")
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _credentials(
    *,
    credentials: Credentials | None,
    access_token: str | None,
    client_id: str | None,
    client_secret: str | None,
    officer: str | None,
    env: Mapping[str, str],
) -> Credentials | None:
    if credentials is not None:
        return credentials
    if access_token:
        return AccessToken(access_token)
    cid = client_id or env.get(ENV_CLIENT_ID)
    secret = client_secret or env.get(ENV_CLIENT_SECRET)
    acting = officer or env.get(ENV_OFFICER)
    if cid or secret:
        missing = [
            f"{name}= (or {var})"
            for name, given, var in (
                ("client_id", cid, ENV_CLIENT_ID),
                ("client_secret", secret, ENV_CLIENT_SECRET),
                ("officer", acting, ENV_OFFICER),
            )
            if not given
        ]
        if missing:
            raise ConfigurationError("client credentials need " + ", ".join(missing))
        assert cid and secret and acting
        return ClientCredentials(cid, secret, acting)
    if env.get(ENV_ACCESS_TOKEN):
        return AccessToken(env[ENV_ACCESS_TOKEN])
    return None  # anonymous: the probes, the public keys and the sign-in endpoints only


def timeout_from(value: float | httpx.Timeout | None, env: Mapping[str, str]) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if value is None and env.get(ENV_TIMEOUT):
        try:
            value = float(env[ENV_TIMEOUT])
        except ValueError:
            raise ConfigurationError(f"{ENV_TIMEOUT} must be a number of seconds") from None
    if value is None:
        return DEFAULT_TIMEOUT
    if value <= 0:
        raise ConfigurationError("timeout must be positive (httpx.Timeout(None) for none)")
    return httpx.Timeout(value, connect=min(value, DEFAULT_TIMEOUT.connect or value))


def retry_from(
    retry: RetryPolicy | None, max_retries: int | None, env: Mapping[str, str]
) -> RetryPolicy:
    policy = retry or RetryPolicy()
    if max_retries is None and env.get(ENV_MAX_RETRIES):
        try:
            max_retries = int(env[ENV_MAX_RETRIES])
        except ValueError:
            raise ConfigurationError(f"{ENV_MAX_RETRIES} must be a whole number") from None
    if max_retries is not None:
        if max_retries < 0:
            raise ConfigurationError("max_retries must be 0 or more")
        policy = RetryPolicy(
            max_retries=max_retries,
            initial_delay=policy.initial_delay,
            max_delay=policy.max_delay,
            max_retry_after=policy.max_retry_after,
            jitter=policy.jitter,
        )
    return policy


def resolve(
    *,
    base_url: str | None,
    credentials: Credentials | None,
    access_token: str | None,
    client_id: str | None,
    client_secret: str | None,
    officer: str | None,
    timeout: float | httpx.Timeout | None,
    max_retries: int | None,
    retry: RetryPolicy | None,
    env: Mapping[str, str] | None = None,
) -> Config:
    env = os.environ if env is None else env
    url = _base_url(base_url, env)
    creds = _credentials(
        credentials=credentials,
        access_token=access_token,
        client_id=client_id,
        client_secret=client_secret,
        officer=officer,
        env=env,
    )
    parsed = httpx.URL(url)
    if creds is not None and parsed.scheme == "http" and not _is_loopback(parsed.host):
        warnings.warn(
            f"sending credentials over plain HTTP to {parsed.host}: use https://",
            UserWarning,
            stacklevel=3,
        )
    return Config(url, creds, timeout_from(timeout, env), retry_from(retry, max_retries, env))
