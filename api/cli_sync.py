"""`vault sync`: the feed to the National Public Service Portal (standard library at import:
see api/cli.py). Payloads are never printed: they carry the owner's number.

vault sync status                          pending, delivered, dead, blocked
vault sync dead [--agency A] [--limit N]   the dead letters (tab-separated)
vault sync replay EVENT_ID ... | --all     send dead letters again
vault sync deliver                         deliver what is due now, through VAULT_PORTAL_URL
vault sync reconcile --agency A --month YYYY-MM [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault.domain import OutboxEvent
    from vault.services.portal_reconcile import Reconciliation
    from vault.settings import Settings

SettingsFactory = Callable[[], "Settings"]


def _line(event: OutboxEvent) -> str:
    return "\t".join(
        (
            str(event.id),
            event.dossier_code,
            str(event.sequence),
            event.kind,
            event.status.value,
            str(event.attempts),
            event.created_at.isoformat(timespec="seconds"),
            (event.last_error or "").replace("\n", " "),
        )
    )


def sync_status(args: argparse.Namespace, settings: Settings) -> int:
    from vault.runtime import Vault
    from vault.services import portal_sync

    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            state = portal_sync.status(uow)
    finally:
        vault.close()
    for status, count in state.counts.items():
        print(f"{status.value}\t{count}")
    print(f"blocked\t{state.blocked}")
    due = state.oldest_pending.isoformat(timespec="seconds") if state.oldest_pending else "-"
    print(f"oldest_due\t{due}")
    return 0


def sync_dead(args: argparse.Namespace, settings: Settings) -> int:
    from vault.runtime import Vault
    from vault.services import portal_sync

    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            events = portal_sync.dead_letters(uow, agency_code=args.agency, limit=args.limit)
    finally:
        vault.close()
    for event in events:
        print(_line(event))
    return 0


def sync_replay(args: argparse.Namespace, settings: Settings) -> int:
    from vault.audit import AuditDraft
    from vault.runtime import Vault
    from vault.services import portal_sync

    if args.all == bool(args.event_ids):
        print("error: name the events to replay, or give --all", file=sys.stderr)
        return 2
    try:
        ids = None if args.all else [uuid.UUID(e) for e in args.event_ids]
    except ValueError:
        print("error: an event id is not a UUID", file=sys.stderr)
        return 2
    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            count = portal_sync.replay(uow, ids)
            uow.record(
                AuditDraft(
                    action="sync.replay",
                    actor_name="vault CLI",
                    role="operator",
                    detail=f"{'every dead letter' if ids is None else len(ids)}: {count} requeued",
                )
            )
            uow.commit()
    finally:
        vault.close()
    print(f"{count} event(s) queued again", file=sys.stderr)
    return 0


def sync_deliver(args: argparse.Namespace, settings: Settings) -> int:
    from vault.integrations import config
    from vault.runtime import Vault
    from vault.services.portal_sync import PortalSync, SyncPolicy

    portal = config.national_portal(settings)
    if portal is None:
        print("error: VAULT_PORTAL_URL is not set", file=sys.stderr)
        return 2
    vault = Vault.from_settings(settings)
    try:
        sync = PortalSync(vault.uows, portal, SyncPolicy.from_settings(settings))
        delivered = sync.run_until_idle(timeout=args.timeout)
    finally:
        portal.close()
        vault.close()
    print(f"{delivered} event(s) delivered", file=sys.stderr)
    return 0


def _report_json(r: Reconciliation) -> str:
    return json.dumps(
        {
            "agency_code": r.agency_code,
            "month": r.month,
            "agrees": r.agrees,
            "dossiers": r.dossiers,
            "dossiers_synced": r.dossiers_synced,
            "events": r.events,
            "acknowledged": r.acknowledged,
            "pending": r.pending,
            "dead": r.dead,
            "indicators": [
                {
                    "code": i.code,
                    "vault": [i.vault.numerator, i.vault.denominator],
                    "synced": [i.synced.numerator, i.synced.denominator],
                    "agrees": i.agrees,
                }
                for i in r.indicators
            ],
            "differences": [
                {
                    "dossier_code": d.dossier_code,
                    "reasons": list(d.reasons),
                    "indicators": list(d.indicators),
                }
                for d in r.differences
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def sync_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    from vault.runtime import Vault
    from vault.services.portal_reconcile import build_reconciliation

    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            report = build_reconciliation(uow, args.agency, args.month)
    finally:
        vault.close()
    if args.json:
        print(_report_json(report))
        return 0 if report.agrees else 1
    print(
        f"{report.agency_code} {report.month}: {report.dossiers} dossiers, "
        f"{report.dossiers_synced} fully synced; events {report.events}, acknowledged "
        f"{report.acknowledged}, pending {report.pending}, dead {report.dead}"
    )
    for i in report.indicators:
        mark = "=" if i.agrees else "≠"
        print(
            f"{i.code}\tvault {i.vault.numerator}/{i.vault.denominator}\t{mark}\t"
            f"synced {i.synced.numerator}/{i.synced.denominator}"
        )
    for d in report.differences:
        print(f"{d.dossier_code}\t{','.join(d.reasons)}\t{','.join(d.indicators)}")
    return 0 if report.agrees else 1


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], settings: SettingsFactory
) -> None:
    """Adds `sync` to the `vault` command's subcommands."""
    sync = sub.add_parser("sync", help="the dossier sync to the national portal")
    sync_sub = sync.add_subparsers(dest="sync_command", required=True)
    status = sync_sub.add_parser("status", help="how many events wait, went, or are dead")
    status.set_defaults(func=lambda a: sync_status(a, settings()))
    dead = sync_sub.add_parser("dead", help="the dead letters (tab-separated)")
    dead.add_argument("--agency", help="only this receiving agency's")
    dead.add_argument("--limit", type=int, default=100)
    dead.set_defaults(func=lambda a: sync_dead(a, settings()))
    replay = sync_sub.add_parser("replay", help="send dead letters again, in order per dossier")
    replay.add_argument("event_ids", nargs="*", metavar="EVENT_ID")
    replay.add_argument("--all", action="store_true", help="every dead letter")
    replay.set_defaults(func=lambda a: sync_replay(a, settings()))
    deliver = sync_sub.add_parser("deliver", help="deliver what is due now (no worker needed)")
    deliver.add_argument("--timeout", type=float, default=60.0)
    deliver.set_defaults(func=lambda a: sync_deliver(a, settings()))
    reconcile = sync_sub.add_parser(
        "reconcile", help="portal against vault for an agency and month (exit 1: they differ)"
    )
    reconcile.add_argument("--agency", required=True)
    reconcile.add_argument("--month", required=True, metavar="YYYY-MM")
    reconcile.add_argument("--json", action="store_true")
    reconcile.set_defaults(func=lambda a: sync_reconcile(a, settings()))
