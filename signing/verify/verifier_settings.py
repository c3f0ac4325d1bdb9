"""Configuration of signature verification, from `VAULT_VERIFY_*` environment variables.

Trust anchors come from here only, never from the operating system's store. Production
needs `VAULT_VERIFY_TRUST_ROOTS` (the Vietnamese national root CA's certificate file or a
folder of anchors) and refuses the development PKI's root. In development, with no roots
configured, the development PKI's root under `dev_root` is used when it exists.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography import x509
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from signing.verify.errors import TrustConfigurationError
from signing.verify.pool import Verifier
from signing.verify.trust import TrustSettings, VerificationPolicy, load_certificate_files
from vault.settings import Environment

log = logging.getLogger("signing.verify")

# The development PKI marks every subject with this (signing/csc_server/devpki/certomancer.yml).
DEVELOPMENT_MARK = "NOT FOR PRODUCTION"


class VerifySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VAULT_VERIFY_", env_nested_delimiter="__", extra="ignore"
    )

    env: Environment = Environment.DEVELOPMENT
    # Certificate files (PEM, several per file, or DER) or folders of them.
    trust_roots: list[Path] = Field(default_factory=list)
    intermediates: list[Path] = Field(default_factory=list)
    dev_root: Path = Path("./var/signing/pki/certs/root.pem")  # where `vault signing-serve` puts it

    # Offline: only the validation data embedded in the document (B-LT). Online fetching
    # follows URLs inside the submitted certificates; on a public endpoint that lets
    # anyone make the server send requests, so it is off unless configured.
    offline: bool = True
    time_limit_seconds: float = Field(default=30.0, gt=0, le=600)
    memory_limit_mb: int = Field(default=1024, ge=256, le=65536)
    workers: int = Field(default=2, ge=1, le=64)
    queue_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    max_document_mb: int = Field(default=50, ge=1, le=1024)

    # The reference policy (EU DSS's default levels) unless `strict`; the three switches
    # tighten it one by one (see `VerificationPolicy`).
    strict: bool = False
    allow_form_filling: bool = True
    allow_annotations: bool = True
    enforce_mdp: bool = False

    @model_validator(mode="after")
    def _production_needs_roots(self) -> VerifySettings:
        if self.env is Environment.PRODUCTION and not self.trust_roots:
            raise ValueError("production needs VAULT_VERIFY_TRUST_ROOTS (the national root CA)")
        return self

    @property
    def max_document_bytes(self) -> int:
        return self.max_document_mb * 1024 * 1024

    def trust(self) -> TrustSettings:
        roots_paths = list(self.trust_roots)
        if not roots_paths and self.env is not Environment.PRODUCTION and self.dev_root.exists():
            log.warning("signature verification trusts the development root: NOT FOR PRODUCTION")
            roots_paths = [self.dev_root]
        roots = load_certificate_files(roots_paths)
        if self.env is Environment.PRODUCTION:
            if not roots:
                raise TrustConfigurationError("no trust anchor could be loaded")
            for der in roots:
                subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
                if DEVELOPMENT_MARK in subject:
                    raise TrustConfigurationError(
                        "the development PKI's root must not be trusted in production"
                    )
        return TrustSettings(tuple(roots), tuple(load_certificate_files(self.intermediates)))

    def policy(self) -> VerificationPolicy:
        if self.strict:
            return VerificationPolicy.strict()
        return VerificationPolicy(
            allow_form_filling=self.allow_form_filling,
            allow_annotations=self.allow_annotations,
            enforce_mdp=self.enforce_mdp,
        )

    def verifier(self) -> Verifier:
        """A verifier for these settings (its workers start on first use; close it)."""
        return Verifier(
            self.trust(),
            policy=self.policy(),
            workers=self.workers,
            time_limit=self.time_limit_seconds,
            memory_limit=self.memory_limit_mb * 1024 * 1024,
            queue_timeout=self.queue_timeout_seconds,
            max_document_bytes=self.max_document_bytes,
            offline=self.offline,
        )
