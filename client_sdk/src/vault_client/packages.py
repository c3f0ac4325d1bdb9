"""Offline checks of what the vault hands out for keeping: an export package (the owner's
copy of their warehouse) and a proof bundle (one signed paper with the vault's record
statement). Nothing is fetched: the checks need the files and the trust roots you choose.
Needs the `verify` extra (pyHanko): `pip install "citizen-vault-client[verify]"`.

    from vault_client.packages import verify_export

    report = verify_export("vault-export.zip", trust_roots=["national-root-ca.pem"])
    if not report.passed:
        print(report.problems)

What an export's "passed" means: the manifest's detached signature (CMS) is intact, made by
a certificate that chains to one of `trust_roots`, with a timestamp; every file the manifest
lists is in the package with the size and SHA-256 it gives; no file is in the package that
the manifest does not list; and each paper the manifest marks as signed passes
`vault_client.verification.verify_pdf` against the same roots. Revocation of the seal's
certificate cannot be checked offline (nothing is fetched): `seal.revocation_checked` says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from vault_client.verification import (
    DEFAULT_TIMEOUT,
    OfflineVerification,
    RootSource,
    _load_roots,
    _require_pyhanko,
    verify_pdf,
)

__all__ = [
    "BundleVerification",
    "ExportVerification",
    "FileCheck",
    "SealCheck",
    "verify_bundle",
    "verify_export",
    "verify_sealed",
]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
EXPORT_FORMAT = "vault-export/1"
_READ = 1024 * 1024


class SealCheck(BaseModel):
    """The vault seal's detached signature over a statement (a manifest, a record statement)."""

    model_config = ConfigDict(frozen=True)

    signer: str | None
    signed_at: datetime | None
    timestamp: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    revocation_checked: bool = False  # offline: never
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


class FileCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    ok: bool
    problem: str | None = None


class PdfCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    verification: OfflineVerification


class ExportVerification(BaseModel):
    model_config = ConfigDict(frozen=True)

    export_id: str | None
    seal: SealCheck | None
    files: list[FileCheck]
    signed_papers: list[PdfCheck]
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def verify_sealed(
    statement: bytes, signature: bytes, trust_roots: Sequence[RootSource]
) -> SealCheck:
    """Checks a detached CMS signature over `statement` against `trust_roots`, offline."""
    _require_pyhanko()
    return asyncio.run(_seal(statement, signature, _load_roots(trust_roots)))


async def _seal(statement: bytes, signature: bytes, roots_der: list[bytes]) -> SealCheck:
    from asn1crypto import cms, x509
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    def failed(problem: str) -> SealCheck:
        return SealCheck(
            signer=None,
            signed_at=None,
            timestamp=None,
            intact=False,
            valid=False,
            trusted=False,
            problems=[problem],
        )

    try:
        info = cms.ContentInfo.load(signature)
        signed_data = info["content"]
        if info["content_type"].native != "signed_data":
            return failed("the signature is not a CMS SignedData")
    except Exception as exc:
        return failed(f"the signature cannot be read: {type(exc).__name__}")
    roots = [x509.Certificate.load(der) for der in roots_der]

    def context() -> ValidationContext:
        return ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )

    try:
        status = await async_validate_detached_cms(
            statement, signed_data, signer_validation_context=context(),
            ts_validation_context=context(),
        )  # fmt: skip
    except Exception as exc:
        return failed(f"the signature cannot be validated: {type(exc).__name__}: {exc}"[:300])
    problems = []
    if not status.intact:
        problems.append("the statement was changed after it was signed")
    if not status.valid:
        problems.append("the signature does not verify")
    if not status.trusted:
        problems.append("the signer's certificate does not chain to a trusted root")
    stamp = status.timestamp_validity
    when = None
    if stamp is None:
        problems.append("the signature carries no timestamp")
    elif not (stamp.intact and stamp.valid and stamp.trusted):
        problems.append("the signature's timestamp does not verify against the roots")
    else:
        when = stamp.timestamp
    name = status.signing_cert.subject.native.get("common_name") if status.signing_cert else None
    return SealCheck(
        signer=str(name) if name else None,
        signed_at=status.signer_reported_dt,
        timestamp=when,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        problems=problems,
    )


def _digest(stream: IO[bytes]) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    while piece := stream.read(_READ):
        size += len(piece)
        h.update(piece)
    return size, h.hexdigest()


def verify_export(
    package: str | os.PathLike[str],
    trust_roots: Sequence[RootSource],
    *,
    check_signed_papers: bool = True,
    pdf_timeout: float | None = DEFAULT_TIMEOUT,
) -> ExportVerification:
    """Checks an export package (the zip the vault's download link gave) offline. Streams
    each file through SHA-256: a package of gigabytes is never held in memory (a signed PDF
    is read whole to check its signatures). Never raises for a bad package; raises
    ValueError/OSError for trust roots that cannot be read."""
    _require_pyhanko()
    roots = _load_roots(trust_roots)
    problems: list[str] = []

    def result(**kw: Any) -> ExportVerification:
        base: dict[str, Any] = {"export_id": None, "seal": None, "files": [], "signed_papers": []}
        return ExportVerification(**{**base, **kw, "problems": problems})

    try:
        archive = zipfile.ZipFile(Path(package))
    except (OSError, zipfile.BadZipFile) as exc:
        problems.append(f"the package is not a readable zip: {exc}")
        return result()
    with archive:
        names = {info.filename for info in archive.infolist()}
        if MANIFEST not in names or SIGNATURE not in names:
            problems.append("the package has no signed manifest")
            return result()
        statement = archive.read(MANIFEST)
        seal = asyncio.run(_seal(statement, archive.read(SIGNATURE), roots))
        problems.extend(f"manifest: {p}" for p in seal.problems)
        try:
            manifest = json.loads(statement)
            listed = [*manifest["files"], *manifest["documents"]]
            export_id = str(manifest.get("export_id"))
            if manifest.get("format") != EXPORT_FORMAT:
                problems.append(f"manifest: unknown format {manifest.get('format')!r}")
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"manifest: not a vault manifest ({type(exc).__name__})")
            return result(seal=seal)
        files: list[FileCheck] = []
        seen = {MANIFEST, SIGNATURE}
        for item in listed:
            path = str(item.get("path"))
            seen.add(path)
            if path not in names:
                files.append(FileCheck(path=path, ok=False, problem="missing from the package"))
                continue
            try:
                with archive.open(path) as stream:
                    size, digest = _digest(stream)
            except (zipfile.BadZipFile, OSError) as exc:  # a CRC mismatch, a damaged entry
                files.append(FileCheck(path=path, ok=False, problem=f"unreadable: {exc}"))
                continue
            if size != item.get("size"):
                files.append(
                    FileCheck(path=path, ok=False, problem="size differs from the manifest")
                )
            elif digest != item.get("sha256"):
                files.append(
                    FileCheck(path=path, ok=False, problem="SHA-256 differs from the manifest")
                )
            else:
                files.append(FileCheck(path=path, ok=True))
        for extra in sorted(names - seen):
            files.append(FileCheck(path=extra, ok=False, problem="not listed in the manifest"))
        problems.extend(f"{f.path}: {f.problem}" for f in files if not f.ok)
        papers: list[PdfCheck] = []
        if check_signed_papers:
            good = {f.path for f in files if f.ok}
            for item in manifest["documents"]:
                path = str(item.get("path"))
                if not item.get("signed") or item.get("media_type") != "application/pdf":
                    continue
                if path not in good:
                    continue
                check = verify_pdf(archive.read(path), roots, timeout=pdf_timeout)
                papers.append(PdfCheck(path=path, verification=check))
                if not check.passed:
                    problems.append(f"{path}: signature check {check.verdict}: {check.reason}")
        return result(export_id=export_id, seal=seal, files=files, signed_papers=papers)


BUNDLE_FORMAT = "vault-proof/1"


class BundleVerification(BaseModel):
    """A proof bundle's checks. `status_now` is filled only when asked to go online: what the
    status URL answers today (e.g. "current", "superseded", "revoked")."""

    model_config = ConfigDict(frozen=True)

    statement: dict[str, Any] | None
    seal: SealCheck | None
    pdf: OfflineVerification | None
    status_now: str | None = None
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def verify_bundle(
    bundle: str | os.PathLike[str] | bytes,
    trust_roots: Sequence[RootSource],
    *,
    online: bool = False,
    pdf_timeout: float | None = DEFAULT_TIMEOUT,
) -> BundleVerification:
    """Checks a proof bundle offline: the record statement's seal, that the PDF is the one
    the statement names (its SHA-256) and begins with the version on record, and the PDF's
    own signatures with the validation data embedded in it (required: a bundle is B-LT or
    B-LTA). With `online=True` it also asks the statement's status URL whether the paper
    was revoked or replaced since (the only network call, and only then)."""
    _require_pyhanko()
    roots = _load_roots(trust_roots)
    problems: list[str] = []
    data = bundle if isinstance(bundle, bytes) else Path(bundle).read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            pdf = z.read("document.pdf")
            raw = z.read("statement.json")
            signature = z.read("statement.json.p7s")
        statement = json.loads(raw)
        if not isinstance(statement, dict):
            raise ValueError("the statement is not an object")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        problems.append(f"not a readable proof bundle: {type(exc).__name__}: {exc}"[:300])
        return BundleVerification(statement=None, seal=None, pdf=None, problems=problems)
    seal = asyncio.run(_seal(raw, signature, roots))
    problems.extend(f"record statement: {p}" for p in seal.problems)
    if statement.get("format") != BUNDLE_FORMAT:
        problems.append("record statement: not in the vault's proof format")
    if hashlib.sha256(pdf).hexdigest() != statement.get("pdf_sha256"):
        problems.append("the PDF is not the one the statement names (hash differs)")
    size = statement.get("recorded_size")
    if not isinstance(size, int) or (
        hashlib.sha256(pdf[:size]).hexdigest() != statement.get("recorded_sha256")
    ):
        problems.append("the PDF does not begin with the version on record")
    check = verify_pdf(pdf, roots, require_revocation_info=True, timeout=pdf_timeout)
    if not check.passed:
        problems.append(f"the PDF's signatures: {check.verdict}: {check.reason}")
    status_now = None
    if online and isinstance(statement.get("status_url"), str):
        status_now = _status(statement["status_url"], problems)
    return BundleVerification(
        statement=statement, seal=seal, pdf=check, status_now=status_now, problems=problems
    )


def _status(url: str, problems: list[str]) -> str | None:
    import httpx

    try:
        response = httpx.get(url, timeout=15, follow_redirects=False)
        response.raise_for_status()
        status = str(response.json().get("status"))
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        problems.append(f"the status URL could not be asked: {type(exc).__name__}")
        return None
    if status != "current":
        problems.append(f"the vault says the paper is {status} now")
    return status
