"""Papers in an owner's warehouse: upload, versions, listing, and reading content back."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO

from vault import content, crypto, identifiers, metrics
from vault.access import AccessPolicy, audit_draft
from vault.audit import Outcome
from vault.auth import Actor, ActorKind, Role
from vault.db import UnitOfWork
from vault.db.repositories import VisibleSet
from vault.domain import (
    Blob,
    Document,
    DocumentOrigin,
    DocumentStatus,
    DossierAttachment,
    DossierStatus,
    Page,
    new_id,
)
from vault.errors import (
    Conflict,
    ContentTooLarge,
    InvalidInput,
    NotFound,
    PermissionDenied,
    UnreadableContent,
    UnsupportedMediaType,
)
from vault.jobs import OCR_KIND, JobSubject
from vault.services import cursors
from vault.services.content_reader import ByteRange, ContentReader, ContentStream
from vault.services.document_inputs import AuthorisedUpload, DocumentFilters, NewDocument
from vault.services.portal_payload import EventKind
from vault.services.portal_sync import record_event
from vault.services.retention import RetentionService

# Checks a signed paper before it is attached to a dossier (Conflict when it cannot be reused).
SignatureGate = Callable[[UnitOfWork, Document], None]


def object_key(blob_id: uuid.UUID) -> str:
    # Opaque: no owner, no identifier, no file name. The last hex digits are random and
    # spread keys over folders.
    h = blob_id.hex
    return f"blobs/{h[-2:]}/{h}"


# The roles that store papers: scans for a dossier, issued results, certified copies.
_STORING_ROLES = (Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER)


def _measure(source: BinaryIO) -> int:
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    return size


class DocumentService:
    def __init__(
        self,
        keyring: crypto.Keyring,
        limits: content.ContentLimits,
        *,
        max_upload_bytes: int,
        access: AccessPolicy,
        content: ContentReader,
        signature_gate: SignatureGate | None = None,
        today: type[date] = date,
    ) -> None:
        self._access = access
        self._keyring = keyring
        self._content = content
        self._limits = limits
        self._max_upload = max_upload_bytes
        self._today = today
        # Checks a signed paper before an upload attaches it to a dossier (the vault passes
        # SignatureService.require_acceptable, which reads content through `content` too).
        self._signature_gate = signature_gate

    # -- writing -------------------------------------------------------------------------

    def upload(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        meta: NewDocument,
        source: BinaryIO,
        *,
        dossier_id: uuid.UUID | None = None,
        authorised: AuthorisedUpload | None = None,
        reviewed_batch: bool = False,
    ) -> Document:
        """Stores a new paper. `source` must be seekable (a spooled upload, a file).

        Who may store what: an owner, their own papers (origin `uploaded_by_owner`); a
        receiving officer, a scan digitised for an open dossier of their agency (attached to
        it), or (`reviewed_batch`) a paper of a scanned batch they reviewed, which may belong
        to no open dossier (a result issued before the warehouse existed); an issuing
        officer, a result their agency issued; a certifying officer, a certified copy their
        office made. With `authorised` (what `authorise_upload` said in this unit of work
        for this actor, owner and dossier) its checked metadata is stored and `meta` is not
        looked at again."""
        if authorised is not None and authorised.covers(uow, actor, owner_id, dossier_id):
            meta = authorised.meta
        else:
            with metrics.upload_stage("record"):
                if not uow.owners.exists(owner_id):
                    raise NotFound("no such owner")
                meta = self._checked(uow, meta)
                meta = self._authorised_meta(
                    uow, actor, owner_id, meta, dossier_id, reviewed_batch=reviewed_batch
                )
        blob, wrapped, blob_has_signature = self._store_recorded(
            uow, actor, "document.upload", owner_id, source
        )
        with metrics.upload_stage("record"):
            return self._record_upload(
                uow, actor, owner_id, meta, dossier_id, blob, wrapped, blob_has_signature
            )

    def _record_upload(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        meta: NewDocument,
        dossier_id: uuid.UUID | None,
        blob: Blob,
        wrapped: bytes,
        blob_has_signature: bool,
    ) -> Document:
        document = self._first_version(uow, owner_id, meta, blob, wrapped, blob_has_signature)
        if dossier_id is not None:
            # A signed file scanned in for a dossier meets reuse's rule before it is attached.
            if self._signature_gate is not None:
                self._signature_gate(uow, document)
            uow.dossiers.attach(
                DossierAttachment(dossier_id, document.id, datetime.now(UTC), digitised=True)
            )
            uow.flush()
            record_event(uow, dossier_id, EventKind.COMPONENT_ATTACHED, by=actor.name)
        uow.record(
            audit_draft(
                actor,
                "document.upload",
                owner_id=owner_id,
                document_id=document.id,
                dossier_id=dossier_id,
            )
        )
        return document

    def _first_version(
        self,
        uow: UnitOfWork,
        owner_id: uuid.UUID,
        meta: NewDocument,
        blob: Blob,
        wrapped: bytes,
        has_signature: bool,
    ) -> Document:
        """A new paper's first version on record, with its object locked for its retention
        period and, in the same transaction, its OCR job: a document never exists without
        it. One flush writes the blob, the document and the job."""
        document_id = new_id()
        document = Document(
            id=document_id,
            owner_id=owner_id,
            paper_type=meta.paper_type,
            title=meta.title,
            reference_number=meta.reference_number,
            issuer_agency_code=meta.issuer_agency_code,
            issue_date=meta.issue_date,
            valid_until=meta.valid_until,
            origin=meta.origin,
            status=DocumentStatus.CURRENT,
            lineage_id=document_id,
            version=1,
            supersedes_id=None,
            blob=blob,
            created_at=datetime.now(UTC),
            has_signature=has_signature,
        )
        uow.documents.add(document, wrapped)
        RetentionService.lock_object(uow, document)  # S3 Object Lock, where the bucket has it
        uow.jobs.enqueue(OCR_KIND, subject=JobSubject.document(document.id))
        uow.flush()
        return document

    def store_copy(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        meta: NewDocument,
        source: BinaryIO,
        *,
        detail: str,
    ) -> Document:
        """Stores a copy of a paper taken from elsewhere (another province's vault) in the
        owner's warehouse, encrypted like any upload. The caller has decided it may be taken
        and checked its signatures; `detail` says where it came from in the audit log."""
        meta = self._checked(uow, meta)
        blob, wrapped, has_signature = self._store_recorded(
            uow, actor, "document.take_from_peer", owner_id, source
        )
        document = self._first_version(uow, owner_id, meta, blob, wrapped, has_signature)
        uow.record(
            audit_draft(
                actor,
                "document.take_from_peer",
                owner_id=owner_id,
                document_id=document.id,
                detail=detail,
            )
        )
        return document

    def check_may_upload(self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID) -> None:
        """What can be decided before an upload's body is read (its file is not read when
        this refuses): the owner exists, and the caller may store something for them (the
        owner themself, or an officer with a role that stores papers)."""
        if not uow.owners.exists(owner_id):
            raise NotFound("no such owner")
        if actor.kind is ActorKind.OWNER:
            if actor.owner_id != owner_id:
                raise self._access.deny(
                    uow,
                    actor,
                    "document.upload",
                    "an owner stores papers only in their own warehouse",
                    owner_id=owner_id,
                )
            return
        if not actor.has(*_STORING_ROLES):
            raise self._access.deny(
                uow,
                actor,
                "document.upload",
                "storing papers needs a receiving, issuing or certifying officer role",
                owner_id=owner_id,
            )

    def authorise_upload(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        meta: NewDocument,
        dossier_id: uuid.UUID | None,
        *,
        owner_checked: bool = False,
    ) -> AuthorisedUpload:
        """Every check `upload` makes before it reads the file: the metadata, then who may
        store it (the dossier's agency and state for a scan). Run as soon as the metadata is
        known, so that a refused upload's file is never read. `owner_checked`: the caller
        already ran `check_may_upload` for this actor and owner in this unit of work."""
        if not owner_checked:
            self.check_may_upload(uow, actor, owner_id)
        checked = self._authorised_meta(uow, actor, owner_id, self._checked(uow, meta), dossier_id)
        return AuthorisedUpload(uow, actor.account_id, owner_id, checked, dossier_id)

    def check_may_reissue(self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID) -> None:
        """Before a reissue's body is read: the document exists and the caller is whoever
        may store its next version (its owner for their own uploads, else an issuing or
        certifying officer of the agency that issued it)."""
        previous = self._find(uow, document_id)

        def deny(reason: str) -> PermissionDenied:
            return self._access.deny(
                uow,
                actor,
                "document.reissue",
                reason,
                owner_id=previous.owner_id,
                document_id=previous.id,
            )

        if actor.kind is ActorKind.OWNER:
            if actor.owner_id != previous.owner_id:
                raise deny("an owner reissues only papers in their own warehouse")
            return
        if not actor.has(Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER):
            raise deny("a reissue needs an issuing or certifying officer role")
        if previous.issuer_agency_code != actor.agency_code:
            raise deny("an agency reissues only what it issued itself")

    def authorise_new_version(
        self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID, meta: NewDocument
    ) -> None:
        """The checks `new_version` makes before it reads the file, but whether the version
        is still current: a retried reissue (same Idempotency-Key) is replayed, not refused."""
        self.check_may_reissue(uow, actor, document_id)
        previous = self._find(uow, document_id)
        self._check_reissue_meta(actor, previous, meta)
        self._authorised_meta(uow, actor, previous.owner_id, self._checked(uow, meta), None)

    def once(
        self,
        uow: UnitOfWork,
        actor: Actor,
        idempotency_key: str | None,
        request: str,
        store: Callable[[], Document],
    ) -> tuple[Document, bool]:
        """Runs `store` once per (actor, key): a retry with the same key replays the first
        result instead of storing again. Returns (document, replayed)."""
        if idempotency_key is None:
            return store(), False
        key = idempotency_key.strip()
        if not 1 <= len(key) <= 128 or not key.isprintable():
            raise InvalidInput("Idempotency-Key", "1 to 128 printable characters")
        # A concurrent request with the same key waits for this one's outcome instead of
        # doing the work (a certified copy: a number and two remote signatures) twice.
        uow.documents.hold_idempotency_key(actor.account_id, key)
        seen = uow.documents.idempotent(actor.account_id, key)
        if seen is not None:
            first_request, document_id = seen
            if first_request != request:
                raise InvalidInput("Idempotency-Key", "this key was used for another request")
            document = self._find(uow, document_id)
            # Replayed only to someone who may still read it (audited as any read).
            self._access.check_document(uow, actor, document, "document.replay")
            return document, True
        document = store()
        uow.documents.remember(actor.account_id, key, request, document.id)
        uow.flush()
        return document, False

    def _authorised_meta(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        meta: NewDocument,
        dossier_id: uuid.UUID | None,
        *,
        reviewed_batch: bool = False,
    ) -> NewDocument:
        def deny(reason: str) -> PermissionDenied:
            return self._access.deny(uow, actor, "document.upload", reason, owner_id=owner_id)

        if actor.kind is ActorKind.OWNER:
            if actor.owner_id != owner_id:
                raise deny("an owner stores papers only in their own warehouse")
            if dossier_id is not None:
                raise InvalidInput("dossier_id", "owners do not attach to dossiers")
            return replace(meta, origin=DocumentOrigin.UPLOADED_BY_OWNER)
        agency = actor.require_agency()
        if meta.origin is DocumentOrigin.DIGITISED:
            actor.require(Role.RECEIVING_OFFICER)
            if dossier_id is None and reviewed_batch:
                return meta
            if dossier_id is None:
                raise InvalidInput(
                    "dossier_id", "a digitised paper is stored for a dossier: give its id"
                )
            dossier = uow.dossiers.get(dossier_id)
            if dossier is None or dossier.owner_id != owner_id:
                raise InvalidInput("dossier_id", "no such dossier for this owner")
            if dossier.receiving_agency_code != agency:
                raise deny("the dossier was received by another agency")
            if dossier.status is not DossierStatus.OPEN:
                raise Conflict("the dossier is closed")
            return meta
        if dossier_id is not None:
            raise InvalidInput("dossier_id", "only digitised scans are stored for a dossier")
        if meta.origin is DocumentOrigin.UPLOADED_BY_OWNER:
            raise InvalidInput("origin", "only the owner uploads as uploaded_by_owner")
        needed = (
            Role.ISSUING_OFFICER
            if meta.origin is DocumentOrigin.ISSUED_RESULT
            else Role.CERTIFYING_OFFICER
        )
        actor.require(needed)
        issuer = meta.issuer_agency_code or agency
        if issuer != agency:
            raise deny("an agency stores only what it issued itself")
        return replace(meta, issuer_agency_code=issuer)

    def new_version(
        self,
        uow: UnitOfWork,
        actor: Actor,
        document_id: uuid.UUID,
        meta: NewDocument,
        source: BinaryIO,
    ) -> Document:
        """A reissue (cấp lại): the new version supersedes the current one, which stays on
        record, readable, with status `superseded`. Only whoever may store the new paper
        (its issuer, or the owner for their own uploads) may reissue."""
        self.check_may_reissue(uow, actor, document_id)
        previous = self._find(uow, document_id)
        self._check_reissue_meta(actor, previous, meta)
        meta = self._checked(uow, meta)
        meta = self._authorised_meta(uow, actor, previous.owner_id, meta, None)
        self._ensure_current(previous)
        blob, wrapped, blob_has_signature = self._store_recorded(
            uow, actor, "document.reissue", previous.owner_id, source
        )
        # Re-read under lock now that the upload is done: a concurrent reissue may have won.
        locked = uow.documents.lock_current(document_id)
        if locked is None:
            raise NotFound("no such document")
        self._ensure_current(locked)
        new_doc_id = new_id()
        document = Document(
            id=new_doc_id,
            owner_id=locked.owner_id,
            paper_type=locked.paper_type,
            title=meta.title,
            reference_number=meta.reference_number,
            issuer_agency_code=meta.issuer_agency_code,
            issue_date=meta.issue_date,
            valid_until=meta.valid_until,
            origin=meta.origin,
            status=DocumentStatus.CURRENT,
            lineage_id=locked.lineage_id,
            version=locked.version + 1,
            supersedes_id=locked.id,
            blob=blob,
            created_at=datetime.now(UTC),
            has_signature=blob_has_signature,
        )
        uow.documents.mark_superseded(locked.id)
        uow.documents.add(document, wrapped)
        RetentionService.lock_object(uow, document)  # S3 Object Lock, where the bucket has it
        uow.flush()
        uow.jobs.enqueue(OCR_KIND, subject=JobSubject.document(document.id))
        uow.record(
            audit_draft(
                actor,
                "document.reissue",
                owner_id=document.owner_id,
                document_id=document.id,
                detail=f"supersedes {locked.id}",
            )
        )
        return document

    @staticmethod
    def _check_reissue_meta(actor: Actor, previous: Document, meta: NewDocument) -> None:
        if meta.paper_type != previous.paper_type:
            raise InvalidInput("paper_type", "a new version keeps the paper type of the document")
        if meta.origin is DocumentOrigin.DIGITISED and actor.is_officer:
            raise InvalidInput("origin", "a reissue is an issued result or a certified copy")

    @staticmethod
    def _ensure_current(document: Document) -> None:
        if document.status is not DocumentStatus.CURRENT:
            raise Conflict("this version is already superseded: reissue the current version")

    def _checked(self, uow: UnitOfWork, meta: NewDocument) -> NewDocument:
        paper_type = uow.paper_types.get(meta.paper_type)
        if paper_type is None:
            raise InvalidInput("paper_type", f"unknown paper type {meta.paper_type!r}")
        title = " ".join(identifiers.plain_text(meta.title, "title").split())
        if not title:
            raise InvalidInput("title", "a title is required")
        issuer = meta.issuer_agency_code
        if issuer is not None:
            issuer = identifiers.agency_code(issuer, "issuer_agency_code")
        given_reference = identifiers.plain_text(meta.reference_number or "", "reference_number")
        reference = given_reference.strip() or None
        today = self._today.today()
        if meta.issue_date is not None and meta.issue_date > today + timedelta(days=1):
            raise InvalidInput("issue_date", "the issue date is in the future")
        valid_until = meta.valid_until
        if (
            valid_until is None
            and meta.issue_date is not None
            and paper_type.default_validity_days is not None
        ):
            valid_until = meta.issue_date + timedelta(days=paper_type.default_validity_days)
        if (
            valid_until is not None
            and meta.issue_date is not None
            and valid_until < meta.issue_date
        ):
            raise InvalidInput("valid_until", "the paper cannot expire before it was issued")
        return replace(
            meta,
            title=title,
            reference_number=reference,
            issuer_agency_code=issuer,
            valid_until=valid_until,
        )

    def _store_recorded(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        owner_id: uuid.UUID,
        source: BinaryIO,
    ) -> tuple[Blob, bytes, bool]:
        """`_store`, with a refused file on record: who tried to store a file the vault
        refuses (a bomb, two files in one), and why."""
        try:
            return self._store(uow, source)
        except (UnsupportedMediaType, ContentTooLarge, UnreadableContent) as exc:
            uow.record(
                audit_draft(
                    actor,
                    action,
                    Outcome.FAILED,
                    owner_id=owner_id,
                    detail=f"file refused: {exc.detail}",
                )
            )
            raise

    def _store(self, uow: UnitOfWork, source: BinaryIO) -> tuple[Blob, bytes, bool]:
        with metrics.upload_stage("inspect"):
            size = _measure(source)
            if size > self._max_upload:
                raise ContentTooLarge(
                    f"the file is {size} bytes; the limit is {self._max_upload}", self._max_upload
                )
            if size == 0:
                raise UnreadableContent("the file is empty")
            media_type = content.sniff(source.read(content.SNIFF_BYTES))
            signed = content.inspect(source, media_type, self._limits).has_signature

        started = time.thread_time()
        blob_id = new_id()
        key = object_key(blob_id)
        data_key = os.urandom(32)
        key_id, wrapped = self._keyring.wrap(blob_id, data_key)
        # One pass over the bytes: the store's reads pull each chunk through the hash and
        # the cipher as it goes out (the S3 adapter does not hash it again).
        reader = crypto.EncryptingReader(source, data_key, max_size=size)
        uow.wrote_object(key)  # before the put: a put that fails late still gets cleaned up
        try:
            uow.blobs.put(key, reader, crypto.ciphertext_size(size))
        finally:
            spent = time.thread_time() - started
            metrics.upload_cpu_seconds.labels("seal").inc(reader.cpu_seconds)
            metrics.upload_cpu_seconds.labels("store").inc(max(0.0, spent - reader.cpu_seconds))
        if reader.result.size != size:
            raise UnreadableContent("the file changed while it was being stored")
        blob = Blob(blob_id, key, size, media_type, reader.result.sha256, key_id)
        return blob, wrapped, signed

    # -- reading -------------------------------------------------------------------------

    def _find(self, uow: UnitOfWork, document_id: uuid.UUID) -> Document:
        document = uow.documents.get(document_id)
        if document is None:
            raise NotFound("no such document")
        return document

    def get(self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID) -> Document:
        document = self._find(uow, document_id)
        self._access.check_document(uow, actor, document, "document.read")
        return document

    def list_for_owner(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        filters: DocumentFilters,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Document]:
        """The owner's papers this actor may see, newest first."""
        limit = cursors.check_limit(limit)
        visibility = self._access.visibility(uow, actor, owner_id)
        if visibility.nothing:
            raise self._access.deny(
                uow,
                actor,
                "document.list",
                "nothing in this warehouse is open to you",
                owner_id=owner_id,
            )
        only = None
        if not visibility.everything:
            only = VisibleSet(
                visibility.issuer_agency,
                frozenset(visibility.by_type),
                frozenset(visibility.by_document),
            )
        rows = uow.documents.list_for_owner(
            owner_id,
            paper_type=filters.paper_type,
            origin=filters.origin,
            valid_on=filters.valid_on,
            include_superseded=filters.include_superseded,
            before_id=cursors.decode(cursor),
            limit=limit + 1,
            only=only,
        )
        # Rows prove the owner exists (foreign key); only an empty page needs the look-up.
        if not rows and uow.owners.get(owner_id) is None:
            raise NotFound("no such owner")
        items = list(rows[:limit])
        next_cursor = cursors.encode(items[-1].id) if len(rows) > limit else None
        uow.record(
            audit_draft(
                actor, "document.list", owner_id=owner_id, detail=f"{len(items)} papers listed"
            )
        )
        return Page(items, next_cursor)

    def has_papers(self, uow: UnitOfWork, owner_id: uuid.UUID) -> bool:
        """Whether anything at all (superseded versions too) is stored for the owner: for
        set-up tools, not a read of any paper."""
        stored = uow.documents.list_for_owner(
            owner_id,
            paper_type=None,
            origin=None,
            valid_on=None,
            include_superseded=True,
            before_id=None,
            limit=1,
        )
        return bool(stored)

    def versions(self, uow: UnitOfWork, actor: Actor, document_id: uuid.UUID) -> list[Document]:
        document = self.get(uow, actor, document_id)
        visibility = self._access.visibility(uow, actor, document.owner_id)
        return [
            v
            for v in uow.documents.versions(document.lineage_id)
            if visibility.grant_for(v) is not None
        ]

    def open_content(
        self,
        uow: UnitOfWork,
        actor: Actor,
        document_id: uuid.UUID,
        byte_range: ByteRange | None = None,
    ) -> ContentStream:
        """Opens the plaintext for streaming. The first bytes are fetched before returning, so
        a missing object fails here, not halfway through a response."""
        document = self._find(uow, document_id)
        self._access.check_document(uow, actor, document, "document.download")
        return self._content.read(uow, document, byte_range)

    def read_content(
        self, uow: UnitOfWork, document: Document, byte_range: ByteRange | None = None
    ) -> ContentStream:
        """The content of a document already authorised (or read by the system itself)."""
        return self._content.read(uow, document, byte_range)
