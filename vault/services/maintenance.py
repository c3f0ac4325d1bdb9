"""Housekeeping commands: reconcile the store with the database, rotate master keys."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TypeVar

from vault.crypto import Keyring
from vault.db import UnitOfWorkFactory
from vault.progress import Progress, no_progress

log = logging.getLogger(__name__)
T = TypeVar("T")


def batched(items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


@dataclass
class ReconcileReport:
    orphans_removed: list[str] = field(default_factory=list)
    orphans_too_young: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)  # rows whose blob is gone
    dry_run: bool = False


def reconcile(
    uows: UnitOfWorkFactory,
    *,
    grace: timedelta,
    dry_run: bool = False,
    progress: Progress = no_progress,
) -> ReconcileReport:
    """Removes objects that no row references (older than `grace`, so uploads still in flight
    are spared) and reports rows whose object is missing. Those rows are never deleted: a
    missing paper is for a person to investigate."""
    report = ReconcileReport(dry_run=dry_run)
    store = uows.blobs
    cutoff = datetime.now(UTC) - grace
    stored: set[str] = set()
    with uows() as uow:
        for batch in batched(store.list("blobs/"), 1000):
            keys = [o.key for o in batch]
            stored.update(keys)
            progress(len(stored), None)  # the listing's length is known only at its end
            known = uow.blob_rows.existing_keys(keys)
            for obj in batch:
                if obj.key in known:
                    continue
                if obj.last_modified > cutoff:
                    report.orphans_too_young.append(obj.key)
                    continue
                if not dry_run:
                    store.delete(obj.key)
                report.orphans_removed.append(obj.key)
        for blob in uow.blob_rows.iter_all():
            if blob.object_key not in stored:
                report.missing_objects.append(blob.object_key)
    for key in report.missing_objects:
        log.error("blob row without object: %s", key)
    return report


def rotate_keys(
    uows: UnitOfWorkFactory,
    keyring: Keyring,
    *,
    batch: int = 500,
    progress: Progress = no_progress,
) -> int:
    """Rewraps every data key not wrapped by the active master key (blobs are not touched),
    then reseals and re-indexes the owners' identification numbers under it. Commits per
    batch, so an interrupted run resumes where it stopped. Returns the data keys rewrapped."""
    rewrapped = 0
    with uows() as uow:
        total = uow.blob_rows.count_not_wrapped_by(keyring.active_key_id)
    progress(0, total)
    while True:
        with uows() as uow:
            rows = uow.blob_rows.keys_not_wrapped_by(keyring.active_key_id, batch)
            if not rows:
                resealed = reseal_identifiers(uows, batch=batch)
                log.info("resealed and re-indexed %d owner identifiers", resealed)
                return rewrapped
            for blob_id, key_id, wrapped in rows:
                new_key_id, new_wrapped = keyring.rewrap(blob_id, key_id, wrapped)
                uow.blob_rows.set_wrapped_key(blob_id, new_key_id, new_wrapped)
            uow.commit()
            rewrapped += len(rows)
        # Keys written meanwhile by uploads are already under the active key: the total holds.
        progress(rewrapped, max(total, rewrapped))


def reseal_identifiers(uows: UnitOfWorkFactory, *, batch: int = 500) -> int:
    """Reseals every owner identifier not sealed under the active master key, with its blind
    index recomputed under that key. Commits per batch; returns how many rows changed."""
    resealed = 0
    while True:
        with uows() as uow:
            count = uow.owners.reseal_batch(batch)
            if not count:
                return resealed
            uow.commit()
            resealed += count
