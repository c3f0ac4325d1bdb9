"""`vault verify FILE`: print the verification report of a PDF.

Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE (including "cannot be
validated"), 64 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from signing.verify.errors import VerifierError
from signing.verify.report import Indication, SignatureReport, VerificationReport

EXIT_USAGE = 64
_EXIT = {Indication.TOTAL_PASSED: 0, Indication.TOTAL_FAILED: 1, Indication.INDETERMINATE: 2}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vault verify",
        description="Verify the signatures of a PDF (PAdES) and report as the EU DSS does.",
    )
    parser.add_argument("file", type=Path, help="the PDF to verify")
    parser.add_argument(
        "--trust-root",
        type=Path,
        action="append",
        default=None,
        help="trust anchor certificate file or folder (repeatable); default: "
        "VAULT_VERIFY_TRUST_ROOTS",
    )
    parser.add_argument(
        "--online",
        action="store_true",
        help="fetch OCSP responses and CRLs (default: only the data embedded in the PDF)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds (default: settings)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the report as JSON")
    output.add_argument(
        "--etsi-xml", action="store_true", help="print the ETSI TS 119 102-2 report"
    )
    return parser


def _when(value: object) -> str:
    return "-" if value is None else str(value)


def _print_signature(sig: SignatureReport, out: TextIO) -> None:
    verdict = sig.indication.value + (
        f" / {sig.sub_indication.value}" if sig.sub_indication else ""
    )
    print(f"\n{sig.id}  field {sig.field_name!r}: {verdict}", file=out)
    if sig.signer is not None:
        print(f"  signer:        {sig.signer.subject}", file=out)
        print(
            f"  certificate:   serial {sig.signer.serial_number}, valid "
            f"{sig.signer.not_before:%Y-%m-%d} to {sig.signer.not_after:%Y-%m-%d}",
            file=out,
        )
    print(f"  level:         {sig.level.value} ({sig.sub_filter or 'no SubFilter'})", file=out)
    print(f"  claimed time:  {_when(sig.claimed_signing_time)}", file=out)
    print(f"  proven time:   {_when(sig.proven_signing_time)}", file=out)
    for ts in sig.signature_timestamps:
        print(
            f"  timestamp:     {_when(ts.production_time)} by {ts.tsa or '?'}: "
            f"{ts.indication.value}",
            file=out,
        )
    if sig.certificate_chain:
        print("  chain:", file=out)
        for cert in sig.certificate_chain:
            mark = " (trust anchor)" if cert.is_trust_anchor else ""
            print(f"    - {cert.common_name or cert.subject}{mark}", file=out)
    if sig.revocation is not None:
        extra = (
            f", revoked {sig.revocation.revocation_time}" if sig.revocation.revocation_time else ""
        )
        print(
            f"  revocation:    {sig.revocation.status.value} at {_when(sig.revocation.checked_for)}"
            f"{extra} [{sig.revocation.source}]",
            file=out,
        )
    if sig.scope is not None:
        scope = sig.scope
        print(
            f"  covers:        {scope.coverage.value}, revision {scope.signed_revision} of "
            f"{scope.revisions} ({scope.signed_bytes} of {scope.file_size} bytes)",
            file=out,
        )
    if sig.modifications is not None:
        mods = sig.modifications
        changes = ", ".join(c.value for c in mods.changes) or "none"
        print(
            f"  changed after: {changes} -> {'permitted' if mods.permitted else 'NOT permitted'}"
            f" (pyHanko: {mods.pyhanko_level})",
            file=out,
        )
    for message in sig.errors:
        print(f"  error:   {message}", file=out)
    for message in sig.warnings:
        print(f"  warning: {message}", file=out)


def print_report(report: VerificationReport, out: TextIO) -> None:
    verdict = report.bottom_line.value + (
        f" / {report.sub_indication.value}" if report.sub_indication else ""
    )
    print(f"Result: {verdict}", file=out)
    print(f"  {report.summary}", file=out)
    if report.document is not None:
        doc = report.document
        print(
            f"Document: {doc.size} bytes, sha256 {doc.sha256}, {doc.revisions} revision(s), "
            f"{doc.pages if doc.pages is not None else '?'} page(s)",
            file=out,
        )
    print(
        f"Validated at {report.validation_time} ({'offline' if report.offline else 'online'}, "
        f"policy {report.policy})",
        file=out,
    )
    for sig in report.signatures:
        _print_signature(sig, out)
    for ts in report.document_timestamps:
        print(
            f"\ndocument timestamp {ts.field_name!r}: {ts.indication.value} at "
            f"{_when(ts.production_time)} by {ts.tsa or '?'}",
            file=out,
        )
    if report.revisions:
        print("\nRevisions:", file=out)
        for rev in report.revisions:
            changes = ", ".join(c.value for c in rev.changes) or "original document"
            print(
                f"  {rev.index}: {changes} (+{rev.objects_added} / ~{rev.objects_changed} objects)",
                file=out,
            )
    for finding in report.findings:
        print(f"{finding.severity.value.lower()}: {finding.message}", file=out)


def cli_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `vault verify`; returns the exit status."""
    from signing.verify.etsi_xml import render
    from signing.verify.trust import TrustSettings
    from signing.verify.verifier_settings import VerifySettings

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on errors
        return 0 if exc.code == 0 else EXIT_USAGE
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"vault verify: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = VerifySettings()
        if args.trust_root:
            settings = settings.model_copy(update={"trust_roots": args.trust_root})
        trust: TrustSettings = settings.trust()
        if not trust.roots:
            print(
                "vault verify: warning: no trust anchor configured; no signature can pass",
                file=sys.stderr,
            )
        with settings.verifier() as verifier:
            report = verifier.verify(
                data,
                offline=not args.online,
                time_limit=args.time_limit or settings.time_limit_seconds,
            )
    except (VerifierError, ValueError) as exc:
        print(f"vault verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif args.etsi_xml:
        sys.stdout.write(render(report))
    else:
        print_report(report, sys.stdout)
    return _EXIT[report.bottom_line]
