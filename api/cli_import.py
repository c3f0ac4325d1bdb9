"""`vault import`: scanned batches from files, folders, or a watched folder (standard
library at import: see api/cli.py).

vault import --officer USERNAME PATH...     submit each PDF/TIFF (a folder: each file in it),
                                            read them here with a progress bar, then list
                                            the parts queued for review
vault import --officer USERNAME --no-wait PATH...   submit only (workers read them)
vault import --officer USERNAME --watch DIR         pick up what a scanner drops into DIR:
                                            imported files move to DIR/imported, refused
                                            ones to DIR/refused with the reason beside them
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ocr.batches.model import Batch
    from ocr.batches.service import BatchService
    from vault.auth import Actor
    from vault.runtime import Vault
    from vault.settings import Settings

log = logging.getLogger(__name__)

SUFFIXES = (".pdf", ".tif", ".tiff")
SettingsFactory = Callable[[], "Settings"]


def batch_files(paths: list[str]) -> Iterator[Path]:
    """Each file named, and each PDF or TIFF in each folder named (sorted by name)."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
        else:
            yield path


def _officer(vault: Vault, username: str) -> Actor:
    with vault.uows() as uow:
        account = uow.accounts.by_username(username)
        if account is None:
            raise SystemExit(f"error: no account {username!r}")
        actor = vault.auth.actor(uow, vault.auth.token_for(account).token)
        uow.commit()
    return actor


def _submit(vault: Vault, service: BatchService, actor: Actor, path: Path) -> Batch:
    from vault.errors import VaultError

    with vault.uows() as uow:
        try:
            batch, created = service.submit(uow, actor, path.name, path.read_bytes())
        except VaultError as exc:
            raise _Refused(exc.detail) from exc
        uow.commit()
    state = "queued" if created else f"already imported ({batch.status.value})"
    print(f"{path}: batch {batch.id}, {batch.page_count} pages, {state}", file=sys.stderr)
    return batch


class _Refused(Exception):
    pass


def _progress(vault: Vault, service: BatchService, actor: Actor, ids: list[uuid.UUID]) -> None:
    """Reads the batches in this process, drawing their pages as one progress bar."""
    from api.job_handlers import job_runner
    from api.progress import progress_display
    from ocr.batches.model import BatchStatus

    runner = job_runner(vault, kinds=["import"])
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, kwargs={"stop_event": stop}, daemon=True)
    worker.start()
    try:
        with progress_display("pages read") as show:
            while True:
                with vault.uows() as uow:
                    batches = [service.batch(uow, actor, i) for i in ids]
                total = sum(b.page_count or 0 for b in batches)
                show(sum(b.pages_done for b in batches), total)
                if all(b.status in (BatchStatus.DONE, BatchStatus.FAILED) for b in batches):
                    break
                time.sleep(0.5)
    finally:
        stop.set()
        worker.join()
    with vault.uows() as uow:
        for batch_id in ids:
            b = service.batch(uow, actor, batch_id)
            rate = f"{b.rate_per_minute:.0f} pages/min" if b.rate_per_minute else "-"
            print(
                f"batch {b.id} ({b.file_name}): {b.status.value}, {b.pages_done} pages, "
                f"{b.part_count} parts for review, {b.error_count} damaged pages, {rate}"
                + (f", error: {b.error}" if b.error else ""),
                file=sys.stderr,
            )


def import_main(args: argparse.Namespace, settings: Settings) -> int:
    from api.logs import configure_logging
    from ocr.batches.service import BatchService
    from vault.runtime import Vault

    configure_logging(settings.log_format)
    vault = Vault.from_settings(settings)
    try:
        actor = _officer(vault, args.officer)
        service = BatchService(vault.keyring, vault.documents)
        if args.watch:
            return _watch(vault, service, actor, Path(args.watch), args.interval, args.once)
        ids, refused = [], 0
        for path in batch_files(args.paths):
            try:
                ids.append(_submit(vault, service, actor, path).id)
            except (_Refused, OSError) as exc:
                refused += 1
                print(f"{path}: refused: {exc}", file=sys.stderr)
        if ids and not args.no_wait:
            _progress(vault, service, actor, ids)
        return 1 if refused else 0
    finally:
        vault.close()


def _watch(
    vault: Vault, service: BatchService, actor: Actor, folder: Path, interval: float, once: bool
) -> int:
    """Like a scanner's consumption folder: a file is taken once its size has stayed the
    same for one interval (the scanner has finished writing it)."""
    from api.job_handlers import job_runner

    imported, refused = folder / "imported", folder / "refused"
    imported.mkdir(exist_ok=True)
    refused.mkdir(exist_ok=True)
    sizes: dict[Path, int] = {}
    runner = job_runner(vault, kinds=["import"])
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, kwargs={"stop_event": stop}, daemon=True)
    worker.start()
    print(f"watching {folder} (Ctrl-C to stop)", file=sys.stderr)
    try:
        while True:
            for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES):
                size = path.stat().st_size
                if sizes.get(path) != size:
                    sizes[path] = size
                    continue
                sizes.pop(path)
                try:
                    _submit(vault, service, actor, path)
                    path.rename(imported / path.name)
                except (_Refused, OSError) as exc:
                    path.rename(refused / path.name)
                    (refused / f"{path.name}.reason.txt").write_text(f"{exc}\n")
                    print(f"{path}: refused: {exc}", file=sys.stderr)
            if once and not sizes:
                # Let the embedded worker finish what was queued.
                while runner.process_next() is not None:
                    pass
                return 0
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()
        worker.join()


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], settings: SettingsFactory
) -> None:
    """Adds `import` to the `vault` command's subcommands."""
    cmd = sub.add_parser("import", help="import scanned batches (PDF/TIFF files or folders)")
    cmd.add_argument("paths", nargs="*", metavar="PATH", help="a PDF or TIFF file, or a folder")
    cmd.add_argument("--officer", required=True, help="the receiving officer's username")
    cmd.add_argument("--no-wait", action="store_true", help="only submit: workers read them")
    cmd.add_argument("--watch", metavar="DIR", help="import what appears in DIR, until stopped")
    cmd.add_argument("--interval", type=float, default=2.0, help="seconds between looks")
    cmd.add_argument(
        "--once", action="store_true", help="with --watch: stop when the folder is empty"
    )
    cmd.set_defaults(func=lambda a: import_main(a, settings()))
