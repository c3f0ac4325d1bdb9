"""One transaction, with the blobs written during it.

Services only flush; whoever opened the unit of work commits. On rollback the blobs written in
the transaction are deleted, so a failed request leaves no orphan object (a crash between the
blob write and the commit can still leave one: `vault reconcile` removes those).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from vault.audit import AuditDraft, AuditLog, Outcome
from vault.db.access_repository import AccessRepository
from vault.db.auth_repository import AuthStateRepository
from vault.db.derived_repository import DerivedFileRepository
from vault.db.jobs_repository import JobRepository
from vault.db.repositories import (
    AccountRepository,
    AuditRepository,
    BlobRepository,
    ClientRepository,
    ConsentRepository,
    DocumentRepository,
    DossierRepository,
    IndicatorRepository,
    OwnerRepository,
    PaperTypeRepository,
    ProcedureRepository,
)
from vault.db.retention_guard import RetentionGuard
from vault.db.retention_repository import RetentionRepository
from vault.db.signature_repository import SignatureCheckRepository
from vault.errors import AuditUnavailable, Conflict, StorageUnavailable, VaultError
from vault.personal_data import IdentifierCipher
from vault.request_context import timed
from vault.retention import RetainedRecord
from vault.storage.base import BlobStore

log = logging.getLogger(__name__)


class PackageRepository(Protocol):
    """A repository a package keeps in its own `db` module (OCR's texts, signing's certified
    copies), built on the unit of work's session."""

    def __init__(self, session: Session) -> None: ...


RepositoryT = TypeVar("RepositoryT", bound=PackageRepository)


class DatabaseUnavailable(VaultError):
    """The metadata database could not be reached."""


class UnitOfWork:
    def __init__(
        self,
        session: Session,
        blobs: BlobStore,
        identifiers: IdentifierCipher,
        audit_log: AuditLog | None = None,
    ) -> None:
        self.session = session
        self.blobs = blobs
        self._audit_log = audit_log
        self._audit: list[AuditDraft] = []
        self.accounts = AccountRepository(session)
        self.clients = ClientRepository(session)
        self.auth_state = AuthStateRepository(session)
        self.procedures = ProcedureRepository(session)
        self.consents = ConsentRepository(session)
        self.audit = AuditRepository(session)
        self.indicators = IndicatorRepository(session)
        self.owners = OwnerRepository(session, identifiers)
        self.paper_types = PaperTypeRepository(session)
        self.documents = DocumentRepository(session)
        self.blob_rows = BlobRepository(session)
        self.dossiers = DossierRepository(session)
        self.jobs = JobRepository(session)
        self.derived_files = DerivedFileRepository(session)
        self.access = AccessRepository(session)
        self.signature_checks = SignatureCheckRepository(session)
        self.retention = RetentionRepository(session)
        self._written: list[str] = []
        self._package_repositories: dict[type, object] = {}

    def repository(self, kind: type[RepositoryT]) -> RepositoryT:
        """A package's own repository on this transaction (one per unit of work), so that the
        vault's database layer needs to know nothing of the packages built on it."""
        found = self._package_repositories.get(kind)
        if found is None:
            found = self._package_repositories[kind] = kind(self.session)
        assert isinstance(found, kind)
        return found

    def record(self, draft: AuditDraft) -> None:
        """Queues an audit entry, written when this unit of work ends: as it is if it commits,
        as `failed` if it rolls back (a denial stays a denial)."""
        self._audit.append(draft)

    def _write_audit(self, rolled_back: bool) -> None:
        drafts, self._audit = self._audit, []
        if not drafts:
            return
        if self._audit_log is None:
            raise AuditUnavailable("this unit of work has no audit log")
        if rolled_back:
            drafts = [
                replace(d, outcome=Outcome.FAILED) if d.outcome == Outcome.OK else d for d in drafts
            ]
        with timed("audit"):
            self._audit_log.write(drafts)

    def read_only(self) -> None:
        """For a read that writes nothing: on PostgreSQL each statement runs on its own,
        with no BEGIN and COMMIT round trips (under READ COMMITTED, statements of one
        transaction see fresh snapshots anyway). Call it before the first statement. Audit
        entries still go through the audit log at `commit`, durable before it returns."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    def wrote_object(self, key: str) -> None:
        """Records a blob written in this transaction, to delete if it rolls back."""
        self._written.append(key)

    def flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("the change conflicts with what is already recorded") from exc

    def commit(self) -> None:
        try:
            with timed("commit"):
                self.session.commit()
        except IntegrityError as exc:
            self.rollback()
            raise Conflict("the change conflicts with what is already recorded") from exc
        except OperationalError as exc:
            self.rollback()
            raise DatabaseUnavailable("the metadata database is not available") from exc
        self._written.clear()
        self._write_audit(rolled_back=False)

    def rollback(self) -> None:
        try:
            self.session.rollback()
        finally:
            for key in self._written:
                try:
                    self.blobs.delete(key)
                except (StorageUnavailable, RetainedRecord):
                    log.warning("could not delete object %s after rollback; reconcile will", key)
            self._written.clear()
            self._write_audit(rolled_back=True)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # An error that carries its own audit entry (a role denial) is recorded on its way out.
        carried = getattr(exc, "audit", None)
        if isinstance(carried, AuditDraft) and self._audit_log is not None:
            self._audit.append(carried)
        try:
            if (
                exc_type is not None
                or self._written
                or self._audit
                or self.session.in_transaction()
            ):
                # Anything not committed explicitly is undone, with its blobs.
                self.rollback()
        finally:
            self.close()


class UnitOfWorkFactory:
    def __init__(
        self, sessions: sessionmaker[Session], blobs: BlobStore, identifiers: IdentifierCipher
    ) -> None:
        self._sessions = sessions
        # Every deletion through the vault passes the retention rule (vault.db.retention_guard).
        self.blobs: BlobStore = (
            blobs if isinstance(blobs, RetentionGuard) else RetentionGuard(blobs, sessions)
        )
        self.identifiers = identifiers
        self.audit_log = AuditLog(self._plain)

    def _plain(self) -> UnitOfWork:
        return UnitOfWork(self._sessions(), self.blobs, self.identifiers)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions(), self.blobs, self.identifiers, self.audit_log)

    def close(self) -> None:
        self.audit_log.close()


UnitOfWorkMaker = Callable[[], UnitOfWork]
