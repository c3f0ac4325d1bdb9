import base64
import os

import pytest
from pydantic import ValidationError

from vault.settings import DEVELOPMENT_MASTER_KEY, DEVELOPMENT_MASTER_KEY_ID, Settings

PG = "postgresql://vault@db/vault"


def real_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_defaults_are_the_embedded_vault() -> None:
    s = Settings()
    assert s.database_url.startswith("sqlite:///")
    assert s.storage_backend == "filesystem"
    assert s.active_master_key_id == DEVELOPMENT_MASTER_KEY_ID


def test_production_refuses_the_development_master_key() -> None:
    with pytest.raises(ValidationError, match="development master key"):
        Settings(env="production", database_url=PG)
    with pytest.raises(ValidationError, match="development master key"):
        Settings(
            env="production",
            database_url=PG,
            master_keys={"k1": DEVELOPMENT_MASTER_KEY},
            active_master_key_id="k1",
        )


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(env="production", master_keys={"k1": real_key()}, active_master_key_id="k1")


def token_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def test_production_with_its_own_keys_starts() -> None:
    with pytest.raises(ValidationError, match="TOKEN_SIGNING_KEYS"):
        Settings(
            env="production",
            database_url=PG,
            master_keys={"k1": real_key()},
            active_master_key_id="k1",
        )
    s = Settings(
        env="production",
        database_url=PG,
        master_keys={"k1": real_key()},
        active_master_key_id="k1",
        token_signing_keys={"t1": token_key_pem()},
        active_token_key_id="t1",
    )
    assert s.active_token_key_id == "t1"


def test_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = real_key()
    monkeypatch.setenv("VAULT_MASTER_KEYS", f'{{"2026-11": "{key}"}}')
    monkeypatch.setenv("VAULT_ACTIVE_MASTER_KEY_ID", "2026-11")
    monkeypatch.setenv("VAULT_STORAGE_BACKEND", "s3")
    s = Settings()
    assert s.master_key_bytes() == {"2026-11": base64.b64decode(key)}
    assert s.storage_backend == "s3"


@pytest.mark.parametrize(
    ("keys", "active", "match"),
    [
        ({"k": base64.b64encode(b"short").decode()}, "k", "32 bytes"),
        ({"k": "not base64!"}, "k", "base64"),
        ({"k": base64.b64encode(os.urandom(32)).decode()}, "missing", "not configured"),
    ],
)
def test_bad_master_keys(keys: dict[str, str], active: str, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        Settings(master_keys=keys, active_master_key_id=active)


def test_secrets_do_not_print() -> None:
    s = Settings(s3_secret_key="very-secret")
    assert "very-secret" not in repr(s)
    assert DEVELOPMENT_MASTER_KEY not in repr(s)
