"""The `vault` command: the API, the signing service, workers and maintenance."""

# Only the standard library at module level: `vault --help` must not pay for pyHanko, PDFium,
# SQLAlchemy or FastAPI (seconds). Each command imports what it needs when it runs
# (tests/test_cli.py checks `import api.cli`; bench/cli_start.py measures the start).
from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from signing.issuing.signer_settings import SignerSettings
    from vault.db import UnitOfWork
    from vault.runtime import Vault
    from vault.settings import Settings


def _settings() -> Settings:
    from pydantic import ValidationError

    from vault.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  VAULT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        ]
        sys.exit("invalid configuration:\n" + "\n".join(lines))


def _prepare_embedded(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite:///"):
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
    if args.workers < 1:
        print("error: --workers must be 1 or more", file=sys.stderr)
        return 2
    if args.workers > 1 and args.dev_signing is not None:
        # Each process builds its app from the environment; the development signer's
        # settings exist only in this process. Name the signing service with VAULT_SIGNER_*.
        print("error: --dev-signing serves one process; drop --workers", file=sys.stderr)
        return 2
    signer_settings = None
    if args.dev_signing is not None:
        signer_settings = _dev_signer_settings(args, settings, f"http://{host}:{port}")
    print(
        f"Vault API on http://{host}:{port}  (docs: http://{host}:{port}/docs, "
        f"OpenAPI: http://{host}:{port}/openapi.json)\n"
        f"Officer console on http://{host}:{port}/console/",
        flush=True,
    )
    from api.logs import configure_logging

    configure_logging(settings.log_format, logging.getLevelName(args.log_level.upper()))
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": args.log_level,
        "log_config": None,  # configure_logging's handler: JSON lines or text, request ids
    }
    if args.workers > 1:
        from vault.metrics import prepare_multiprocess_dir, remove_multiprocess_dir

        # Each process imports the app from the environment (uvicorn's supervisor restarts a
        # process that dies), and counts its metrics into a folder they all share.
        own_folder = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        folder = prepare_multiprocess_dir()
        try:
            uvicorn.run(
                "api.app:app_from_environment", factory=True, workers=args.workers, **common
            )
        finally:
            if own_folder:
                remove_multiprocess_dir(folder)
    else:
        uvicorn.run(create_app(settings, signer_settings=signer_settings), **common)
    return 0


def _dev_signer_settings(
    args: argparse.Namespace, settings: Settings, public_base_url: str
) -> SignerSettings:
    """Signing through the development signing service (`./scripts/run` starts it)."""
    from api.devseed import DEV_SEALS, DEV_SIGNING_OFFICERS
    from signing.issuing.devenv import (
        DevSigningUnavailable,
        dev_signer_settings,
        wait_for_dev_service,
    )
    from vault.settings import Environment

    if settings.env is Environment.PRODUCTION:
        sys.exit("--dev-signing is for development only")
    manifest = Path(args.dev_signing)
    print(f"waiting for the development signing service at {args.dev_signing_url} …", flush=True)
    try:
        wait_for_dev_service(manifest, args.dev_signing_url)
    except DevSigningUnavailable as exc:
        sys.exit(str(exc))
    print("signing: development PKI and PINs (NOT FOR PRODUCTION)", flush=True)
    return dev_signer_settings(
        manifest,
        service_url=args.dev_signing_url,
        officers=DEV_SIGNING_OFFICERS,
        seals=DEV_SEALS,
        public_base_url=public_base_url,
    )


def cmd_signing_serve(args: argparse.Namespace) -> int:
    """The remote signing service (CSC API), its own process: keys stay in its token."""
    from api import csc

    # The same checks and messages as `python -m api.csc` (a bad setting is a message,
    # not a traceback).
    argv = ["--log-level", args.log_level]
    argv += ["--host", args.host] if args.host else []
    argv += ["--port", str(args.port)] if args.port else []
    return csc.main(argv)


def cmd_migrate(args: argparse.Namespace) -> int:
    from vault.db import migrate

    settings = _settings()
    _prepare_embedded(settings)
    migrate.upgrade(settings.database_url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from vault.runtime import Vault
    from vault.services import reconcile

    settings = _settings()
    vault = Vault.from_settings(settings)
    grace = timedelta(seconds=settings.orphan_grace_seconds if args.grace is None else args.grace)
    from api.progress import progress_display

    try:
        with progress_display("reconcile: objects checked") as progress:
            report = reconcile(vault.uows, grace=grace, dry_run=args.dry_run, progress=progress)
    finally:
        vault.close()
    print(json.dumps(asdict(report), indent=2))
    return 1 if report.missing_objects else 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from vault.runtime import Vault
    from vault.services import rotate_keys

    settings = _settings()
    vault = Vault.from_settings(settings)
    from api.progress import progress_display

    try:
        with progress_display("rotate-keys: data keys rewrapped") as progress:
            count = rotate_keys(vault.uows, vault.keyring, progress=progress)
    finally:
        vault.close()
    print(f"rewrapped {count} data keys with master key {vault.keyring.active_key_id}")
    return 0


def _with_uow(action: Callable[[Vault, UnitOfWork], object]) -> object:
    from vault.runtime import Vault

    vault = Vault.from_settings(_settings())
    try:
        with vault.uows() as uow:
            result = action(vault, uow)
            uow.commit()
        return result
    finally:
        vault.close()


def cmd_add_agency(args: argparse.Namespace) -> int:
    _with_uow(lambda v, uow: v.auth.add_agency(uow, args.code, args.name))
    print(f"agency {args.code} ready")
    return 0


def cmd_add_officer(args: argparse.Namespace) -> int:
    from vault.auth import Role

    password = args.password or (getpass.getpass("password: ") if args.ask_password else None)
    roles = [Role(r) for r in args.roles.split(",") if r]
    _with_uow(
        lambda v, uow: v.auth.add_officer(
            uow,
            username=args.username,
            full_name=args.name,
            agency_code=args.agency,
            roles=roles,
            password=password,
            oidc_subject=args.oidc_subject,
        )
    )
    print(f"officer {args.username} added to {args.agency} as {','.join(r.value for r in roles)}")
    return 0


def cmd_add_client(args: argparse.Namespace) -> int:
    client_id, secret = cast(
        tuple[str, str],
        _with_uow(lambda v, uow: v.auth.add_client(uow, name=args.name, agency_code=args.agency)),
    )
    print(json.dumps({"client_id": client_id, "client_secret": secret}))
    print("store the secret now: it is kept only as a hash", file=sys.stderr)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from vault.audit import verify_anchors, verify_chain
    from vault.runtime import Vault

    vault = Vault.from_settings(_settings())
    try:
        report = verify_chain(vault.uows)
        anchor_problems = verify_anchors(vault.uows)
    finally:
        vault.close()
    print(json.dumps({**asdict(report), "anchor_problems": anchor_problems}))
    for problem in anchor_problems:
        print(f"audit anchor problem: {problem}", file=sys.stderr)
    if anchor_problems:
        return 1
    if not report.ok:
        print(
            f"audit chain BROKEN at entry {report.first_bad_seq}: {report.problem}", file=sys.stderr
        )
        return 1
    print(f"audit chain intact: {report.entries} entries", file=sys.stderr)
    return 0


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    settings = _settings()
    url = args.tsa or settings.audit_tsa_url
    if not url:
        print("error: give --tsa URL or set VAULT_AUDIT_TSA_URL", file=sys.stderr)
        return 2
    from vault.audit import anchor_head
    from vault.runtime import Vault

    vault = Vault.from_settings(settings)
    try:
        anchor = anchor_head(vault.uows, url)
    finally:
        vault.close()
    if anchor is None:
        print("the chain head is already anchored")
    else:
        print(f"anchored entry {anchor.seq} ({anchor.hash}) at {anchor.gen_time.isoformat()}")
    return 0


def cmd_dev_seed(args: argparse.Namespace) -> int:
    from api.devseed import dev_seed, keep_client_secret
    from vault.settings import Environment

    settings = _settings()
    if settings.env is Environment.PRODUCTION:
        print(
            "error: dev-seed makes accounts with known passwords; not in production",
            file=sys.stderr,
        )
        return 2
    secret_file = Path(args.secret_file)

    def seed(vault: Vault, uow: UnitOfWork) -> tuple[dict[str, object], str | None]:
        made = dev_seed(vault, uow)
        return made, keep_client_secret(vault, uow, made, secret_file)

    created, problem = cast(tuple[dict[str, object], str | None], _with_uow(seed))
    print(json.dumps(created, indent=2, ensure_ascii=False))
    if problem is None:
        print(
            f"the demo-system client's id and secret are in {secret_file} (development only): "
            f"`source {secret_file}` sets CITIZEN_VAULT_CLIENT_ID and CITIZEN_VAULT_CLIENT_SECRET",
            flush=True,
        )
    else:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def cmd_trust_roots(args: argparse.Namespace) -> int:
    """The certificates the vault's verifier trusts, as one PEM file: what
    `vault_client.verification.verify_pdf(..., trust_roots=[FILE])` loads as it is."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pydantic import ValidationError

    from signing.verify.errors import VerifierError
    from signing.verify.verifier_settings import VerifySettings

    try:
        roots = VerifySettings().trust().roots
    except (ValidationError, VerifierError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not roots:
        print(
            "error: no trust root: set VAULT_VERIFY_TRUST_ROOTS (the national root CA), or in "
            "development start the signing service once (`./scripts/run`), which makes "
            "the development root",
            file=sys.stderr,
        )
        return 1
    bundle = []
    for der in roots:
        cert = x509.load_der_x509_certificate(der)
        bundle.append(f"# {cert.subject.rfc4514_string()}\n".encode())
        bundle.append(cert.public_bytes(Encoding.PEM))
    data = b"".join(bundle)
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"{len(roots)} trust root(s) written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from api import cli_backup, cli_import, cli_jobs, cli_retention, cli_sync
    from api.progress import progress_display
    from ocr import cli as ocr_cli
    from vault.auth.actors import Role

    parser = argparse.ArgumentParser(prog="vault", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--dev-signing",
        metavar="MANIFEST",
        help="sign through the development signing service whose dev-credentials.json this is",
    )
    serve.add_argument("--dev-signing-url", default="http://127.0.0.1:8010")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serve with this many processes on the one port (default: %(default)s); what they "
        "share (rate limits, sign-in throttles, revocations, numbering, jobs) is in the database",
    )
    serve.set_defaults(func=cmd_serve)

    signing = sub.add_parser("signing-serve", help="serve the remote signing service (CSC API)")
    signing.add_argument("--host")
    signing.add_argument("--port", type=int)
    signing.add_argument("--log-level", default="info")
    signing.set_defaults(func=cmd_signing_serve)

    # Parsed by their own modules (see main); listed here for --help.
    sub.add_parser("verify", help="verify signed PDFs offline: signatures, chain, changes")
    roots = sub.add_parser(
        "trust-roots",
        help="print the roots signatures are verified against (PEM; the SDK's verify_pdf loads it)",
    )
    roots.add_argument("--out", metavar="FILE", help="write them to FILE instead")
    roots.set_defaults(func=cmd_trust_roots)
    sub.add_parser(
        "extend-signatures", help="add document timestamps (B-LTA) to signatures near expiry"
    )
    sub.add_parser("accounts", help="disable or re-enable an officer or an agency system")

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

    agency = sub.add_parser("add-agency", help="register an agency by its code")
    agency.add_argument("code")
    agency.add_argument("name")
    agency.set_defaults(func=cmd_add_agency)

    officer = sub.add_parser("add-officer", help="add an officer account")
    officer.add_argument("--username", required=True)
    officer.add_argument("--name", required=True)
    officer.add_argument("--agency", required=True)
    officer.add_argument(
        "--roles", required=True, help="comma-separated: " + ",".join(r.value for r in Role)
    )
    officer.add_argument("--password", help="local sign-in (embedded default)")
    officer.add_argument("--ask-password", action="store_true")
    officer.add_argument("--oidc-subject", help="the officer's subject at the OIDC provider")
    officer.set_defaults(func=cmd_add_officer)

    client = sub.add_parser("add-client", help="register an agency system (client credentials)")
    client.add_argument("--name", required=True)
    client.add_argument("--agency", required=True)
    client.set_defaults(func=cmd_add_client)

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check every hash and link of the chain")
    verify.set_defaults(func=cmd_audit_verify)
    anchor = audit_sub.add_parser("anchor", help="timestamp the chain head (RFC 3161)")
    anchor.add_argument("--tsa", help="timestamp authority URL (default: VAULT_AUDIT_TSA_URL)")
    anchor.set_defaults(func=cmd_audit_anchor)

    cli_jobs.register(sub, _settings)  # worker, jobs
    ocr_cli.register(sub, _settings, progress_display)  # reindex, ocr
    cli_backup.register(sub, _settings)  # backup, restore
    cli_import.register(sub, _settings)  # import
    cli_sync.register(sub, _settings)  # sync (the national portal)
    cli_retention.register(sub, _settings)  # retention: holds, disposal

    seed = sub.add_parser("dev-seed", help="demo agency, officers, citizen (development only)")
    seed.add_argument(
        "--secret-file",
        default="var/dev-client.env",
        help="where the demo system's client secret is kept (default: %(default)s)",
    )
    seed.set_defaults(func=cmd_dev_seed)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    # These commands' options, --help included, belong to their own parsers.
    if argv[:1] == ["verify"] and {"--export", "--bundle"} & {a.split("=")[0] for a in argv}:
        from api.cli_packages import cli_main as packages_main

        return packages_main(argv[1:])
    if argv[:1] == ["verify"]:
        from signing.verify.cli import cli_main as verify_main

        return verify_main(argv[1:])
    if argv[:1] == ["accounts"]:
        from api.cli_accounts import main as accounts_main

        return accounts_main(argv[1:])
    if argv[:1] == ["extend-signatures"]:
        from signing.issuing.extend import cli_main as extend_main

        return extend_main(argv[1:])
    args = build_parser().parse_args(argv)
    from vault.errors import VaultError

    try:
        code: int = args.func(args)
    except VaultError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
