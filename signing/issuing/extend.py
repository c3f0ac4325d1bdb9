"""`vault extend-signatures`: keep signed results and certified copies verifiable (B-LTA).

A signature's evidence lasts as long as the certificates it rests on: the newest document
timestamp's TSA certificate, or, before the first one, the signers' and their timestamps'
certificates. For every current signed document whose evidence expires within the horizon,
this adds the validation data of everything signed so far and a document timestamp over it
(PAdES B-LTA), and stores the result as a new version (the previous one stays on record).
Run it regularly (e.g. monthly): each run renews what is getting close.

The job acts as the system, for the agency that issued each document; every new version is
audited as `document.extend_signatures`.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from signing.issuing.db.certification_repository import SignedDocumentRepository
from signing.issuing.pades import RemotePdfSigner, protection
from signing.issuing.result_signing import read_all
from signing.issuing.signer_settings import SignerSettings
from vault.access import audit_draft
from vault.auth import Actor, ActorKind, Role
from vault.domain import Document, DocumentStatus, new_id
from vault.errors import VaultError
from vault.runtime import Vault
from vault.services import NewDocument, lookups
from vault.settings import Settings

log = logging.getLogger("signing.extend")

# The job's identity in the audit log (no account row: it is not a person).
SYSTEM_ACCOUNT_ID = uuid.UUID("00000000-0000-7000-8000-00000000e17a")


@dataclass(frozen=True)
class Extension:
    document_id: uuid.UUID
    action: str  # "extended", "not_due", "failed", "due" (dry run)
    level: str | None = None  # before
    expires: datetime | None = None  # before
    new_document_id: uuid.UUID | None = None
    detail: str | None = None


@dataclass
class ExtensionReport:
    examined: int = 0
    extended: int = 0
    not_due: int = 0
    failed: int = 0
    items: list[Extension] = field(default_factory=list)

    def add(self, item: Extension) -> None:
        self.examined += 1
        if item.action == "extended":
            self.extended += 1
        elif item.action == "failed":
            self.failed += 1
        elif item.action == "not_due":
            self.not_due += 1
        self.items.append(item)


def system_actor(agency_code: str) -> Actor:
    """The job, acting for the agency that issued the document (so `new_version` lets it
    reissue exactly what that agency could)."""
    return Actor(
        SYSTEM_ACCOUNT_ID,
        ActorKind.OFFICER,
        "vault extend-signatures (system)",
        roles=frozenset({Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER}),
        agency_code=agency_code,
    )


def _extend_one(
    vault: Vault, signer: RemotePdfSigner, document: Document, deadline: datetime, dry_run: bool
) -> Extension:
    with vault.uows() as uow:
        current = lookups.document(uow, document.id)
        if current is None or current.status is not DocumentStatus.CURRENT:
            return Extension(document.id, "not_due", detail="superseded meanwhile")
        pdf = read_all(vault.documents, uow, current)
        evidence = protection(pdf)
        if evidence is None:
            return Extension(document.id, "not_due", detail="no signature found")
        if evidence.expires > deadline:
            return Extension(document.id, "not_due", evidence.level, evidence.expires)
        if dry_run:
            return Extension(document.id, "due", evidence.level, evidence.expires)
        if current.issuer_agency_code is None:
            return Extension(
                document.id, "failed", evidence.level, evidence.expires, detail="no issuer"
            )
        extended = signer.add_archive_timestamp(pdf)
        actor = system_actor(current.issuer_agency_code)
        meta = NewDocument.same_as(current)
        new = vault.documents.new_version(uow, actor, current.id, meta, io.BytesIO(extended))
        uow.record(
            audit_draft(
                actor,
                "document.extend_signatures",
                owner_id=current.owner_id,
                document_id=new.id,
                detail=f"{evidence.level} -> B-LTA; evidence expired {evidence.expires:%Y-%m-%d}",
            )
        )
        uow.commit()
        return Extension(
            document.id, "extended", evidence.level, evidence.expires, new_document_id=new.id
        )


def extend_signatures(
    vault: Vault,
    signer: RemotePdfSigner,
    *,
    within_days: int,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    batch: int = 200,
) -> ExtensionReport:
    """Adds a document timestamp to every current signed document whose evidence expires
    within `within_days` of `now`. One document per transaction; a failure is reported and
    the run goes on."""
    deadline = (now or datetime.now(UTC)) + timedelta(days=within_days)
    report = ExtensionReport()
    # Ids are time-ordered: the versions this run stores sort after this one and are left
    # alone (they were just extended).
    started = new_id()
    after: uuid.UUID | None = None
    while limit is None or report.examined < limit:
        with vault.uows() as uow:
            page = uow.repository(SignedDocumentRepository).current_signed(
                after_id=after, before_id=started, limit=batch
            )
        if not page:
            break
        for document in page:
            if limit is not None and report.examined >= limit:
                break
            try:
                item = _extend_one(vault, signer, document, deadline, dry_run)
            except VaultError as exc:
                log.warning("document %s not extended: %s", document.id, exc.detail)
                item = Extension(document.id, "failed", detail=exc.detail)
            except Exception as exc:  # one unreadable file must not stop the run
                log.exception("document %s not extended", document.id)
                item = Extension(document.id, "failed", detail=type(exc).__name__)
            report.add(item)
        after = page[-1].id
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vault extend-signatures",
        description="Add document timestamps (PAdES B-LTA) to signed documents whose "
        "timestamp or certificates expire soon.",
    )
    parser.add_argument(
        "--within-days",
        type=int,
        help="extend what expires within this many days (default: VAULT_SIGNER_"
        "EXTEND_WITHIN_DAYS, 365)",
    )
    parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    parser.add_argument("--limit", type=int, help="examine at most this many documents")
    return parser


def cli_main(argv: Sequence[str] | None = None) -> int:
    """Exit status: 0 all done, 1 some documents failed, 2 configuration error."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
        signer_settings = SignerSettings()
    except ValidationError as exc:
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return 2
    if not signer_settings.enabled:
        print("error: no signing service configured (VAULT_SIGNER_SERVICE_URL)", file=sys.stderr)
        return 2
    within = args.within_days or signer_settings.extend_within_days
    vault = Vault.from_settings(settings)
    signer = RemotePdfSigner(signer_settings)
    try:
        report = extend_signatures(
            vault, signer, within_days=within, dry_run=args.dry_run, limit=args.limit
        )
    finally:
        signer.close()
        vault.close()
    summary = asdict(report)
    summary["items"] = [
        {k: (str(v) if v is not None else None) for k, v in asdict(i).items()} for i in report.items
    ]
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 1 if report.failed else 0
