"""Offline verification of a signed PDF (a result or certified copy) against trust roots
you choose, with no call to the vault: for a verifying agency, bank or employer holding
the file. Needs the `verify` extra: `pip install "citizen-vault-client[verify]"` (pyHanko).

    from vault_client.verification import verify_pdf

    report = verify_pdf("result.pdf", trust_roots=["national-root-ca.pem"])
    if report.passed:
        ...

It answers with data, never an exception for a bad file: `verdict` is "passed", "failed"
(a check failed: `reason` and each signature's `problems` say which) or "cannot_validate"
(the file could not be parsed or checked: malformed, too large, over the time or memory
bound). A file someone sends you is untrusted input: by default the check runs in a child
process with a time limit and an address-space limit, so a hostile PDF can neither hang
nor exhaust the caller.

What "passed" means here, for every signature in the file: the signed bytes are intact and
the CMS signature is valid; the signer's certificate chains to one of `trust_roots` and was
valid at the signing time (and not known revoked: revocation data embedded in the file is
used; nothing is fetched, and with `require_revocation_info=True` its absence fails the
check); and nothing was changed after signing beyond what is allowed. For the last signature
that is nothing, or long-term-validation data only (DSS, document timestamps): incremental
updates adding content, annotations or form values after it fail. An earlier signature
may be followed only by the later signatures and their validation data (a certified copy's
officer signature is followed by the office seal's, each with its DSS). The vault's own verifier
adds a deeper analysis of each update (shadow attacks): ask it when you can.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["OfflineVerification", "SignatureCheck", "verify_pdf"]

Verdict = Literal["passed", "failed", "cannot_validate"]
PdfSource = str | os.PathLike[str] | bytes
RootSource = str | os.PathLike[str] | bytes

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_MEMORY = 2 * 1024**3
DEFAULT_MAX_BYTES = 256 * 1024**2


class SignatureCheck(BaseModel):
    """What was checked for one signature, and what failed (`problems`)."""

    model_config = ConfigDict(frozen=True)

    field_name: str
    signer: str | None
    issuer: str | None
    signed_at: datetime | None  # as the signer's own clock claims
    timestamp: datetime | None  # from a trusted timestamp (RFC 3161), when there is one
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    validated_at: datetime | None  # the time the chain and revocation were judged at
    coverage: str
    modification_level: str | None
    docmdp_ok: bool | None
    passed: bool
    problems: list[str]


class OfflineVerification(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    reason: str
    signatures: list[SignatureCheck]

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"


def _cannot(reason: str) -> OfflineVerification:
    return OfflineVerification(verdict="cannot_validate", reason=reason, signatures=[])


def _require_pyhanko() -> None:
    try:
        import pyhanko  # noqa: F401
    except ImportError:
        raise ImportError(
            "offline verification needs pyHanko: pip install 'citizen-vault-client[verify]'"
        ) from None


def _load_roots(trust_roots: Sequence[RootSource]) -> list[bytes]:
    """The roots as DER; a root that cannot be read is the caller's error: raised."""
    from pyhanko.keys import load_certs_from_pemder_data

    if isinstance(trust_roots, str | bytes | os.PathLike):
        raise TypeError("trust_roots is a list of certificate files (or their bytes)")
    roots: list[bytes] = []
    for root in trust_roots:
        raw = root if isinstance(root, bytes) else Path(root).read_bytes()
        try:
            certs = list(load_certs_from_pemder_data(raw))
        except ValueError as exc:
            raise ValueError(f"cannot read trust root {root!r:.80}: {exc}") from exc
        if not certs:
            raise ValueError(f"no certificate in trust root {root!r:.80}")
        roots.extend(c.dump() for c in certs)
    if not roots:
        raise ValueError("give at least one trust root")
    return roots


def verify_pdf(
    pdf: PdfSource,
    trust_roots: Sequence[RootSource],
    *,
    validation_time: datetime | None = None,
    require_revocation_info: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> OfflineVerification:
    """Verifies every signature in `pdf` (a path or the bytes) against `trust_roots` (PEM
    or DER files, or their bytes; a file may hold several certificates).

    `validation_time` is when the certificates must have been valid. By default, a
    signature with a trusted signature timestamp is judged at the timestamp's time, with
    the revocation data embedded after it (DSS: long-term validation, PAdES B-LT), as the
    vault's verifier does; one without, at the current time.
    With `timeout` (seconds) the check runs in a child process, killed when over time or
    over `max_memory` bytes of address space (POSIX); `timeout=None` runs it in this thread
    (then not from inside a running event loop: use `asyncio.to_thread`). A file over
    `max_bytes` is not parsed. Never raises for a bad PDF; raises ValueError/OSError for
    trust roots that cannot be read, and ImportError without the `verify` extra.
    """
    _require_pyhanko()
    roots = _load_roots(trust_roots)
    if isinstance(pdf, bytes):
        if len(pdf) > max_bytes:
            return _cannot(f"the file is over {max_bytes} bytes")
        source: bytes | str = pdf
    else:
        path = Path(pdf)
        size = path.stat().st_size
        if size > max_bytes:
            return _cannot(f"the file is over {max_bytes} bytes")
        source = str(path)
    at = validation_time
    if timeout is None:
        return _verify(source, roots, at, require_revocation_info)
    return _in_child(source, roots, at, require_revocation_info, timeout, max_memory)


# -- in a child process ------------------------------------------------------------------

# A fresh interpreter running only this module: unlike multiprocessing's spawn, it does not
# re-import the caller's __main__ (a script without an `if __name__` guard would recurse).
_CHILD_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from vault_client.verification import _child_main; _child_main()"
)


def _in_child(
    source: bytes | str,
    roots: list[bytes],
    at: datetime | None,
    require_revocation_info: bool,
    timeout: float,
    max_memory: int | None,
) -> OfflineVerification:
    header = {
        "path": source if isinstance(source, str) else None,
        "roots": [base64.b64encode(r).decode() for r in roots],
        "at": at.isoformat() if at is not None else None,
        "require_revocation_info": require_revocation_info,
        "max_memory": max_memory,
    }
    payload = json.dumps(header).encode() + b"\n"
    if isinstance(source, bytes):
        payload += source
    package_parent = str(Path(__file__).resolve().parent.parent)
    try:
        done = subprocess.run(  # our own interpreter and code, no shell
            [sys.executable, "-I", "-c", _CHILD_BOOT, package_parent],
            input=payload,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:  # run() has killed the child
        return _cannot(f"the check took longer than {timeout:g} s")
    if done.returncode != 0:
        return _cannot(f"the checking process died (exit code {done.returncode})")
    try:
        return OfflineVerification.model_validate_json(done.stdout)
    except ValueError:
        return _cannot("the checking process gave no answer")


def _child_main() -> None:
    """Entry point of the child: a header line (JSON), then the PDF's bytes, on stdin."""
    header = json.loads(sys.stdin.buffer.readline())
    max_memory = header["max_memory"]
    if max_memory is not None and sys.platform != "win32":
        import resource

        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    # The parent has no use for pyHanko's warnings about the file: they are in the result.
    logging.disable(logging.CRITICAL)
    source: bytes | str = header["path"] or sys.stdin.buffer.read()
    roots = [base64.b64decode(r) for r in header["roots"]]
    at = datetime.fromisoformat(header["at"]) if header["at"] else None
    try:
        result = _verify(source, roots, at, bool(header["require_revocation_info"]))
    except MemoryError:
        result = _cannot("the check ran out of its memory bound")
    sys.stdout.write(result.model_dump_json())


# -- the check itself --------------------------------------------------------------------


def _verify(
    source: bytes | str, roots: list[bytes], at: datetime | None, require_revocation_info: bool
) -> OfflineVerification:
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        return asyncio.run(_check(data, roots, at, require_revocation_info))
    except MemoryError:
        raise
    except Exception as exc:  # a hostile file must give an answer, not a crash
        return _cannot(f"the file could not be checked: {type(exc).__name__}: {exc}"[:500])


async def _check(
    data: bytes, roots_der: list[bytes], at: datetime | None, require_revocation_info: bool
) -> OfflineVerification:
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    signatures = list(reader.embedded_regular_signatures)
    if not signatures:
        return OfflineVerification(
            verdict="failed", reason="the file carries no signature", signatures=[]
        )
    roots = [x509.Certificate.load(der) for der in roots_der]
    context_args: dict[str, Any] = {
        "trust_roots": roots,
        "allow_fetching": False,
        "revocation_mode": "hard-fail" if require_revocation_info else "soft-fail",
    }
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # no DSS, or an unreadable one: validate with the roots alone
        dss = None

    async def validate(embedded: Any, moment: datetime, retroactive: bool) -> Any:
        args = {**context_args, "moment": moment, "retroactive_revinfo": retroactive}
        context = dss.as_validation_context(args) if dss is not None else ValidationContext(**args)
        return await async_validate_pdf_signature(embedded, context, context)

    ordered = sorted(signatures, key=lambda s: s.signed_revision)
    checks: list[SignatureCheck] = []
    for position, embedded in enumerate(ordered):
        # The signature fields signed after this one: the only form fields that may change.
        later_fields = None
        if position < len(ordered) - 1:
            later_fields = {s.field_name for s in ordered[position + 1 :]}
        try:
            if at is not None:
                status, moment = await validate(embedded, at, False), at
            else:
                status, moment = await _at_proven_time(embedded, validate)
        except Exception as exc:
            checks.append(_unreadable(embedded.field_name, exc))
            continue
        checks.append(_judge(embedded.field_name, status, later_fields, moment))

    failed = [c for c in checks if not c.passed]
    if not failed:
        return OfflineVerification(
            verdict="passed",
            reason=f"{len(checks)} signature(s) intact, valid and trusted; nothing changed after",
            signatures=checks,
        )
    first = failed[0]
    return OfflineVerification(
        verdict="failed",
        reason=f"signature {first.field_name!r}: " + "; ".join(first.problems),
        signatures=checks,
    )


async def _at_proven_time(embedded: Any, validate: Any) -> tuple[Any, datetime]:
    """Validates at the time the signature timestamp proves the signature existed, with
    revocation data issued after it accepted (what B-LT embeds right after signing); at the
    current time when there is no timestamp, or it does not verify and chain to a root."""
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    claimed = None
    for token in extract_tst_data_iter(embedded.signer_info, signed=False):
        claimed = token["encap_content_info"]["content"].parsed["gen_time"].native
        break
    if claimed is not None:
        status = await validate(embedded, claimed, True)
        stamp = status.timestamp_validity
        if stamp is not None and stamp.intact and stamp.valid and stamp.trusted:
            return status, stamp.timestamp
    now = datetime.now(UTC)
    return await validate(embedded, now, False), now


def _unreadable(field_name: str, exc: Exception) -> SignatureCheck:
    return SignatureCheck(
        field_name=field_name,
        signer=None,
        issuer=None,
        signed_at=None,
        timestamp=None,
        intact=False,
        valid=False,
        trusted=False,
        revoked=False,
        validated_at=None,
        coverage="unclear",
        modification_level=None,
        docmdp_ok=None,
        passed=False,
        problems=[f"cannot be validated: {type(exc).__name__}: {exc}"[:300]],
    )


def _judge(
    field_name: str, status: Any, later_fields: set[str] | None, moment: datetime
) -> SignatureCheck:
    """`later_fields`: None for the last signature, else the fields signed after it."""
    from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    problems: list[str] = []
    if not status.intact:
        problems.append("the signed bytes were altered")
    if not status.valid:
        problems.append("the signature does not verify")
    if not status.trusted:
        problems.append("the signer's certificate does not chain to a trusted root")
    if status.revoked:
        problems.append("the signer's certificate is revoked")
    level = status.modification_level
    coverage = status.coverage
    if later_fields is None:
        whole = coverage == SignatureCoverageLevel.ENTIRE_FILE
        ltv_only = coverage == SignatureCoverageLevel.ENTIRE_REVISION and level in (
            ModificationLevel.NONE,
            ModificationLevel.LTA_UPDATES,
        )
        if not (whole or ltv_only):
            problems.append(
                "the file was changed after the signature "
                f"({'unanalysed' if level is None else level.name.lower()})"
            )
    else:
        # Later signatures, and the validation data (DSS) added with each (B-LT), are the only
        # changes allowed after an earlier signature: no other form field, no content.
        diff = status.diff_result
        if not (
            isinstance(diff, DiffResult)
            and diff.modification_level <= ModificationLevel.FORM_FILLING
            and diff.changed_form_fields <= later_fields
        ):
            problems.append(
                "the file was changed after this signature by more than later signatures"
            )
    if status.docmdp_ok is False:
        problems.append("a change the signer's certification (DocMDP) forbids")
    if status.has_seed_values and not status.seed_value_ok:
        problems.append("the signature breaks its field's seed value constraints")
    # A timestamp's status has no `bottom_line` of its own (only the signature's has):
    # it holds when its token is intact, valid and chains to a trusted root.
    for name, stamp in (
        ("timestamp", status.timestamp_validity),
        ("content timestamp", status.content_timestamp_validity),
    ):
        if stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
            problems.append(f"the {name} does not verify or is not trusted")
    cert = status.signing_cert
    ts = status.timestamp_validity
    return SignatureCheck(
        field_name=field_name,
        signer=cert.subject.human_friendly if cert is not None else None,
        issuer=cert.issuer.human_friendly if cert is not None else None,
        signed_at=status.signer_reported_dt,
        timestamp=ts.timestamp if ts is not None else None,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=bool(status.revoked),
        validated_at=moment,
        coverage=coverage.name.lower() if coverage is not None else "unclear",
        modification_level=level.name.lower() if level is not None else None,
        docmdp_ok=status.docmdp_ok,
        passed=not problems,
        problems=problems,
    )
