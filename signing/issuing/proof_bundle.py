"""Offline proof bundles (gói bằng chứng): one file a receiving agency checks without the vault.

    bundle.zip
      document.pdf          the signed result or certified copy, with its long-term
                            validation data embedded (B-LT, or B-LTA when the vault adds it)
      statement.json        the vault's record statement: number, book, office, date, the
                            hash of the version on record, its status when the bundle was made,
                            and a status URL to ask later (online) whether it was revoked since
      statement.json.p7s    a detached CMS (CAdES-T) over statement.json by the vault's seal

A document still at B-T gets its validation data and an archive timestamp (B-LTA) for the
bundle; the stored version is not changed, so the bundle's PDF is the version on record plus
one incremental update: the record's bytes are a prefix of it, and the statement gives their
size and SHA-256 so that a verifier can check that too. Checking a bundle (`check_bundle`,
also `vault_client.packages.verify_bundle`) needs nothing but the file and the trust roots.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from signing.issuing.certification_model import ELECTRONIC_SUFFIX
from signing.issuing.db.certification_repository import CertificationRepository
from signing.issuing.pades import RemotePdfSigner, SigningNotConfigured, protection
from signing.issuing.result_signing import read_all
from signing.issuing.signer_settings import SignerSettings
from vault.access import audit_draft
from vault.auth import Actor
from vault.domain import DocumentOrigin, MediaType
from vault.errors import Conflict
from vault.services import DocumentService, lookups
from vault.services.export_package import Sealer

if TYPE_CHECKING:
    from vault.services import UnitOfWork

BUNDLE_FORMAT = "vault-proof/1"
PDF = "document.pdf"
STATEMENT = "statement.json"
SIGNATURE = "statement.json.p7s"


def status_path(document_id: uuid.UUID) -> str:
    return f"/api/v1/public/proof-status/{document_id}"


class ProofBundleService:
    def __init__(
        self,
        documents: DocumentService,
        settings: SignerSettings,
        signer: RemotePdfSigner | None,
        sealer: Sealer,
    ) -> None:
        self._documents = documents
        self._settings = settings
        self._signer = signer
        self._sealer = sealer

    def build(self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID) -> bytes:
        """The bundle of a signed result or certified copy the actor may read (the read is
        authorised and audited as any download)."""
        document = self._documents.get(uow, actor, document_id)
        if document.blob.media_type is not MediaType.PDF or not document.has_signature:
            raise Conflict("only a signed result or certified copy has a proof bundle")
        recorded = read_all(self._documents, uow, document)
        evidence = protection(recorded)
        if evidence is None:
            raise Conflict("only a signed result or certified copy has a proof bundle")
        pdf = recorded
        level = evidence.level
        if level == "B-T":
            if self._signer is None:
                raise SigningNotConfigured("no signing service to add the validation data")
            pdf = self._signer.add_archive_timestamp(recorded)
            level = "B-LTA"
        copy = uow.repository(CertificationRepository).by_document(document.lineage_id)
        if copy is not None:
            kind = "certified_copy"
            number: str | None = f"{copy.number}{ELECTRONIC_SUFFIX}"
            book: str | None = copy.book
            office = copy.office_agency_code
            date = copy.certified_on.isoformat()
        else:
            if document.origin is not DocumentOrigin.ISSUED_RESULT:
                raise Conflict("only a signed result or certified copy has a proof bundle")
            kind = "signed_result"
            number, book = document.reference_number, None
            office = document.verified_issuer or document.issuer_agency_code or ""
            date = (document.issue_date or document.created_at.date()).isoformat()
        now = datetime.now(UTC)
        statement = {
            "format": BUNDLE_FORMAT,
            "kind": kind,
            "document_id": str(document.id),
            "lineage_id": str(document.lineage_id),
            "version": document.version,
            "number": number,
            "book": book,
            "office": {
                "code": office,
                "name": lookups.agency_name(uow, office) if office else None,
            },
            "date": date,
            "paper_type": document.paper_type,
            "title": document.title,
            "recorded_sha256": document.blob.sha256,
            "recorded_size": document.blob.size,
            "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            "ltv_level": level,
            "status_at_issue": document.status.value,
            "issued_at": now.isoformat(),
            "status_url": self._settings.public_base_url + status_path(document.id),
        }
        body = json.dumps(statement, ensure_ascii=False, indent=1, sort_keys=True).encode()
        signature = self._sealer(body)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            z.writestr(PDF, pdf)
            z.writestr(STATEMENT, body)
            z.writestr(SIGNATURE, signature)
        uow.record(
            audit_draft(
                actor,
                "document.proof_bundle",
                owner_id=document.owner_id,
                document_id=document.id,
                detail=f"{kind} {number or ''} {level}".strip(),
            )
        )
        return out.getvalue()


@dataclass
class BundleCheck:
    """What the vault's own pages say of a dropped bundle (the PDF's signatures are reported
    by the verifier, as for any PDF)."""

    statement: dict[str, Any] | None = None
    pdf: bytes | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def is_bundle(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def open_bundle(data: bytes) -> BundleCheck:
    """Unpacks a bundle and checks what needs no signature check: the statement is the
    vault's format, and the PDF's hash and the record's prefix match it. The seal over the
    statement is checked by `seal_problems`."""
    check = BundleCheck()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if not {PDF, STATEMENT, SIGNATURE} <= names:
                check.problems.append("not a proof bundle: a file is missing")
                return check
            check.pdf = z.read(PDF)
            raw = z.read(STATEMENT)
            check.statement = json.loads(raw)
    except (zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
        check.problems.append(f"not a readable proof bundle: {type(exc).__name__}")
        return check
    statement = check.statement or {}
    if statement.get("format") != BUNDLE_FORMAT:
        check.problems.append("the statement is not in the vault's format")
    if hashlib.sha256(check.pdf).hexdigest() != statement.get("pdf_sha256"):
        check.problems.append("the PDF is not the one the statement names (hash differs)")
    size = statement.get("recorded_size")
    if not isinstance(size, int) or (
        hashlib.sha256(check.pdf[:size]).hexdigest() != statement.get("recorded_sha256")
    ):
        check.problems.append("the PDF does not begin with the version on record")
    return check
