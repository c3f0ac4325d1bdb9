"""The owner's own copy of their warehouse (quyền được sao chép dữ liệu cá nhân).

An owner (a citizen, or an organisation through its account) asks for an export; a job
(`EXPORT_KIND`, handler in `signing.issuing.export_job`) builds the package; the owner then
takes a one-time download link. The link works until the whole package has been delivered
once (a download may be resumed with Range requests until then) or until it expires; either
way the package is deleted. Only the owner may ask, see, or take a link; every step and
every refusal is audited.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from vault import crypto
from vault.access import audit_draft
from vault.audit import AuditDraft, Outcome
from vault.auth import Actor, ActorKind
from vault.db.export_repository import ExportRepository
from vault.domain import Export, ExportStatus, new_id
from vault.errors import Conflict, NotFound, PermissionDenied, RangeNotSatisfiable
from vault.jobs import JobSubject, SubjectType
from vault.services import jobs
from vault.services.content_reader import ByteRange
from vault.services.export_package import BuiltPackage

if TYPE_CHECKING:
    from vault.db import UnitOfWork

EXPORT_KIND = "export"


class ExportGone(NotFound):
    """No package behind this link: used up (delivered once), expired, or never issued.
    A 404 like any unknown address: a used link tells nobody whether it ever worked."""


@dataclass(frozen=True)
class DownloadLink:
    export: Export
    token: str  # shown once; only its hash is kept


@dataclass(frozen=True)
class PackageStream:
    export: Export
    range: ByteRange | None  # None: the whole package
    chunks: Iterator[bytes]

    @property
    def length(self) -> int:
        size = self.export.size or 0
        return size if self.range is None else self.range.end - self.range.start

    @property
    def reaches_end(self) -> bool:
        return self.range is None or self.range.end == self.export.size


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ExportService:
    """Built per use (it holds nothing but the keyring): `ExportService.of(vault)`."""

    def __init__(self, keyring: crypto.Keyring, *, link_hours: float = 72) -> None:
        self._keyring = keyring
        self._ttl = timedelta(hours=link_hours)

    # -- the owner's side ---------------------------------------------------------------------

    @staticmethod
    def _owner(uow: UnitOfWork, actor: Actor, action: str) -> uuid.UUID:
        if actor.kind is not ActorKind.OWNER or actor.owner_id is None:
            uow.record(
                audit_draft(actor, action, Outcome.DENIED, detail="not the owner of a warehouse")
            )
            raise PermissionDenied("only the owner of a warehouse may export it")
        return actor.owner_id

    def _own(self, uow: UnitOfWork, actor: Actor, export_id: uuid.UUID, action: str) -> Export:
        owner_id = self._owner(uow, actor, action)
        export = uow.repository(ExportRepository).get(export_id)
        if export is None or export.owner_id != owner_id:
            if export is not None:
                uow.record(
                    audit_draft(
                        actor,
                        action,
                        Outcome.DENIED,
                        owner_id=export.owner_id,
                        detail=f"export {export_id} of another owner",
                    )
                )
            raise NotFound("no such export")
        return export

    def request(self, uow: UnitOfWork, actor: Actor, *, include_superseded: bool = False) -> Export:
        """Queues the export of the actor's own warehouse (built by the export job)."""
        owner_id = self._owner(uow, actor, "export.request")
        self.sweep(uow)
        export = Export(
            id=new_id(),
            owner_id=owner_id,
            requested_by=actor.account_id,
            job_id=None,
            include_superseded=include_superseded,
            status=ExportStatus.PENDING,
            created_at=datetime.now(UTC),
        )
        repo = uow.repository(ExportRepository)
        repo.add(export)
        job_id = jobs.enqueue(
            uow,
            EXPORT_KIND,
            {"export_id": str(export.id)},
            subject=JobSubject(SubjectType.OWNER, owner_id),
            requested_by=actor.account_id,
        )
        repo.set_job(export.id, job_id)
        uow.record(
            audit_draft(
                actor,
                "export.request",
                owner_id=owner_id,
                detail=f"export {export.id}"
                + (" with superseded versions" if include_superseded else ""),
            )
        )
        found = repo.get(export.id)
        assert found is not None
        return found

    def list(self, uow: UnitOfWork, actor: Actor) -> list[Export]:
        owner_id = self._owner(uow, actor, "export.list")
        return uow.repository(ExportRepository).for_owner(owner_id)

    def get(self, uow: UnitOfWork, actor: Actor, export_id: uuid.UUID) -> Export:
        export = self._own(uow, actor, export_id, "export.read")
        if export.status is ExportStatus.READY and self._expired(export):
            self._close(uow, export, ExportStatus.EXPIRED)
            export = self._own(uow, actor, export_id, "export.read")
        return export

    def issue_link(self, uow: UnitOfWork, actor: Actor, export_id: uuid.UUID) -> DownloadLink:
        """A fresh one-time download token for a ready package (an earlier one stops working)."""
        export = self.get(uow, actor, export_id)
        if export.status is not ExportStatus.READY:
            raise Conflict(f"the export is {export.status.value}: no package to download")
        token = secrets.token_urlsafe(32)
        uow.repository(ExportRepository).set_token(export.id, token_digest(token))
        uow.record(
            audit_draft(
                actor, "export.link", owner_id=export.owner_id, detail=f"export {export.id}"
            )
        )
        return DownloadLink(export, token)

    # -- the download (the token is the credential) --------------------------------------------

    def by_token(self, uow: UnitOfWork, token: str) -> Export:
        """The ready export a live download token opens; ExportGone otherwise."""
        repo = uow.repository(ExportRepository)
        export = repo.by_token(token_digest(token)) if token else None
        if export is None or export.status is not ExportStatus.READY:
            raise ExportGone("this download link is used up, expired or unknown")
        if self._expired(export):
            self._close(uow, export, ExportStatus.EXPIRED)
            raise ExportGone("this download link has expired")
        return export

    def open_download(
        self, uow: UnitOfWork, token: str, byte_range: ByteRange | None = None
    ) -> PackageStream:
        """The package's plaintext zip (whole or a range) for the holder of a live token.
        A whole read is checked against the package's SHA-256 before its last byte leaves."""
        repo = uow.repository(ExportRepository)
        export = self.by_token(uow, token)
        size = export.size or 0
        if byte_range is not None:
            if not (0 <= byte_range.start < byte_range.end <= size):
                raise RangeNotSatisfiable("the range is outside the package", size)
            if (byte_range.start, byte_range.end) == (0, size):
                byte_range = None
        wrapped = repo.wrapped_key(export.id)
        assert wrapped is not None and export.key_id and export.object_key and export.sha256
        data_key = self._keyring.unwrap(export.id, export.key_id, wrapped)
        header = b"".join(uow.blobs.get(export.object_key, 0, crypto.HEADER_SIZE))
        chunk_size, _ = crypto.parse_header(header)
        start, end = (0, size) if byte_range is None else (byte_range.start, byte_range.end)
        offset, length = crypto.chunk_span(size, start, end, chunk_size)
        chunks = crypto.decrypt_chunks(
            header,
            uow.blobs.get(export.object_key, offset, length),
            data_key,
            plaintext_size=size,
            start=start,
            end=end,
            expected_sha256=export.sha256 if byte_range is None else None,
        )
        uow.record(
            AuditDraft(
                action="export.download",
                actor_name="holder of the download link",
                role="owner",
                owner_id=export.owner_id,
                detail=f"export {export.id} bytes {start}-{end - 1} of {size}",
            )
        )
        return PackageStream(export, byte_range, chunks)

    def delivered(self, uow: UnitOfWork, export_id: uuid.UUID, sent: int) -> None:
        """The last byte of the package has been sent: the link is used, the package goes."""
        repo = uow.repository(ExportRepository)
        repo.add_sent(export_id, sent)
        export = repo.get(export_id)
        if export is not None and export.status is ExportStatus.READY:
            self._close(uow, export, ExportStatus.DOWNLOADED)

    def count_sent(self, uow: UnitOfWork, export_id: uuid.UUID, sent: int) -> None:
        uow.repository(ExportRepository).add_sent(export_id, sent)

    # -- the job's and the sweeper's side --------------------------------------------------------

    def mark_ready(self, uow: UnitOfWork, export_id: uuid.UUID, built: BuiltPackage) -> Export:
        now = datetime.now(UTC)
        repo = uow.repository(ExportRepository)
        if not repo.set_ready(
            export_id,
            object_key=built.object_key,
            key_id=built.key_id,
            wrapped_key=built.wrapped_key,
            size=built.size,
            sha256=built.sha256,
            documents=built.documents,
            ready_at=now,
            expires_at=now + self._ttl,
        ):
            raise Conflict("the export is no longer pending")
        export = repo.get(export_id)
        assert export is not None
        uow.record(
            AuditDraft(
                action="export.ready",
                actor_name="export worker",
                role="system",
                owner_id=export.owner_id,
                detail=f"export {export_id}: {built.documents} papers, {built.size} bytes",
            )
        )
        return export

    def mark_failed(self, uow: UnitOfWork, export_id: uuid.UUID, error: str) -> None:
        repo = uow.repository(ExportRepository)
        export = repo.get(export_id)
        if export is None or export.status is not ExportStatus.PENDING:
            return
        repo.set_failed(export_id, error)
        uow.record(
            AuditDraft(
                action="export.failed",
                outcome=Outcome.FAILED,
                actor_name="export worker",
                role="system",
                owner_id=export.owner_id,
                detail=f"export {export_id}: {error}"[:500],
            )
        )

    def sweep(self, uow: UnitOfWork, now: datetime | None = None) -> int:
        """Deletes the packages whose link expired unused; how many."""
        expired = uow.repository(ExportRepository).expired(now or datetime.now(UTC))
        for export in expired:
            self._close(uow, export, ExportStatus.EXPIRED)
        return len(expired)

    def _expired(self, export: Export) -> bool:
        return export.expires_at is not None and export.expires_at <= datetime.now(UTC)

    def _close(self, uow: UnitOfWork, export: Export, status: ExportStatus) -> None:
        if not uow.repository(ExportRepository).close(export.id, status, datetime.now(UTC)):
            return
        if export.object_key:
            uow.blobs.delete(export.object_key)
        uow.record(
            AuditDraft(
                action=f"export.{status.value}",
                actor_name="export worker" if status is ExportStatus.EXPIRED else "vault",
                role="system",
                owner_id=export.owner_id,
                detail=f"export {export.id}: package deleted",
            )
        )
