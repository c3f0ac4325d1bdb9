"""`vault backup` and `vault restore` (standard library at import: see api/cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault.settings import Settings

SettingsFactory = Callable[[], "Settings"]


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from vault.errors import VaultError
    from vault.runtime import Vault
    from vault.services.backup import backup, record_backup

    vault = Vault.from_settings(settings)
    try:
        try:
            report = backup(
                Path(args.folder),
                database_url=settings.database_url,
                store=vault.uows.blobs,
                objects=args.objects,
            )
        except VaultError as exc:
            record_backup(vault.uows, Path(args.folder), None, error=str(exc))
            raise
        record_backup(vault.uows, Path(args.folder), report)
    finally:
        vault.close()
    print(json.dumps(asdict(report), indent=2))
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from vault.audit import verify_anchors, verify_chain
    from vault.runtime import Vault, build_blob_store
    from vault.services.backup import record_restore, restore, verify_contents

    report = restore(
        Path(args.folder),
        database_url=settings.database_url,
        store=build_blob_store(settings),
        master_keys=settings.master_key_bytes(),
    )
    result: dict[str, object] = {"restore": asdict(report)}
    problems: list[str] = []
    vault = Vault.from_settings(settings)
    try:
        record_restore(vault.uows, Path(args.folder), report)
        if not args.no_verify:
            chain = verify_chain(vault.uows)
            problems += verify_anchors(vault.uows)
            checked, content_problems = verify_contents(vault.uows, vault.keyring)
            if not chain.ok:
                problems.append(
                    f"audit chain broken at entry {chain.first_bad_seq}: {chain.problem}"
                )
            problems += content_problems
            result["verified"] = {"audit_entries": chain.entries, "blobs_decrypted": checked}
    finally:
        vault.close()
    result["problems"] = problems
    print(json.dumps(result, indent=2))
    for problem in problems:
        print(f"restore check failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], settings: SettingsFactory
) -> None:
    """Adds `backup` and `restore` to the `vault` command."""
    back = sub.add_parser(
        "backup", help="back up the database and every object into a new folder (no master keys)"
    )
    back.add_argument("folder", help="new or empty folder to write the backup to")
    back.add_argument(
        "--objects",
        choices=["copy", "reference"],
        default="copy",
        help="copy the objects (default), or only list them with their hashes when the "
        "bucket is versioned and replicated",
    )
    back.set_defaults(func=lambda a: cmd_backup(a, settings()))

    rest = sub.add_parser(
        "restore",
        help="rebuild an empty database and object store from a backup, then verify it",
    )
    rest.add_argument("folder", help="the backup folder (with its manifest.json)")
    rest.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the audit chain and decryption checks after restoring",
    )
    rest.set_defaults(func=lambda a: cmd_restore(a, settings()))
