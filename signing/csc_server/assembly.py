"""Builds the signing service from settings: one place, used by `api.csc.serve`, the tests
and the benchmark.

Production: the credentials file, the HSM token named in the settings, the configured
callers. Development (no credentials file): the development PKI — NOT FOR PRODUCTION —
issued under `dev_dir/pki` and served on loopback, a fresh SoftHSM2 token under
`dev_dir/softhsm` with the PKI's end-entity keys imported into it, public PINs, and a
manifest `dev_dir/dev-credentials.json` saying what is where.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from signing.csc_server.callers import CallerRegistry
from signing.csc_server.credentials import Credential, CredentialRegistry, PinHasher
from signing.csc_server.dev_pki import RunningDevPki, start_dev_pki
from signing.csc_server.errors import ConfigurationError
from signing.csc_server.server_settings import (
    DEVELOPMENT_CLIENT_ID,
    DEVELOPMENT_CLIENT_TOKEN,
    SigningSettings,
)
from signing.csc_server.service import AuthPolicy, SigningService
from signing.csc_server.signature_log import JsonLinesSignatureLog
from signing.csc_server.state import JsonFileStateStore
from signing.csc_server.token import Pkcs11Token, init_softhsm_token, write_softhsm_config

log = logging.getLogger("signing.runtime")  # its name before the move, kept for log filters

DEV_HSM_LABEL = "vault-signing-dev"


@dataclass(frozen=True)
class DevCredential:
    """A credential of the embedded development default. Its PIN is public."""

    id: str
    cert_label: str  # in signing/csc_server/devpki/certomancer.yml
    user_id: str
    description: str
    pin: str
    otp_secret: bytes | None = field(default=None, repr=False)


DEV_CREDENTIALS: tuple[DevCredential, ...] = (
    DevCredential(
        "h57-officer-an",
        "officer-an",
        "000.00.15.H57/nguyen.van.an",
        "Nguyễn Văn An, chuyên viên — 000.00.15.H57 (RSA-2048, dev)",
        "111111",
    ),
    DevCredential(
        "h57-officer-binh",
        "officer-binh",
        "000.00.15.H57/tran.thi.binh",
        "Trần Thị Bình, chuyên viên — 000.00.15.H57 (ECDSA P-256, dev)",
        "222222",
    ),
    DevCredential(
        "h57-seal",
        "seal-h57",
        "000.00.15.H57",
        "Con dấu số của cơ quan 000.00.15.H57 (RSA-3072, PIN + OTP, dev)",
        "333333",
        otp_secret=b"vault-dev-seal-otp-NOT-SECRET",
    ),
    # The same seal key for the vault's unattended sealing. A one-time password adds nothing
    # where the caller must hold its secret beside the PIN, and each 30-second OTP step is
    # accepted once, which would hold a busy office to about two sealed copies per 30 s.
    DevCredential(
        "h57-seal-server",
        "seal-h57",
        "000.00.15.H57",
        "Con dấu số của cơ quan 000.00.15.H57 (RSA-3072, PIN, unattended sealing, dev)",
        "333333",
    ),
    DevCredential(
        "h57-officer-revoked",
        "officer-revoked",
        "000.00.15.H57/le.van.cuong",
        "Lê Văn Cường — certificate revoked (dev)",
        "444444",
    ),
    DevCredential(
        "h57-officer-expired",
        "officer-expired",
        "000.00.15.H57/pham.thi.dung",
        "Phạm Thị Dung — certificate expired (dev)",
        "555555",
    ),
)


@dataclass
class DevEnvironment:
    """What the development default set up, for tests, the benchmark and developers."""

    pki: RunningDevPki
    token: Pkcs11Token
    credentials: dict[str, DevCredential]
    manifest: Path


def provision_development(
    directory: Path, pin_hasher: PinHasher, *, pki_port: int = 0
) -> tuple[DevEnvironment, CredentialRegistry]:
    """Issues and serves the development PKI, creates a fresh SoftHSM2 token, imports the
    end-entity keys into it (they are generated as files by the PKI step: development
    only), and returns the environment with its credential registry. Once per process:
    SoftHSM reads its token directory when the library loads."""
    running = start_dev_pki(directory / "pki", port=pki_port)
    token: Pkcs11Token | None = None
    try:
        pki = running.pki
        hsm_dir = directory / "softhsm"
        shutil.rmtree(hsm_dir, ignore_errors=True)  # a fresh token each start
        conf = write_softhsm_config(hsm_dir)
        user_pin, so_pin = secrets.token_hex(8), secrets.token_hex(8)
        init_softhsm_token(conf, DEV_HSM_LABEL, user_pin, so_pin)
        token = Pkcs11Token(DEV_HSM_LABEL, user_pin, softhsm_conf=conf)
        credentials = []
        imported: set[str] = set()
        for spec in DEV_CREDENTIALS:
            if spec.cert_label not in imported:  # two credentials may share one key
                token.import_private_key(spec.cert_label, pki.private_key(spec.cert_label))
                imported.add(spec.cert_label)
            credentials.append(
                Credential(
                    id=spec.id,
                    key_label=spec.cert_label,
                    chain=tuple(pki.chain(spec.cert_label)),
                    user_id=spec.user_id,
                    description=spec.description,
                    pin_hash=pin_hasher.hash(spec.id, spec.pin),
                    otp_secret=spec.otp_secret,
                )
            )
    except BaseException:
        if token is not None:
            token.close()
        running.stop()
        raise
    manifest = directory / "dev-credentials.json"
    manifest.write_text(
        json.dumps(
            {
                "warning": "Development PKI and PINs: NOT FOR PRODUCTION",
                "pki_url": running.url,
                "tsa_url": pki.tsa_url,
                "ocsp_url": pki.ocsp_url,
                "root_certificate": str(pki.cert_path("root")),
                "client": {"id": DEVELOPMENT_CLIENT_ID, "token": DEVELOPMENT_CLIENT_TOKEN},
                "credentials": {
                    spec.id: {
                        "user_id": spec.user_id,
                        "description": spec.description,
                        "pin": spec.pin,
                        "otp_secret_base32": (
                            base64.b32encode(spec.otp_secret).decode() if spec.otp_secret else None
                        ),
                        "certificate": str(pki.cert_path(spec.cert_label)),
                        "key_file": str(pki.key_path(spec.cert_label)),
                    }
                    for spec in DEV_CREDENTIALS
                },
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    env = DevEnvironment(running, token, {c.id: c for c in DEV_CREDENTIALS}, manifest)
    return env, CredentialRegistry(credentials)


def check_keys(registry: CredentialRegistry, token: Pkcs11Token) -> None:
    """Refuses to start with a credential whose key is missing, of the wrong kind, or able
    to leave the token."""
    for credential in registry:
        facts = token.describe_key(credential.key_label)
        if facts.kind is not credential.key_kind or not facts.can_sign:
            raise ConfigurationError(f"credential {credential.id}: key does not match")
        if not facts.sensitive or facts.extractable:
            raise ConfigurationError(f"credential {credential.id}: key can leave the token")


@dataclass
class SigningRuntime:
    settings: SigningSettings
    service: SigningService
    dev: DevEnvironment | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: SigningSettings) -> SigningRuntime:
        closers: list[Callable[[], None]] = []
        try:
            pins = PinHasher(settings.pin_pepper.get_secret_value().encode())
            dev: DevEnvironment | None = None
            if settings.credentials_file is None:
                log.warning("signing service: development PKI and PINs, NOT FOR PRODUCTION")
                dev, registry = provision_development(
                    settings.dev_dir, pins, pki_port=settings.dev_pki_port
                )
                closers += [dev.pki.stop, dev.token.close]
                token = dev.token
            else:
                registry = CredentialRegistry.from_file(settings.credentials_file)
                token = Pkcs11Token(
                    settings.hsm_label,
                    settings.hsm_pin.get_secret_value(),
                    library=settings.pkcs11_library,
                    softhsm_conf=settings.softhsm_conf,
                )
                closers.append(token.close)
            check_keys(registry, token)
            signature_log = JsonLinesSignatureLog(settings.signature_log)
            closers.append(signature_log.close)
            callers = CallerRegistry(
                {
                    client_id: (client.token_sha256, frozenset(client.credentials))
                    for client_id, client in settings.clients.items()
                }
            )
            service = SigningService(
                credentials=registry,
                keys=token,
                callers=callers,
                signature_log=signature_log,
                states=JsonFileStateStore(settings.state_file),
                pin_hasher=pins,
                policy=AuthPolicy(
                    sad_ttl_seconds=settings.sad_ttl_seconds,
                    max_failures=settings.max_auth_failures,
                    failure_delay_seconds=settings.failure_delay_seconds,
                ),
            )
        except BaseException:
            for close in reversed(closers):
                close()
            raise
        return cls(settings, service, dev, closers)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> SigningRuntime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
