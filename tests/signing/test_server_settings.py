"""The signing server's settings refuse the development defaults in production; credentials
load from a file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import ValidationError

from signing.csc_server.assembly import DevEnvironment, check_keys
from signing.csc_server.callers import token_digest
from signing.csc_server.credentials import CredentialRegistry, PinHasher
from signing.csc_server.dev_pki import DevPki
from signing.csc_server.errors import ConfigurationError
from signing.csc_server.server_settings import ClientSettings, SigningSettings

PRODUCTION_OK = {
    "env": "production",
    "credentials_file": "/etc/vault/signing-credentials.json",
    "hsm_pin": "a-real-pin",
    "pin_pepper": "a-long-random-production-pepper",
    "clients": {"vault": ClientSettings(token_sha256=token_digest("a-real-random-token"))},
}


def test_production_settings_with_real_values_are_accepted() -> None:
    settings = SigningSettings(**PRODUCTION_OK)  # type: ignore[arg-type]
    assert not settings.is_development
    assert "a-real-pin" not in repr(settings)
    assert "pepper" not in repr(settings.pin_pepper)


@pytest.mark.parametrize(
    "override",
    [
        {"credentials_file": None},  # would run the development PKI
        {"hsm_pin": ""},
        {"pin_pepper": "dev-pin-pepper-NOT-SECRET-0123456789"},
        {
            "clients": {
                "x": ClientSettings(token_sha256=token_digest("dev-signing-token-NOT-SECRET"))
            }
        },
    ],
    ids=["dev-pki", "no-hsm-pin", "dev-pepper", "dev-client-token"],
)
def test_production_refuses_development_defaults(override: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SigningSettings(**{**PRODUCTION_OK, **override})  # type: ignore[arg-type]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_SIGNING_SAD_TTL_SECONDS", "120")
    monkeypatch.setenv(
        "VAULT_SIGNING_CLIENTS",
        json.dumps({"egov": {"token_sha256": "ab" * 32, "credentials": ["h57-seal"]}}),
    )
    settings = SigningSettings()
    assert settings.sad_ttl_seconds == 120
    assert settings.clients["egov"].credentials == ["h57-seal"]


def test_credentials_file_loads_and_matches_the_token_keys(
    tmp_path: Path, pki: DevPki, dev: DevEnvironment
) -> None:
    chain = b"".join(c.public_bytes(Encoding.PEM) for c in pki.chain("officer-an"))
    (tmp_path / "an-chain.pem").write_bytes(chain)
    hasher = PinHasher(b"a-long-random-production-pepper")
    (tmp_path / "credentials.json").write_text(
        json.dumps(
            {
                "credentials": [
                    {
                        "id": "an",
                        "key_label": "officer-an",
                        "certificates": "an-chain.pem",
                        "user_id": "000.00.15.H57/nguyen.van.an",
                        "pin_hash": hasher.hash("an", "123456"),
                        "otp_secret": base64.b32encode(b"0123456789").decode(),
                    }
                ]
            }
        )
    )
    registry = CredentialRegistry.from_file(tmp_path / "credentials.json")
    credential = registry.get("an")
    assert len(credential.chain) == 3 and credential.otp_secret == b"0123456789"
    assert "pin_hash" not in repr(credential) and "otp_secret" not in repr(credential)
    assert hasher.verify("an", credential.pin_hash or "", "123456")
    assert not hasher.verify("another-credential", credential.pin_hash or "", "123456")
    check_keys(registry, dev.token)

    (tmp_path / "credentials.json").write_text(
        (tmp_path / "credentials.json").read_text().replace('"officer-an"', '"officer-binh"')
    )
    wrong = CredentialRegistry.from_file(tmp_path / "credentials.json")
    with pytest.raises(ConfigurationError, match="does not match"):
        check_keys(wrong, dev.token)

    (tmp_path / "credentials.json").write_text("{}")
    with pytest.raises(ConfigurationError):
        CredentialRegistry.from_file(tmp_path / "credentials.json")
