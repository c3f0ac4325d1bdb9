"""Which kinds of background job this application runs, and their handlers: the composition
of the packages it is built from (`vault serve`'s embedded worker and `vault worker`)."""

from __future__ import annotations

from ocr.batches.worker import ImportJobHandler
from ocr.worker import OcrJobHandler
from signing.issuing.export_job import ExportJobHandler, VaultSealer
from signing.issuing.signer_settings import SignerSettings
from vault.integrations import config as integrations_config
from vault.jobs import BackgroundRunner, JobRegistry, JobRunner, embedded_worker_wanted
from vault.runtime import Vault
from vault.services.portal_sync import PortalSyncHandler, SyncPolicy
from vault.services.retention_jobs import DisposalHandler, DisposalListHandler, RecordMaker


def job_registry(
    vault: Vault, sealer: VaultSealer | None = None, record_maker: RecordMaker | None = None
) -> JobRegistry:
    """`sealer`: the vault's seal for export manifests (the API process hands in its
    signing's, so both share the seal's one-time passwords); else one from VAULT_SIGNER_*.
    `record_maker`: what seals a disposal record (biên bản); else one from VAULT_SIGNER_*."""
    sealer = sealer or VaultSealer(SignerSettings())
    if record_maker is None:
        from signing.issuing.disposal_record import record_maker_from_settings

        record_maker = record_maker_from_settings(vault)
    registry = JobRegistry(
        [
            OcrJobHandler(vault),
            ImportJobHandler(vault),
            ExportJobHandler(vault, sealer),
            DisposalListHandler(vault.uows, vault.retention),
            DisposalHandler(vault.uows, vault.retention, record_maker),
        ]
    )
    # The portal sync runs where the portal is configured (VAULT_PORTAL_URL); until then
    # its events wait in the outbox, and its one queued job waits for a worker that has it.
    portal = integrations_config.national_portal(vault.settings)
    if portal is not None:
        policy = SyncPolicy.from_settings(vault.settings)
        registry.register(PortalSyncHandler(vault.uows, portal, policy))
    return registry


def job_runner(
    vault: Vault, kinds: list[str] | None = None, *, sealer: VaultSealer | None = None
) -> JobRunner:
    """A runner of `kinds` (every registered kind when None); ValueError for an unknown one."""
    return JobRunner(
        vault.uows,
        job_registry(vault, sealer),
        kinds=kinds,
        poll_seconds=vault.settings.ocr_poll_seconds,
    )


def start_embedded_worker(
    vault: Vault, sealer: VaultSealer | None = None
) -> BackgroundRunner | None:
    """The development default: `vault serve` runs every kind of job in itself (production
    runs `vault worker` processes)."""
    if not embedded_worker_wanted(vault.settings):
        return None
    return BackgroundRunner(job_runner(vault, sealer=sealer)).start()
