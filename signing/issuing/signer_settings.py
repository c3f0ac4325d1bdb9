"""What the vault needs to sign through the remote signing service, from `VAULT_SIGNER_*`.

The vault is a *caller* of the signing service (CSC API): it holds the caller's bearer token,
knows which credential belongs to which officer (by username) and which seal to each office
(by agency code), and where the TSA is. An officer's PIN is never configured: the officer
gives it with each request. An office seal signs unattended, so its PIN (and OTP secret, if
the signing service demands one) are configured here, as secrets.

Example (JSON values for the nested ones):

    VAULT_SIGNER_SERVICE_URL=http://127.0.0.1:8010
    VAULT_SIGNER_CLIENT_TOKEN=...
    VAULT_SIGNER_TSA_URL=http://127.0.0.1:8011/vault-dev/tsa/tsa
    VAULT_SIGNER_TRUST_ROOTS='["var/signing/pki/certs/root.pem"]'
    VAULT_SIGNER_OFFICERS='{"chungthuc": "h57-officer-an", "trakq": "h57-officer-binh"}'
    VAULT_SIGNER_SEALS='{"000.00.15.H57": {"credential_id": "h57-seal-server", "pin": "333333"}}'
    (a seal whose credential also asks for a one-time password adds "otp_secret": "base32…";
    each 30-second step then signs once, so a PIN-only seal credential suits a busy office)
    VAULT_SIGNER_PUBLIC_BASE_URL=https://vault.example.gov.vn
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vault.settings import Environment

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_SANS_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class SealCredential(BaseModel):
    """An office's digital seal (con dấu số) in the signing service."""

    credential_id: str = Field(min_length=1, max_length=128)
    pin: SecretStr
    # Base32, as authenticator apps take it; None when the service asks for a PIN only.
    otp_secret: SecretStr | None = None

    @field_validator("otp_secret")
    @classmethod
    def _base32(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                base64.b32decode(value.get_secret_value(), casefold=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("otp_secret must be base32") from exc
        return value

    def otp_secret_bytes(self) -> bytes | None:
        if self.otp_secret is None:
            return None
        return base64.b32decode(self.otp_secret.get_secret_value(), casefold=True)


class SignerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT_SIGNER_", env_nested_delimiter="__", extra="ignore"
    )

    env: Environment = Environment.DEVELOPMENT

    # None: signing is switched off; the signing endpoints answer that it is not configured.
    service_url: str | None = None
    client_token: SecretStr = SecretStr("")
    tsa_url: str | None = None
    # PEM files of the roots the signer's, the TSA's and the OCSP responder's chains end in.
    trust_roots: list[Path] = Field(default_factory=list)

    officers: dict[str, str] = Field(default_factory=dict)  # username -> credential id
    seals: dict[str, SealCredential] = Field(default_factory=dict)  # agency code -> seal
    # The seal that signs the vault's own statements (export manifests, record statements of
    # proof bundles): an agency code among `seals`; None: the only seal configured.
    vault_seal: str | None = None

    # Printed in the QR code of certified copies: where anyone can check one.
    public_base_url: str = "http://127.0.0.1:8000"

    font_file: Path = DEJAVU_SANS
    bold_font_file: Path = DEJAVU_SANS_BOLD

    timeout_seconds: float = Field(default=60, gt=0, le=600)
    # How long fetched signing certificates are reused before `credentials/info` again.
    credential_cache_seconds: float = Field(default=300, ge=0, le=86400)
    # `vault extend-signatures` adds a document timestamp when the newest timestamp or a
    # signer's certificate expires within this many days.
    extend_within_days: int = Field(default=365, ge=1, le=36500)
    # Most pages (scans) a certified copy may have.
    max_copy_pages: int = Field(default=100, ge=1, le=2000)

    @field_validator("service_url", "tsa_url", "public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _consistent(self) -> SignerSettings:
        if self.service_url is None:
            return self
        if not self.client_token.get_secret_value():
            raise ValueError("VAULT_SIGNER_CLIENT_TOKEN is required with a service URL")
        if not self.tsa_url:
            raise ValueError("VAULT_SIGNER_TSA_URL is required: signatures are PAdES B-T")
        if not self.trust_roots:
            raise ValueError("VAULT_SIGNER_TRUST_ROOTS is required to check certificates")
        if self.env is Environment.PRODUCTION:
            # PINs and the caller token travel to the service; the TSA's answers are signed,
            # so plain HTTP is fine there (most public TSAs serve it).
            for name in ("service_url", "public_base_url"):
                if not str(getattr(self, name)).startswith("https://"):
                    raise ValueError(f"production needs an https:// {name}")
        return self

    @property
    def enabled(self) -> bool:
        return self.service_url is not None

    def vault_seal_credential(self) -> SealCredential | None:
        """The seal of the vault's own statements; None when none can be told apart."""
        if self.vault_seal is not None:
            return self.seals.get(self.vault_seal)
        if len(self.seals) == 1:
            return next(iter(self.seals.values()))
        return None
