"""`vault verify --export FILE` and `vault verify --bundle FILE`: offline checks of an export
package or a proof bundle (`signing.issuing.package_check`): nothing is fetched, nothing of
the vault's database or store is touched. Agencies without the server have the same checks
in the SDK (`vault_client.packages`).

Exit status: 0 passed, 1 failed, 64 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 64


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vault verify",
        description="Verify an export package or a proof bundle offline.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--export", type=Path, help="an export package (zip)")
    what.add_argument("--bundle", type=Path, help="a proof bundle (zip)")
    parser.add_argument(
        "--trust-root",
        type=Path,
        action="append",
        default=None,
        help="trust anchor certificate file or folder (repeatable); default: "
        "VAULT_VERIFY_TRUST_ROOTS",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def cli_main(argv: Sequence[str] | None = None) -> int:
    from signing.issuing.package_check import check_bundle, check_export
    from signing.verify.verifier_settings import VerifySettings

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else EXIT_USAGE
    settings = VerifySettings()
    if args.trust_root:
        settings = settings.model_copy(update={"trust_roots": args.trust_root})
    try:
        roots = settings.trust().roots
        if not roots:
            print("vault verify: no trust anchor: give --trust-root", file=sys.stderr)
            return EXIT_USAGE
        with settings.verifier() as verifier:
            if args.export is not None:
                result = check_export(args.export, roots, verifier).to_dict()
            else:
                result = check_bundle(args.bundle.read_bytes(), roots, verifier).to_dict()
    except (OSError, ValueError) as exc:
        print(f"vault verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        _print(result)
    return 0 if result["passed"] else 1


def _print(result: dict[str, object]) -> None:
    print("passed" if result["passed"] else "FAILED")
    seal = result.get("seal")
    if isinstance(seal, dict):
        print(
            f"  sealed by {seal.get('signer') or '?'} at {seal.get('timestamp') or '?'} "
            "(the seal's revocation is not checked offline)"
        )
    for key in ("export_id", "files_checked", "signed_papers", "pdf_verdict"):
        if key in result:
            print(f"  {key.replace('_', ' ')}: {result[key]}")
    statement = result.get("statement")
    if isinstance(statement, dict):
        for key in ("kind", "number", "book", "date", "status_at_issue", "status_url"):
            print(f"  {key.replace('_', ' ')}: {statement.get(key)}")
    for kind in ("problems", "notes"):
        for line in result.get(kind) or []:  # type: ignore[attr-defined]
            print(f"  {kind[:-1]}: {line}")
