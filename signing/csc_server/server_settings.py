"""Configuration of the signing service, from `VAULT_SIGNING_*` environment variables.

Without `VAULT_SIGNING_CREDENTIALS_FILE` the service runs the embedded development default:
the development PKI and a SoftHSM2 token under `dev_dir`, with public PINs, a public client
token and a public PIN pepper. `VAULT_SIGNING_ENV=production` refuses all of that.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from signing.csc_server.token import SOFTHSM_LIBRARY
from vault.settings import Environment

# Public on purpose, for the embedded development default only; refused in production.
DEVELOPMENT_CLIENT_ID = "vault-dev"
DEVELOPMENT_CLIENT_TOKEN = "dev-signing-token-NOT-SECRET"  # noqa: S105
DEVELOPMENT_PIN_PEPPER = "dev-pin-pepper-NOT-SECRET-0123456789"


class ClientSettings(BaseModel):
    """A calling system: its bearer token's SHA-256 (hex) and the credentials it may use."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    credentials: list[str] = Field(default_factory=lambda: ["*"])


def _development_clients() -> dict[str, ClientSettings]:
    digest = hashlib.sha256(DEVELOPMENT_CLIENT_TOKEN.encode()).hexdigest()
    return {DEVELOPMENT_CLIENT_ID: ClientSettings(token_sha256=digest)}


class SigningSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT_SIGNING_", env_nested_delimiter="__", extra="ignore"
    )

    env: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = 8010

    # The token (HSM). SoftHSM2 needs its configuration file; a real HSM does not.
    pkcs11_library: Path = SOFTHSM_LIBRARY
    softhsm_conf: Path | None = None
    hsm_label: str = "vault-signing"  # the token label
    hsm_pin: SecretStr = SecretStr("")

    # Production: the credentials file (see CredentialRegistry.from_file).
    # None: the embedded development default under dev_dir.
    credentials_file: Path | None = None
    dev_dir: Path = Path("./var/signing")
    # Loopback port of the development TSA/OCSP/CRL server; its URLs are in the dev
    # certificates, so a fixed port keeps them valid across restarts. 0: any free port.
    dev_pki_port: int = Field(default=8011, ge=0, le=65535)

    signature_log: Path = Path("./var/signing/signatures.jsonl")
    state_file: Path = Path("./var/signing/credential-state.json")

    clients: dict[str, ClientSettings] = Field(default_factory=_development_clients)
    pin_pepper: SecretStr = SecretStr(DEVELOPMENT_PIN_PEPPER)

    sad_ttl_seconds: int = Field(default=120, ge=1, le=3600)  # a SAD is spent at once
    max_auth_failures: int = Field(default=5, ge=1, le=100)
    # After a wrong PIN/OTP, further attempts wait this long (doubling per failure).
    failure_delay_seconds: float = Field(default=1.0, ge=0, le=3600)

    @field_validator("pin_pepper")
    @classmethod
    def _pepper_is_long(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < 16:
            raise ValueError("the PIN pepper must be at least 16 bytes")
        return value

    @model_validator(mode="after")
    def _production_is_safe(self) -> SigningSettings:
        if self.env is not Environment.PRODUCTION:
            return self
        if self.credentials_file is None:
            raise ValueError("production needs VAULT_SIGNING_CREDENTIALS_FILE (no dev PKI)")
        if not self.hsm_pin.get_secret_value():
            raise ValueError("production needs VAULT_SIGNING_HSM_PIN")
        if self.pin_pepper.get_secret_value() == DEVELOPMENT_PIN_PEPPER:
            raise ValueError("the development PIN pepper must not be used in production")
        dev_digest = _development_clients()[DEVELOPMENT_CLIENT_ID].token_sha256
        if any(c.token_sha256 == dev_digest for c in self.clients.values()):
            raise ValueError("the development client token must not be used in production")
        return self

    @property
    def is_development(self) -> bool:
        return self.credentials_file is None
