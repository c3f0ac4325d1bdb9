"""The `vault` command: serve, migrate, reconcile, rotate-keys."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta

from pydantic import ValidationError

from vault.db import migrate
from vault.errors import VaultError
from vault.runtime import Vault
from vault.services import reconcile, rotate_keys
from vault.settings import Settings


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  VAULT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        ]
        sys.exit("invalid configuration:\n" + "\n".join(lines))


def _prepare_embedded(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    if settings.storage_backend == "filesystem":
        settings.storage_path.mkdir(parents=True, exist_ok=True)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = _settings()
    _prepare_embedded(settings)
    host, port = args.host or settings.host, args.port or settings.port
    print(
        f"Vault API on http://{host}:{port}  (docs: http://{host}:{port}/docs, "
        f"OpenAPI: http://{host}:{port}/openapi.json)",
        flush=True,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level=args.log_level)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    _prepare_embedded(settings)
    migrate.upgrade(settings.database_url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    settings = _settings()
    vault = Vault.from_settings(settings)
    grace = timedelta(seconds=settings.orphan_grace_seconds if args.grace is None else args.grace)
    try:
        report = reconcile(vault.uows, grace=grace, dry_run=args.dry_run)
    finally:
        vault.close()
    print(json.dumps(asdict(report), indent=2))
    return 1 if report.missing_objects else 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    settings = _settings()
    vault = Vault.from_settings(settings)
    try:
        count = rotate_keys(vault.uows, vault.keyring)
    finally:
        vault.close()
    print(f"rewrapped {count} data keys with master key {vault.keyring.active_key_id}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vault", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=cmd_migrate)

    rec = sub.add_parser(
        "reconcile", help="remove orphan objects; report rows whose object is missing"
    )
    rec.add_argument("--dry-run", action="store_true", help="report only, delete nothing")
    rec.add_argument("--grace", type=int, help="seconds an orphan must be old (default: config)")
    rec.set_defaults(func=cmd_reconcile)

    rot = sub.add_parser("rotate-keys", help="rewrap data keys with the active master key")
    rot.set_defaults(func=cmd_rotate_keys)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except VaultError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
