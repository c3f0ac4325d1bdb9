"""The vault's own offline checks of an export package and a proof bundle (`vault verify
--export/--bundle`, the public verification page). The SDK carries the same checks for
agencies (`vault_client.packages`), which import nothing of the server.

Nothing is fetched: the seal's CMS is validated against the given roots with fetching off
(revocation of the seal's certificate is therefore not checked: said in every result), and
each signed PDF goes through the verifier in offline mode, with the data embedded in it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from asn1crypto import cms, x509
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from signing.issuing.proof_bundle import open_bundle
from signing.verify import Indication, Verifier

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
EXPORT_FORMAT = "vault-export/1"
_READ = 1024 * 1024


@dataclass
class SealResult:
    signer: str | None = None
    timestamp: str | None = None
    intact: bool = False
    trusted: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def check_seal(statement: bytes, signature: bytes, roots: tuple[bytes, ...]) -> SealResult:
    """A detached CMS over `statement`, checked offline against `roots` (DER)."""
    return asyncio.run(_seal(statement, signature, roots))


async def _seal(statement: bytes, signature: bytes, roots: tuple[bytes, ...]) -> SealResult:
    result = SealResult()
    try:
        info = cms.ContentInfo.load(signature)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = info["content"]

        def context() -> ValidationContext:
            return ValidationContext(
                trust_roots=[x509.Certificate.load(r) for r in roots],
                allow_fetching=False,
                revocation_mode="soft-fail",
            )

        status: Any = await async_validate_detached_cms(
            statement,
            signed_data,
            signer_validation_context=context(),
            ts_validation_context=context(),
        )
    except Exception as exc:
        result.problems.append(f"the seal cannot be validated: {type(exc).__name__}")
        return result
    result.intact = bool(status.intact)
    result.trusted = bool(status.trusted)
    if not status.intact:
        result.problems.append("changed after it was sealed")
    if not status.valid:
        result.problems.append("the seal's signature does not verify")
    if not status.trusted:
        result.problems.append("the seal's certificate does not chain to a trusted root")
    stamp = status.timestamp_validity
    if stamp is None or not (stamp.intact and stamp.valid and stamp.trusted):
        result.problems.append("the seal carries no valid timestamp")
    else:
        result.timestamp = stamp.timestamp.isoformat()
    if status.signing_cert is not None:
        result.signer = str(status.signing_cert.subject.native.get("common_name") or "")
    return result


@dataclass
class ExportResult:
    export_id: str | None = None
    seal: SealResult | None = None
    files_checked: int = 0
    signed_papers: int = 0
    problems: list[str] = field(default_factory=list)
    # Not failures: what could not be decided offline (a B-T paper carries no revocation data).
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "export_id": self.export_id,
            "seal": None if self.seal is None else vars(self.seal),
            "files_checked": self.files_checked,
            "signed_papers": self.signed_papers,
            "problems": self.problems,
            "notes": self.notes,
        }


def _digest(stream: IO[bytes]) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    while piece := stream.read(_READ):
        size += len(piece)
        h.update(piece)
    return size, h.hexdigest()


def check_export(path: Path, roots: tuple[bytes, ...], verifier: Verifier) -> ExportResult:
    """Every check of an export package, streaming each file through SHA-256."""
    result = ExportResult()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append(f"the package is not a readable zip: {exc}")
        return result
    with archive:
        names = set(archive.namelist())
        if not {MANIFEST, SIGNATURE} <= names:
            result.problems.append("the package has no signed manifest")
            return result
        statement = archive.read(MANIFEST)
        result.seal = check_seal(statement, archive.read(SIGNATURE), roots)
        result.problems += [f"manifest: {p}" for p in result.seal.problems]
        try:
            manifest = json.loads(statement)
            papers = list(manifest["documents"])
            listed = [*manifest["files"], *papers]
            result.export_id = str(manifest.get("export_id"))
            if manifest.get("format") != EXPORT_FORMAT:
                result.problems.append("manifest: not in the vault's export format")
        except (ValueError, KeyError, TypeError):
            result.problems.append("manifest: not a vault manifest")
            return result
        seen = {MANIFEST, SIGNATURE}
        good: set[str] = set()
        for item in listed:
            name = str(item.get("path"))
            seen.add(name)
            if name not in names:
                result.problems.append(f"{name}: missing from the package")
                continue
            try:
                with archive.open(name) as stream:
                    size, digest = _digest(stream)
            except (zipfile.BadZipFile, OSError) as exc:
                result.problems.append(f"{name}: unreadable ({exc})")
                continue
            result.files_checked += 1
            if size != item.get("size") or digest != item.get("sha256"):
                result.problems.append(f"{name}: differs from the manifest")
            else:
                good.add(name)
        result.problems += [f"{n}: not listed in the manifest" for n in sorted(names - seen)]
        for item in papers:
            name = str(item.get("path"))
            if item.get("signed") and item.get("media_type") == "application/pdf" and name in good:
                report = verifier.verify(archive.read(name), offline=True)
                result.signed_papers += 1
                if report.bottom_line is Indication.TOTAL_FAILED:
                    result.problems.append(f"{name}: signatures {report.bottom_line.value}")
                elif report.bottom_line is Indication.INDETERMINATE:
                    result.notes.append(
                        f"{name}: signatures intact but INDETERMINATE offline "
                        "(no revocation data embedded: ask for its proof bundle)"
                    )
    return result


@dataclass
class BundleResult:
    statement: dict[str, Any] | None = None
    seal: SealResult | None = None
    pdf_verdict: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "statement": self.statement,
            "seal": None if self.seal is None else vars(self.seal),
            "pdf_verdict": self.pdf_verdict,
            "problems": self.problems,
        }


def check_bundle(data: bytes, roots: tuple[bytes, ...], verifier: Verifier) -> BundleResult:
    """The record statement's seal, the hashes, and the PDF's signatures (offline)."""
    opened = open_bundle(data)
    result = BundleResult(statement=opened.statement, problems=list(opened.problems))
    if opened.pdf is None or opened.statement is None:
        return result
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        statement, signature = z.read("statement.json"), z.read("statement.json.p7s")
    result.seal = check_seal(statement, signature, roots)
    result.problems += [f"record statement: {p}" for p in result.seal.problems]
    report = verifier.verify(opened.pdf, offline=True)
    result.pdf_verdict = report.bottom_line.value
    if report.bottom_line is not Indication.TOTAL_PASSED:
        result.problems.append(f"the PDF's signatures: {report.bottom_line.value}")
    return result
