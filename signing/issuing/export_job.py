"""The export job: builds an owner's export package and seals its manifest.

    registry.register(ExportJobHandler(vault, SignerSettings()))   # api.job_handlers

The manifest is signed (detached CMS, CAdES-T) with the vault's seal through the remote
signing service, so that anyone holding the package can check it is complete and untampered
without asking the vault. A vault without a signing service, or without a seal, cannot build
packages: the job is parked with that error and the export marked failed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from signing.issuing.pades import RemotePdfSigner, SignatureSpec, SigningUnavailable, TotpSource
from signing.issuing.signer_settings import SealCredential, SignerSettings
from vault.errors import IntegrityFailure, NotFound, PermissionDenied
from vault.jobs import (
    FailureOutcome,
    JobContext,
    JobInterrupted,
    JobPolicy,
    LeaseLost,
    describe_error,
)
from vault.jobs.handler import Interruption
from vault.runtime import Vault
from vault.services.export_package import PackageBuilder, Sealer
from vault.services.exports import EXPORT_KIND, ExportService

log = logging.getLogger("signing.export_job")


class SealNotConfigured(PermissionDenied):
    """No seal is configured for the vault's own statements (VAULT_SIGNER_VAULT_SEAL)."""


class VaultSealer:
    """Signs the vault's own statements with its seal: one per process (its one-time
    passwords must never repeat a step)."""

    def __init__(
        self,
        settings: SignerSettings,
        signer: RemotePdfSigner | None = None,
        *,
        otp_source: Callable[[SealCredential], TotpSource | None] | None = None,
    ) -> None:
        """`otp_source`: where the seal's one-time passwords come from when another user of
        the same seal lives in this process (the certified copies' service): one source per
        seal, or two users would send the same step and one be refused."""
        self._settings = settings
        self._signer = signer
        self._owns = signer is None
        self._otp_source = otp_source
        self._otp: TotpSource | None = None
        self._lock = threading.Lock()

    def __call__(self, data: bytes) -> bytes:
        seal = self._settings.vault_seal_credential()
        if not self._settings.enabled or seal is None:
            raise SealNotConfigured(
                "no seal signs the vault's statements: set VAULT_SIGNER_SERVICE_URL and "
                "VAULT_SIGNER_VAULT_SEAL"
            )
        with self._lock:
            if self._signer is None:
                self._signer = RemotePdfSigner(self._settings)
            if self._otp_source is not None:
                self._otp = self._otp_source(seal)
            elif self._otp is None and (secret := seal.otp_secret_bytes()) is not None:
                self._otp = TotpSource(secret)
        spec = SignatureSpec(
            credential_id=seal.credential_id,
            pin=seal.pin.get_secret_value(),
            otp=self._otp,
            factors_from_user=False,
        )
        return self._signer.sign_data(data, spec)

    def close(self) -> None:
        if self._owns and self._signer is not None:
            self._signer.close()


class ExportJobHandler:
    """The handler of `export` jobs (payload: the export's id; subject: its owner)."""

    kind = EXPORT_KIND
    policy = JobPolicy(
        lease=timedelta(minutes=2), max_attempts=3, retry_base_seconds=30, retry_max_seconds=600
    )

    def __init__(self, vault: Vault, sealer: Sealer) -> None:
        self._vault = vault
        self._sealer = sealer
        self._builder = PackageBuilder(vault.keyring, vault.content)
        self.exports = ExportService(vault.keyring, link_hours=vault.settings.export_link_hours)

    def run(self, context: JobContext) -> None:
        export_id = uuid.UUID(str(context.payload["export_id"]))
        with self._vault.uows() as uow:
            self.exports.sweep(uow)  # expired packages go whenever a worker builds another
            uow.commit()
            store = uow.blobs

        def progress(done: int, total: int) -> None:
            if not context.progress(done, total):
                raise (
                    LeaseLost if context.interruption is Interruption.LEASE_LOST else JobInterrupted
                )

        try:
            built = self._builder.build(self._vault.uows, store, export_id, self._sealer, progress)
        except JobInterrupted:
            raise
        except (NotFound, IntegrityFailure, SealNotConfigured) as exc:
            # A missing export, a damaged paper or no seal: trying again will not help.
            self._fail(context, export_id, describe_error(exc), permanent=True)
            return
        except (SigningUnavailable, Exception) as exc:
            log.warning("export %s: building failed: %s", export_id, describe_error(exc))
            self._fail(context, export_id, describe_error(exc), permanent=False)
            return
        try:
            with self._vault.uows() as uow:
                self.exports.mark_ready(uow, export_id, built)
                context.finish(uow)
                uow.commit()
        except Exception:
            store.delete(built.object_key)  # nobody will ever be given a link to it
            raise
        log.info(
            "export %s: %d papers, %d bytes; seconds: %s",
            export_id,
            built.documents,
            built.size,
            ", ".join(f"{k} {v:.2f}" for k, v in built.timings.items()),
        )

    def _fail(
        self, context: JobContext, export_id: uuid.UUID, error: str, *, permanent: bool
    ) -> None:
        with self._vault.uows() as uow:
            outcome = context.fail(uow, error, permanent=permanent)
            if outcome is FailureOutcome.PARKED:
                self.exports.mark_failed(uow, export_id, error)
            uow.commit()
