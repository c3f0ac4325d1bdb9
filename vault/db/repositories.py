"""Repositories: the queries of the vault, returning domain objects."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from vault.audit_types import Anchor
from vault.db.anchor_models import AuditAnchorRow
from vault.db.models import (
    AccountRow,
    AgencyRow,
    ApiClientRow,
    AuditEntryRow,
    AuditHeadRow,
    BlobRow,
    ConsentRow,
    DocumentRow,
    DossierDocumentRow,
    DossierRow,
    IdempotencyKeyRow,
    OwnerRow,
    PaperTypeRow,
    ProcedureRequirementRow,
    ProcedureRow,
)
from vault.domain import (
    VERIFIED_ISSUER_ORIGINS,
    Account,
    ApiClient,
    AttachmentRole,
    AuditEntry,
    Blob,
    Consent,
    Document,
    DocumentOrigin,
    DocumentStatus,
    Dossier,
    DossierAttachment,
    DossierStatus,
    MediaType,
    Owner,
    OwnerKind,
    PaperType,
    Procedure,
    Requirement,
    Reuse,
)
from vault.personal_data import IdentifierCipher


def blob_from_row(row: BlobRow) -> Blob:
    return Blob(row.id, row.object_key, row.size, MediaType(row.media_type), row.sha256, row.key_id)


def document_from_row(row: DocumentRow) -> Document:
    return _document(row, blob_from_row(row.blob))


def _document(r: Any, blob: Blob) -> Document:
    """From an ORM row or a column row: both carry the documents table's names."""
    return Document(
        id=r.id,
        owner_id=r.owner_id,
        paper_type=r.paper_type,
        title=r.title,
        reference_number=r.reference_number,
        issuer_agency_code=r.issuer_agency_code,
        issue_date=r.issue_date,
        valid_until=r.valid_until,
        origin=DocumentOrigin(r.origin),
        status=DocumentStatus(r.status),
        lineage_id=r.lineage_id,
        version=r.version,
        supersedes_id=r.supersedes_id,
        blob=blob,
        created_at=r.created_at,
        has_signature=r.has_signature,
    )


def attachment_from_row(row: DossierDocumentRow) -> DossierAttachment:
    return DossierAttachment(
        dossier_id=row.dossier_id,
        document_id=row.document_id,
        attached_at=row.attached_at,
        role=AttachmentRole(row.role),
        digitised=row.digitised,
        reused=Reuse(row.reused),
        from_warehouse=row.from_warehouse,
        replacing_result_code=row.replacing_result_code,
        result_code=row.result_code,
    )


_DOCUMENT_COLUMNS = (
    DocumentRow.id,
    DocumentRow.owner_id,
    DocumentRow.paper_type,
    DocumentRow.title,
    DocumentRow.reference_number,
    DocumentRow.issuer_agency_code,
    DocumentRow.issue_date,
    DocumentRow.valid_until,
    DocumentRow.origin,
    DocumentRow.status,
    DocumentRow.lineage_id,
    DocumentRow.version,
    DocumentRow.supersedes_id,
    DocumentRow.created_at,
    DocumentRow.has_signature,
    BlobRow.id.label("blob_id"),
    BlobRow.object_key,
    BlobRow.size,
    BlobRow.media_type,
    BlobRow.sha256,
    BlobRow.key_id,
)


def _select_documents() -> Any:
    """Plain columns, not ORM entities: listings build the domain objects directly."""
    return select(*_DOCUMENT_COLUMNS).join(BlobRow, BlobRow.id == DocumentRow.blob_id)


def document_from_columns(r: Any) -> Document:
    blob = Blob(r.blob_id, r.object_key, r.size, MediaType(r.media_type), r.sha256, r.key_id)
    return _document(r, blob)


def dossier_from_row(row: DossierRow) -> Dossier:
    return Dossier(
        row.id,
        row.code,
        row.procedure_code,
        row.receiving_agency_code,
        row.owner_id,
        row.received_at,
        row.created_at,
        DossierStatus(row.status),
    )


@dataclass(frozen=True, slots=True)
class VisibleSet:
    """The documents an actor may list: issued by an agency, of some types, or these ids."""

    issuer_agency: str | None
    paper_types: frozenset[str]
    document_ids: frozenset[uuid.UUID]


class OwnerRepository:
    """Owners, with their identification numbers sealed at rest (vault.personal_data)."""

    def __init__(self, session: Session, cipher: IdentifierCipher) -> None:
        self._s = session
        self._cipher = cipher

    def _owner(self, row: OwnerRow) -> Owner:
        identifier = self._cipher.open(row.id, row.identifier_key_id, row.identifier_sealed)
        return Owner(row.id, OwnerKind(row.kind), identifier, row.display_name, row.created_at)

    def get(self, owner_id: uuid.UUID) -> Owner | None:
        row = self._s.get(OwnerRow, owner_id)
        return self._owner(row) if row else None

    def by_identifier(self, identifier: str) -> Owner | None:
        """Exact match on the blind index (under each configured key, for rows a rotation
        has not reached yet): as fast as the unique index on the number was."""
        indexes = self._cipher.indexes(identifier)
        row = self._s.scalar(
            select(OwnerRow).where(OwnerRow.identifier_index.in_(indexes)).limit(1)
        )
        return self._owner(row) if row else None

    def add(self, owner: Owner) -> None:
        sealed = self._cipher.seal(owner.id, owner.identifier)
        self._s.add(
            OwnerRow(
                id=owner.id,
                kind=owner.kind.value,
                identifier_key_id=sealed.key_id,
                identifier_sealed=sealed.sealed,
                identifier_index=sealed.index,
                display_name=owner.display_name,
                created_at=owner.created_at,
            )
        )

    def reseal_batch(self, limit: int) -> int:
        """Reseals and re-indexes up to `limit` rows not under the active key; how many."""
        active = self._cipher.active_key_id
        rows = self._s.scalars(
            select(OwnerRow)
            .where(OwnerRow.identifier_key_id != active)
            .order_by(OwnerRow.id)
            .limit(limit)
        ).all()
        for row in rows:
            identifier = self._cipher.open(row.id, row.identifier_key_id, row.identifier_sealed)
            sealed = self._cipher.seal(row.id, identifier)
            row.identifier_key_id = sealed.key_id
            row.identifier_sealed = sealed.sealed
            row.identifier_index = sealed.index
        self._s.flush()
        return len(rows)


class PaperTypeRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, code: str) -> PaperType | None:
        row = self._s.get(PaperTypeRow, code)
        if row is None:
            return None
        return PaperType(row.code, row.name_vi, row.name_en, row.default_validity_days)

    def list(self) -> list[PaperType]:
        rows = self._s.scalars(select(PaperTypeRow).order_by(PaperTypeRow.code))
        return [PaperType(r.code, r.name_vi, r.name_en, r.default_validity_days) for r in rows]


class DocumentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, document: Document, wrapped_key: bytes) -> None:
        b = document.blob
        self._s.add(
            BlobRow(
                id=b.id,
                object_key=b.object_key,
                size=b.size,
                media_type=b.media_type.value,
                sha256=b.sha256,
                key_id=b.key_id,
                wrapped_key=wrapped_key,
            )
        )
        self._s.flush()  # the blob row first: the document's foreign key points at it
        self._s.add(
            DocumentRow(
                id=document.id,
                owner_id=document.owner_id,
                paper_type=document.paper_type,
                title=document.title,
                reference_number=document.reference_number,
                issuer_agency_code=document.issuer_agency_code,
                issue_date=document.issue_date,
                valid_until=document.valid_until,
                origin=document.origin.value,
                status=document.status.value,
                lineage_id=document.lineage_id,
                version=document.version,
                supersedes_id=document.supersedes_id,
                blob_id=b.id,
                created_at=document.created_at,
                has_signature=document.has_signature,
            )
        )

    def get(self, document_id: uuid.UUID) -> Document | None:
        row = self._s.get(DocumentRow, document_id)
        return document_from_row(row) if row else None

    def wrapped_key(self, blob_id: uuid.UUID) -> bytes:
        key = self._s.scalar(select(BlobRow.wrapped_key).where(BlobRow.id == blob_id))
        if key is None:
            raise LookupError(f"blob {blob_id} has no row")
        return key

    def lock_current(self, document_id: uuid.UUID) -> Document | None:
        """The document, locked against a concurrent reissue (PostgreSQL; SQLite serialises
        writers anyway)."""
        row = self._s.scalar(
            select(DocumentRow).where(DocumentRow.id == document_id).with_for_update(of=DocumentRow)
        )
        return document_from_row(row) if row else None

    def mark_superseded(self, document_id: uuid.UUID) -> None:
        self._s.execute(
            update(DocumentRow)
            .where(DocumentRow.id == document_id)
            .values(status=DocumentStatus.SUPERSEDED.value)
        )

    def list_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        paper_type: str | None,
        origin: DocumentOrigin | None,
        valid_on: date | None,
        include_superseded: bool,
        before_id: uuid.UUID | None,
        limit: int,
        only: VisibleSet | None = None,
    ) -> Sequence[Document]:
        q = _select_documents().where(DocumentRow.owner_id == owner_id)
        if only is not None:
            allowed = []
            if only.issuer_agency is not None:
                # Only an issuer the vault verified grants (never one a scan merely states).
                verified = sorted(o.value for o in VERIFIED_ISSUER_ORIGINS)
                allowed.append(
                    and_(
                        DocumentRow.issuer_agency_code == only.issuer_agency,
                        DocumentRow.origin.in_(verified),
                    )
                )
            if only.paper_types:
                allowed.append(DocumentRow.paper_type.in_(sorted(only.paper_types)))
            if only.document_ids:
                allowed.append(DocumentRow.id.in_(sorted(only.document_ids)))
            if not allowed:
                return []
            q = q.where(or_(*allowed))
        if paper_type is not None:
            q = q.where(DocumentRow.paper_type == paper_type)
        if origin is not None:
            q = q.where(DocumentRow.origin == origin.value)
        if not include_superseded:
            q = q.where(DocumentRow.status == DocumentStatus.CURRENT.value)
        if valid_on is not None:
            q = q.where(
                or_(DocumentRow.issue_date.is_(None), DocumentRow.issue_date <= valid_on),
                or_(DocumentRow.valid_until.is_(None), DocumentRow.valid_until >= valid_on),
            )
        if before_id is not None:
            q = q.where(DocumentRow.id < before_id)
        # Ids are time-ordered: newest first, and the id alone is a stable cursor.
        q = q.order_by(DocumentRow.id.desc()).limit(limit)
        return [document_from_columns(r) for r in self._s.execute(q)]

    def of_types(
        self, owner_id: uuid.UUID, paper_types: Sequence[str], *, limit: int = 500
    ) -> list[Document]:
        """Every version of the owner's papers of these types, newest first."""
        if not paper_types:
            return []
        rows = self._s.execute(
            _select_documents()
            .where(DocumentRow.owner_id == owner_id, DocumentRow.paper_type.in_(paper_types))
            .order_by(DocumentRow.id.desc())
            .limit(limit)
        )
        return [document_from_columns(r) for r in rows]

    def current_version(self, lineage_id: uuid.UUID) -> Document | None:
        row = self._s.scalar(
            select(DocumentRow).where(
                DocumentRow.lineage_id == lineage_id,
                DocumentRow.status == DocumentStatus.CURRENT.value,
            )
        )
        return document_from_row(row) if row else None

    def hold_idempotency_key(self, account_id: uuid.UUID, key: str) -> None:
        """Until this transaction ends, a second request with the same key waits here (it
        then finds the first one's result): on PostgreSQL a transaction-scoped advisory lock.
        SQLite has one writer at a time anyway."""
        if self._s.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.sha256(f"idempotency|{account_id}|{key}".encode()).digest()
        self._s.execute(
            text("SELECT pg_advisory_xact_lock(:k)"),
            {"k": int.from_bytes(digest[:8], "big", signed=True)},
        )

    def idempotent(self, account_id: uuid.UUID, key: str) -> tuple[str, uuid.UUID] | None:
        row = self._s.get(IdempotencyKeyRow, (account_id, key))
        return (row.request, row.document_id) if row else None

    def remember(
        self, account_id: uuid.UUID, key: str, request: str, document_id: uuid.UUID
    ) -> None:
        self._s.add(
            IdempotencyKeyRow(
                account_id=account_id, key=key, request=request, document_id=document_id
            )
        )

    def versions(self, lineage_id: uuid.UUID) -> list[Document]:
        rows = self._s.scalars(
            select(DocumentRow)
            .where(DocumentRow.lineage_id == lineage_id)
            .order_by(DocumentRow.version)
        )
        return [document_from_row(r) for r in rows]


class BlobRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        return set(self._s.scalars(select(BlobRow.object_key).where(BlobRow.object_key.in_(keys))))

    def iter_all(self, batch: int = 1000) -> Iterator[Blob]:
        last: uuid.UUID | None = None
        while True:
            q = select(BlobRow).order_by(BlobRow.id).limit(batch)
            if last is not None:
                q = q.where(BlobRow.id > last)
            rows = list(self._s.scalars(q))
            if not rows:
                return
            for row in rows:
                yield blob_from_row(row)
            last = rows[-1].id

    def keys_not_wrapped_by(self, key_id: str, batch: int) -> list[tuple[uuid.UUID, str, bytes]]:
        rows = self._s.execute(
            select(BlobRow.id, BlobRow.key_id, BlobRow.wrapped_key)
            .where(BlobRow.key_id != key_id)
            .order_by(BlobRow.id)
            .limit(batch)
        )
        return [(r.id, r.key_id, r.wrapped_key) for r in rows]

    def set_wrapped_key(self, blob_id: uuid.UUID, key_id: str, wrapped: bytes) -> None:
        self._s.execute(
            update(BlobRow).where(BlobRow.id == blob_id).values(key_id=key_id, wrapped_key=wrapped)
        )


class DossierRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, dossier: Dossier) -> None:
        self._s.add(
            DossierRow(
                id=dossier.id,
                code=dossier.code,
                procedure_code=dossier.procedure_code,
                receiving_agency_code=dossier.receiving_agency_code,
                owner_id=dossier.owner_id,
                received_at=dossier.received_at,
                created_at=dossier.created_at,
                status=dossier.status.value,
            )
        )

    def get(self, dossier_id: uuid.UUID) -> Dossier | None:
        row = self._s.get(DossierRow, dossier_id)
        return dossier_from_row(row) if row else None

    def by_code(self, code: str) -> Dossier | None:
        row = self._s.scalar(select(DossierRow).where(DossierRow.code == code))
        return dossier_from_row(row) if row else None

    def codes_starting(self, prefix: str) -> set[str]:
        """Every dossier code that begins with `prefix` (exactly, case included): one query."""
        found = self._s.scalars(
            select(DossierRow.code).where(DossierRow.code.startswith(prefix, autoescape=True))
        )
        return {code for code in found if code.startswith(prefix)}

    def list_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        before_id: uuid.UUID | None,
        limit: int,
        agency: str | None = None,
    ) -> list[Dossier]:
        q = select(DossierRow).where(DossierRow.owner_id == owner_id)
        if agency is not None:
            q = q.where(DossierRow.receiving_agency_code == agency)
        if before_id is not None:
            q = q.where(DossierRow.id < before_id)
        rows = self._s.scalars(q.order_by(DossierRow.id.desc()).limit(limit))
        return [dossier_from_row(r) for r in rows]

    def attach(self, a: DossierAttachment) -> None:
        self._s.add(
            DossierDocumentRow(
                dossier_id=a.dossier_id,
                document_id=a.document_id,
                attached_at=a.attached_at,
                role=a.role.value,
                digitised=a.digitised,
                reused=int(a.reused),
                from_warehouse=a.from_warehouse,
                replacing_result_code=a.replacing_result_code,
                result_code=a.result_code,
            )
        )

    def attachment(self, dossier_id: uuid.UUID, document_id: uuid.UUID) -> DossierAttachment | None:
        row = self._s.get(DossierDocumentRow, (dossier_id, document_id))
        return attachment_from_row(row) if row else None

    def attachments(self, dossier_id: uuid.UUID) -> list[DossierAttachment]:
        rows = self._s.scalars(
            select(DossierDocumentRow)
            .where(DossierDocumentRow.dossier_id == dossier_id)
            .order_by(DossierDocumentRow.attached_at, DossierDocumentRow.document_id)
        )
        return [attachment_from_row(r) for r in rows]

    def set_status(self, dossier_id: uuid.UUID, status: DossierStatus, at: datetime) -> None:
        self._s.execute(
            update(DossierRow)
            .where(DossierRow.id == dossier_id)
            .values(status=status.value, closed_at=at if status is DossierStatus.CLOSED else None)
        )

    def open_for(self, owner_id: uuid.UUID, agency_code: str) -> list[Dossier]:
        rows = self._s.scalars(
            select(DossierRow).where(
                DossierRow.owner_id == owner_id,
                DossierRow.receiving_agency_code == agency_code,
                DossierRow.status == DossierStatus.OPEN.value,
            )
        )
        return [dossier_from_row(r) for r in rows]

    def results_with_codes(
        self, owner_id: uuid.UUID, result_codes: Sequence[str]
    ) -> list[tuple[Document, str]]:
        """Results stored for the owner under one of these national result codes."""
        if not result_codes:
            return []
        rows = self._s.execute(
            select(DocumentRow, DossierDocumentRow.result_code)
            .join(DossierDocumentRow, DossierDocumentRow.document_id == DocumentRow.id)
            .where(
                DocumentRow.owner_id == owner_id,
                DossierDocumentRow.role == AttachmentRole.RESULT.value,
                DossierDocumentRow.result_code.in_(result_codes),
            )
            .order_by(DocumentRow.id.desc())
        )
        return [(document_from_row(doc), str(code)) for doc, code in rows]

    def attached_documents(self, dossier_id: uuid.UUID) -> list[Document]:
        rows = self._s.scalars(
            select(DocumentRow)
            .join(DossierDocumentRow, DossierDocumentRow.document_id == DocumentRow.id)
            .where(DossierDocumentRow.dossier_id == dossier_id)
            .order_by(DossierDocumentRow.attached_at, DocumentRow.id)
        )
        return [document_from_row(r) for r in rows]


def account_from_row(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        kind=row.kind,
        username=row.username,
        full_name=row.full_name,
        agency_code=row.agency_code,
        owner_id=row.owner_id,
        roles=tuple(r for r in row.roles.split(",") if r),
        password_hash=row.password_hash,
        active=row.active,
    )


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, account_id: uuid.UUID) -> Account | None:
        row = self._s.get(AccountRow, account_id)
        return account_from_row(row) if row else None

    def by_username(self, username: str) -> Account | None:
        row = self._s.scalar(select(AccountRow).where(AccountRow.username == username))
        return account_from_row(row) if row else None

    def by_oidc(self, issuer: str, subject: str) -> Account | None:
        row = self._s.scalar(
            select(AccountRow).where(
                AccountRow.oidc_issuer == issuer, AccountRow.oidc_subject == subject
            )
        )
        return account_from_row(row) if row else None

    def add(
        self, account: Account, *, oidc_issuer: str | None = None, oidc_subject: str | None = None
    ) -> None:
        self._s.add(
            AccountRow(
                id=account.id,
                kind=account.kind,
                username=account.username,
                full_name=account.full_name,
                agency_code=account.agency_code,
                owner_id=account.owner_id,
                roles=",".join(account.roles),
                password_hash=account.password_hash,
                oidc_issuer=oidc_issuer,
                oidc_subject=oidc_subject,
                active=account.active,
            )
        )

    def agency_exists(self, code: str) -> bool:
        return self._s.get(AgencyRow, code) is not None

    def add_agency(self, code: str, name: str) -> None:
        self._s.add(AgencyRow(code=code, name=name))

    def agency_name(self, code: str) -> str | None:
        row = self._s.get(AgencyRow, code)
        return row.name if row else None


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, client_id: str) -> ApiClient | None:
        row = self._s.get(ApiClientRow, client_id)
        if row is None:
            return None
        return ApiClient(row.client_id, row.name, row.agency_code, row.secret_hash, row.active)

    def add(self, client: ApiClient) -> None:
        self._s.add(
            ApiClientRow(
                client_id=client.client_id,
                name=client.name,
                agency_code=client.agency_code,
                secret_hash=client.secret_hash,
                active=client.active,
            )
        )


class ProcedureRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        # Procedures change rarely and a unit of work is short: read each once per request.
        self._cache: dict[str, Procedure | None] = {}

    def _requirements(self, codes: Sequence[str]) -> dict[str, list[Requirement]]:
        rows = self._s.scalars(
            select(ProcedureRequirementRow)
            .where(ProcedureRequirementRow.procedure_code.in_(codes))
            .order_by(ProcedureRequirementRow.procedure_code, ProcedureRequirementRow.paper_type)
        )
        out: dict[str, list[Requirement]] = {}
        for r in rows:
            codes_list = tuple(c for c in r.replacing_result_codes.split(",") if c)
            out.setdefault(r.procedure_code, []).append(
                Requirement(r.paper_type, r.component_name, codes_list)
            )
        return out

    def get(self, code: str) -> Procedure | None:
        if code not in self._cache:
            row = self._s.get(ProcedureRow, code)
            reqs = self._requirements([code]).get(code, []) if row else []
            self._cache[code] = (
                Procedure(row.code, row.name_vi, row.returns_result, tuple(reqs)) if row else None
            )
        return self._cache[code]

    def list(self) -> list[Procedure]:
        rows = list(self._s.scalars(select(ProcedureRow).order_by(ProcedureRow.code)))
        reqs = self._requirements([r.code for r in rows])
        return [
            Procedure(r.code, r.name_vi, r.returns_result, tuple(reqs.get(r.code, [])))
            for r in rows
        ]

    def put(self, procedure: Procedure) -> None:
        self._cache.pop(procedure.code, None)
        row = self._s.get(ProcedureRow, procedure.code)
        if row is None:
            self._s.add(
                ProcedureRow(
                    code=procedure.code,
                    name_vi=procedure.name_vi,
                    returns_result=procedure.returns_result,
                )
            )
        else:
            row.name_vi = procedure.name_vi
            row.returns_result = procedure.returns_result
        self._s.flush()
        self._s.execute(
            delete(ProcedureRequirementRow).where(
                ProcedureRequirementRow.procedure_code == procedure.code
            )
        )
        for req in procedure.requirements:
            self._s.add(
                ProcedureRequirementRow(
                    procedure_code=procedure.code,
                    paper_type=req.paper_type,
                    component_name=req.component_name,
                    replacing_result_codes=",".join(req.replacing_result_codes),
                )
            )


def consent_from_row(row: ConsentRow) -> Consent:
    return Consent(
        id=row.id,
        owner_id=row.owner_id,
        agency_code=row.agency_code,
        paper_types=tuple(t for t in row.paper_types.split(",") if t),
        purpose=row.purpose,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class ConsentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, consent: Consent) -> None:
        self._s.add(
            ConsentRow(
                id=consent.id,
                owner_id=consent.owner_id,
                agency_code=consent.agency_code,
                paper_types=",".join(consent.paper_types),
                purpose=consent.purpose,
                created_at=consent.created_at,
                expires_at=consent.expires_at,
                revoked_at=consent.revoked_at,
            )
        )

    def get(self, consent_id: uuid.UUID) -> Consent | None:
        row = self._s.get(ConsentRow, consent_id)
        return consent_from_row(row) if row else None

    def for_owner(self, owner_id: uuid.UUID) -> list[Consent]:
        rows = self._s.scalars(
            select(ConsentRow).where(ConsentRow.owner_id == owner_id).order_by(ConsentRow.id.desc())
        )
        return [consent_from_row(r) for r in rows]

    def active_for(self, owner_id: uuid.UUID, agency_code: str, at: datetime) -> list[Consent]:
        rows = self._s.scalars(
            select(ConsentRow).where(
                ConsentRow.owner_id == owner_id,
                ConsentRow.agency_code == agency_code,
                ConsentRow.revoked_at.is_(None),
                ConsentRow.expires_at > at,
            )
        )
        return [consent_from_row(r) for r in rows]

    def revoke(self, consent_id: uuid.UUID, at: datetime) -> None:
        self._s.execute(
            update(ConsentRow)
            .where(ConsentRow.id == consent_id, ConsentRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )


def audit_from_row(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        client_id=row.client_id,
        agency_code=row.agency_code,
        role=row.role,
        action=row.action,
        owner_id=row.owner_id,
        document_id=row.document_id,
        dossier_id=row.dossier_id,
        purpose=row.purpose,
        outcome=row.outcome,
        detail=row.detail,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class AuditRepository:
    """Appends happen only through vault.audit.AuditLog, under the head lock."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def lock_head(self) -> tuple[int, str]:
        row = self._s.execute(
            select(AuditHeadRow.seq, AuditHeadRow.hash)
            .where(AuditHeadRow.id == 1)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise LookupError("the audit chain has no head row: run the migrations")
        return int(row.seq), str(row.hash)

    def append(self, entries: Sequence[AuditEntry]) -> None:
        # Core, not ORM units: one multi-row INSERT, which keeps the head lock short.
        self._s.execute(
            insert(AuditEntryRow),
            [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor_id": e.actor_id,
                    "actor_name": e.actor_name,
                    "client_id": e.client_id,
                    "agency_code": e.agency_code,
                    "role": e.role,
                    "action": e.action,
                    "owner_id": e.owner_id,
                    "document_id": e.document_id,
                    "dossier_id": e.dossier_id,
                    "purpose": e.purpose,
                    "outcome": e.outcome,
                    "detail": e.detail,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ],
        )
        last = entries[-1]
        self._s.execute(
            update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=last.seq, hash=last.hash)
        )

    def head(self) -> tuple[int, str]:
        row = self._s.get(AuditHeadRow, 1)
        if row is None:
            raise LookupError("the audit chain has no head row: run the migrations")
        return row.seq, row.hash

    def iter_all(self, batch: int = 5000) -> Iterator[AuditEntry]:
        last = 0
        while True:
            rows = list(
                self._s.scalars(
                    select(AuditEntryRow)
                    .where(AuditEntryRow.seq > last)
                    .order_by(AuditEntryRow.seq)
                    .limit(batch)
                )
            )
            if not rows:
                return
            yield from (audit_from_row(r) for r in rows)
            last = rows[-1].seq

    def for_owner(
        self, owner_id: uuid.UUID, *, before_seq: int | None, limit: int
    ) -> list[AuditEntry]:
        q = select(AuditEntryRow).where(AuditEntryRow.owner_id == owner_id)
        if before_seq is not None:
            q = q.where(AuditEntryRow.seq < before_seq)
        rows = self._s.scalars(q.order_by(AuditEntryRow.seq.desc()).limit(limit))
        return [audit_from_row(r) for r in rows]

    def count(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(AuditEntryRow)) or 0)

    def hash_at(self, seq: int) -> str | None:
        return self._s.scalar(select(AuditEntryRow.hash).where(AuditEntryRow.seq == seq))

    def latest_anchor_seq(self) -> int | None:
        return self._s.scalar(select(func.max(AuditAnchorRow.seq)))

    def add_anchor(self, anchor: Anchor) -> None:
        self._s.add(
            AuditAnchorRow(
                seq=anchor.seq,
                hash=anchor.hash,
                tsa_url=anchor.tsa_url,
                token=anchor.token,
                gen_time=anchor.gen_time,
            )
        )

    def anchors(self) -> list[Anchor]:
        rows = self._s.scalars(select(AuditAnchorRow).order_by(AuditAnchorRow.seq))
        return [Anchor(r.seq, r.hash, r.tsa_url, r.token, r.gen_time) for r in rows]


def dossier_fact_columns() -> tuple[Any, ...]:
    """The six facts the 766 indicators count per dossier, as columns over `DossierRow`
    joined to its procedure: the one home of these conditions (the indicators and the
    console's per-dossier lists both select them)."""
    dd = DossierDocumentRow

    def has(*conditions: Any) -> Any:
        return select(dd.dossier_id).where(dd.dossier_id == DossierRow.id, *conditions).exists()

    signed_result = (
        select(dd.dossier_id)
        .join(DocumentRow, DocumentRow.id == dd.document_id)
        .where(
            dd.dossier_id == DossierRow.id,
            dd.role == AttachmentRole.RESULT.value,
            DocumentRow.has_signature.is_(True),
        )
        .exists()
    )
    return (
        ProcedureRow.returns_result,
        has(dd.role == AttachmentRole.COMPONENT.value, dd.digitised.is_(True)),
        has(dd.role == AttachmentRole.COMPONENT.value, dd.reused.in_((1, 2))),
        has(dd.role == AttachmentRole.COMPONENT.value, dd.from_warehouse.is_(True)),
        has(dd.role == AttachmentRole.RESULT.value),
        signed_result,
    )


def received_dossiers(query: Any, agency: str, start: datetime, end: datetime) -> Any:
    """`query` over the dossiers `agency` received in [start, end), with their procedure."""
    return (
        query.select_from(DossierRow)
        .join(ProcedureRow, ProcedureRow.code == DossierRow.procedure_code)
        .where(
            DossierRow.receiving_agency_code == agency,
            DossierRow.received_at >= start,
            DossierRow.received_at < end,
        )
    )


@dataclass(frozen=True, slots=True)
class DossierFacts:
    """What the 766 digitisation indicators count, for one dossier."""

    returns_result: bool
    digitised_component: bool
    reused_component: bool
    warehouse_component: bool
    result_stored: bool
    signed_result: bool


class IndicatorRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def dossier_facts(self, agency: str, start: datetime, end: datetime) -> list[DossierFacts]:
        q = received_dossiers(select(*dossier_fact_columns()), agency, start, end)
        return [DossierFacts(*(bool(v) for v in row)) for row in self._s.execute(q)]
