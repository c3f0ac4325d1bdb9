"""Which kinds of background job this application runs, and their handlers: the composition
of the packages it is built from (`vault serve`'s embedded worker and `vault worker`)."""

from __future__ import annotations

from ocr.worker import OcrJobHandler
from vault.jobs import BackgroundRunner, JobRegistry, JobRunner, embedded_worker_wanted
from vault.runtime import Vault
from vault.services.retention_jobs import DisposalHandler, DisposalListHandler, RecordMaker


def job_registry(vault: Vault, record_maker: RecordMaker | None = None) -> JobRegistry:
    if record_maker is None:
        from signing.issuing.disposal_record import record_maker_from_settings

        record_maker = record_maker_from_settings(vault)
    return JobRegistry(
        [
            OcrJobHandler(vault),
            DisposalListHandler(vault.uows, vault.retention),
            DisposalHandler(vault.uows, vault.retention, record_maker),
        ]
    )


def job_runner(vault: Vault, kinds: list[str] | None = None) -> JobRunner:
    """A runner of `kinds` (every registered kind when None); ValueError for an unknown one."""
    return JobRunner(
        vault.uows,
        job_registry(vault),
        kinds=kinds,
        poll_seconds=vault.settings.ocr_poll_seconds,
    )


def start_embedded_worker(vault: Vault) -> BackgroundRunner | None:
    """The development default: `vault serve` runs every kind of job in itself (production
    runs `vault worker` processes)."""
    if not embedded_worker_wanted(vault.settings):
        return None
    return BackgroundRunner(job_runner(vault)).start()
