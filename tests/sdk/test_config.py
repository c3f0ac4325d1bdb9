"""Configuration from arguments and the environment, and what a client shows of itself."""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path

import httpx
import pytest
from vault_client import (
    AccessToken,
    AsyncVaultClient,
    ClientCredentials,
    ConfigurationError,
    Password,
    RetryPolicy,
    VaultClient,
)

SECRET = "s3cr3t-never-printed"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("CITIZEN_VAULT_BASE_URL", "https://vault.example.gov.vn/")
    monkeypatch.setenv("CITIZEN_VAULT_CLIENT_ID", "cl_onestop")
    monkeypatch.setenv("CITIZEN_VAULT_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("CITIZEN_VAULT_OFFICER", "tiepnhan")
    return monkeypatch


def test_everything_from_the_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("CITIZEN_VAULT_TIMEOUT", "12.5")
    env.setenv("CITIZEN_VAULT_MAX_RETRIES", "5")
    with VaultClient() as client:
        config = client._config
        assert client.base_url == "https://vault.example.gov.vn"
        assert config.credentials == ClientCredentials("cl_onestop", SECRET, "tiepnhan")
        assert config.timeout == httpx.Timeout(12.5, connect=5.0)
        assert config.retry.max_retries == 5
        assert SECRET not in repr(client) and "tiepnhan" in repr(client)


def test_arguments_win_over_the_environment(env: pytest.MonkeyPatch) -> None:
    client = VaultClient("http://127.0.0.1:9", officer="trakq", timeout=3, max_retries=0)
    assert client.base_url == "http://127.0.0.1:9"
    assert client._config.credentials == ClientCredentials("cl_onestop", SECRET, "trakq")
    assert client._config.timeout == httpx.Timeout(3, connect=3)
    assert client._config.retry == RetryPolicy(max_retries=0)
    token = VaultClient("http://127.0.0.1:9", access_token="tok-123")
    assert token._config.credentials == AccessToken("tok-123")
    assert "tok-123" not in repr(token)
    login = VaultClient("http://127.0.0.1:9", credentials=Password("lan", SECRET))
    assert SECRET not in repr(login) and "lan" in repr(login)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "CITIZEN_VAULT_BASE_URL"),
        ({"CITIZEN_VAULT_BASE_URL": "ftp://x"}, "http(s) URL"),
        ({"CITIZEN_VAULT_BASE_URL": "https://x/?a=1"}, "no query"),
        (
            {"CITIZEN_VAULT_BASE_URL": "https://x", "CITIZEN_VAULT_CLIENT_ID": "cl"},
            "client_secret= (or CITIZEN_VAULT_CLIENT_SECRET), officer=",
        ),
        (
            {"CITIZEN_VAULT_BASE_URL": "https://x", "CITIZEN_VAULT_TIMEOUT": "soon"},
            "number of seconds",
        ),
        (
            {"CITIZEN_VAULT_BASE_URL": "https://x", "CITIZEN_VAULT_MAX_RETRIES": "-1"},
            "0 or more",
        ),
    ],
)
def test_what_is_missing_or_malformed_is_named(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        VaultClient()


def test_credentials_over_plain_http_elsewhere_than_loopback_warn(env: pytest.MonkeyPatch) -> None:
    with pytest.warns(UserWarning, match="plain HTTP"):
        VaultClient("http://vault.internal")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        VaultClient("http://127.0.0.1:8000")
        VaultClient("https://vault.internal")


def test_derived_clients(env: pytest.MonkeyPatch) -> None:
    client = VaultClient()
    issuing = client.acting_for("trakq")
    assert issuing._config.credentials == ClientCredentials("cl_onestop", SECRET, "trakq")
    assert issuing._api.http is client._api.http  # one connection pool
    assert issuing._api.tokens is not client._api.tokens  # another officer, another token
    patient = client.with_options(timeout=300, max_retries=7)
    assert patient._api.tokens is client._api.tokens  # the same identity, the same token
    assert patient._config.retry.max_retries == 7 and patient._config.timeout.read == 300
    with pytest.raises(ConfigurationError, match="client credentials"):
        VaultClient("http://127.0.0.1:9", access_token="t").acting_for("trakq")
    assert AsyncVaultClient().acting_for("chungthuc")._config.credentials.officer == "chungthuc"  # type: ignore[union-attr]


def test_credentials_refuse_half_configurations() -> None:
    with pytest.raises(ValueError, match="officer"):
        ClientCredentials("cl", "secret", "")
    with pytest.raises(ValueError, match="required"):
        ClientCredentials("", "secret", "o")
    assert "secret" not in repr(ClientCredentials("cl", "secret", "o"))
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


def test_uploads_refuse_text_files_and_bad_ids_before_sending(tmp_path: Path) -> None:
    # Port 9 (discard): were anything sent, it would fail as a connection error instead.
    client = VaultClient("http://127.0.0.1:9", access_token="t", max_retries=0)
    text = tmp_path / "scan.pdf"
    text.write_bytes(b"%PDF-1.7")
    with text.open() as wrong_mode, pytest.raises(TypeError, match="binary mode"):
        client.documents.upload(uuid.uuid4(), wrong_mode, paper_type="x", title="y")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        client.documents.upload(uuid.uuid4(), tmp_path / "missing.pdf", paper_type="x", title="y")
    with pytest.raises(ValueError, match="is not a valid DocumentOrigin"):
        client.documents.upload(uuid.uuid4(), b"x", paper_type="x", title="y", origin="stolen")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a UUID"):
        client.documents.get("1; DROP TABLE")
    with pytest.raises(ValueError, match="reused is YES"):
        client.reuse.attach(uuid.uuid4(), uuid.uuid4(), reused=0)  # type: ignore[arg-type]
