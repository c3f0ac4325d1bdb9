"""`vault retention` (standard library at import: see api/cli.py).

Each command acts as a named account (`--as USERNAME`), whose roles the vault checks and
whose name goes in the audit log, exactly as through the API:

vault retention rules                                   periods and where they come from
vault retention hold --as U (--document ID | --owner ID) --reason TEXT
vault retention lift HOLD_ID --as U --reason TEXT
vault retention list --as U [--as-of YYYY-MM-DD]        queue the pass (`vault worker` runs it)
vault retention show BATCH_ID --as U
vault retention decide BATCH_ID --as U (--approve | --reject) --note TEXT
vault retention record BATCH_ID --as U -o FILE          the signed disposal record (PDF)
vault retention make-record BATCH_ID                    seal a disposed batch's record now
vault retention delete DOCUMENT_ID --as U               always refused (and audited)
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault.auth import Actor
    from vault.runtime import Vault
    from vault.services import UnitOfWork
    from vault.settings import Settings

SettingsFactory = Callable[[], "Settings"]


def _actor(vault: Vault, uow: UnitOfWork, username: str) -> Actor:
    from vault.errors import NotFound

    account = vault.auth.account_named(uow, username)
    actor = None if account is None else vault.auth.session_actor(uow, account.id)
    if actor is None:
        raise NotFound(f"no active account named {username!r}")
    return actor


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from vault.errors import VaultError
    from vault.runtime import Vault

    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            try:
                code: int = args.action(args, vault, uow)
            except VaultError as exc:
                print(f"error: {exc.detail}", file=sys.stderr)
                uow.commit()  # keeps the audit entry of a refusal
                return 1
            uow.commit()
            return code
    finally:
        vault.close()


def _rules(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    for r in vault.retention.rules(uow):
        print(f"{r.paper_type}\t{r.years or 'permanent'}\t{r.basis}")
    return 0


def _hold(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    hold = vault.retention.place_hold(
        uow,
        _actor(vault, uow, args.as_user),
        reason=args.reason,
        document_id=args.document,
        owner_id=args.owner,
    )
    print(hold.id)
    return 0


def _lift(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    vault.retention.lift_hold(uow, _actor(vault, uow, args.as_user), args.hold_id, args.reason)
    return 0


def _list(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    batch = vault.retention.request_list(uow, _actor(vault, uow, args.as_user), args.as_of)
    print(batch.id)
    return 0


def _show(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    batch, items, stones = vault.retention.batch(
        uow, _actor(vault, uow, args.as_user), args.batch_id, limit=100_000
    )
    print(
        f"batch {batch.id}: {batch.status.value}, as of {batch.as_of}, {batch.examined} "
        f"examined, {batch.items} listed, decided by {batch.decided_by or '-'}"
    )
    for i in items:
        print(f"{i.document_id}\t{i.paper_type}\tv{i.version}\t{i.retain_until}\t{i.sha256}")
    for t in stones:
        print(f"disposed\t{t.document_id}\t{t.sha256}\t{t.disposed_at.isoformat()}")
    return 0


def _decide(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    batch = vault.retention.decide(
        uow, _actor(vault, uow, args.as_user), args.batch_id, approve=args.approve, note=args.note
    )
    print(batch.status.value)
    return 0


def _record(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    pdf = vault.retention.record(uow, _actor(vault, uow, args.as_user), args.batch_id)
    Path(args.output).write_bytes(pdf)
    return 0


def _delete(args: argparse.Namespace, vault: Vault, uow: UnitOfWork) -> int:
    vault.retention.delete_document(uow, _actor(vault, uow, args.as_user), args.document_id)
    return 0  # never reached: the service always refuses


def make_record(args: argparse.Namespace, settings: Settings) -> int:
    """Seals and stores the record of a batch disposed of while no seal was configured."""
    from signing.issuing.disposal_record import record_maker_from_settings
    from vault.runtime import Vault

    vault = Vault.from_settings(settings)
    try:
        maker = record_maker_from_settings(vault)
        if maker is None:
            print(
                "error: no signing service or seal is configured (VAULT_SIGNER_*)", file=sys.stderr
            )
            return 2
        maker(vault.uows, args.batch_id)
        return 0
    finally:
        vault.close()


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], settings: SettingsFactory
) -> None:
    """Adds `retention` to the `vault` command's subcommands."""
    parser = sub.add_parser("retention", help="retention periods, legal holds, disposal")
    commands = parser.add_subparsers(dest="retention_command", required=True)

    def command(
        name: str, help_text: str, action: object, *, as_user: bool = True
    ) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help_text)
        if as_user:
            p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
        p.set_defaults(action=action, func=lambda a: _run(a, settings()))
        return p

    command("rules", "each paper type's period and its source", _rules, as_user=False)
    hold = command("hold", "place a legal hold on a document or an owner", _hold)
    target = hold.add_mutually_exclusive_group(required=True)
    target.add_argument("--document", type=uuid.UUID)
    target.add_argument("--owner", type=uuid.UUID)
    hold.add_argument("--reason", required=True)
    lift = command("lift", "lift a legal hold", _lift)
    lift.add_argument("hold_id", type=uuid.UUID)
    lift.add_argument("--reason", required=True)
    listing = command("list", "draw up a disposal list (queued for `vault worker`)", _list)
    listing.add_argument("--as-of", type=date.fromisoformat, default=None)
    show = command("show", "a disposal list, its records and tombstones", _show)
    show.add_argument("batch_id", type=uuid.UUID)
    decide = command("decide", "approve or reject a disposal list", _decide)
    decide.add_argument("batch_id", type=uuid.UUID)
    verdict = decide.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true", default=None)
    verdict.add_argument("--reject", dest="approve", action="store_false")
    decide.add_argument("--note", required=True)
    record = command("record", "download the signed disposal record", _record)
    record.add_argument("batch_id", type=uuid.UUID)
    record.add_argument("-o", "--output", required=True)
    delete = command("delete", "delete a document version: always refused", _delete)
    delete.add_argument("document_id", type=uuid.UUID)
    make = commands.add_parser("make-record", help="seal and store a disposed batch's record")
    make.add_argument("batch_id", type=uuid.UUID)
    make.set_defaults(func=lambda a: make_record(a, settings()))
