"""Whether a stored paper's digital signatures hold (chữ ký số còn hợp lệ), for reuse.

A paper with a signature that does not hold must not be reused, whichever way an agency
reaches it (the API, the officer console, the SDK, an upload straight into a dossier). The
verdict comes from a `SignatureChecker`: the vault defines the port, `signing` provides the
adapter over its bounded verifier, and the application installs it at start-up (`use`).

Verdicts are recorded per document and content hash and re-checked after `max_age`, so a
reuse plan does not re-verify every paper each time; they are also remembered in this
process, so a refusal (whose transaction rolls back) does not verify the same bytes again.

What may be reused is `vault.services.reuse_rule`'s to say: one rule for the reuse plan and
for attaching (`require_acceptable`). Where a checker is installed but cannot judge now,
attaching a signed paper fails closed (503, try later). A bare vault with no checker (a
maintenance tool) judges nothing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from vault.db import UnitOfWork
from vault.domain import (
    Document,
    MediaType,
    SignatureCheck,
    SignatureStatus,
    SignatureVerdict,
)
from vault.errors import Conflict, IntegrityFailure, SignatureCheckUnavailable, StorageUnavailable
from vault.services.content_reader import ContentReader

# Re-exported for the signing adapter, which words its verdicts with it.
from vault.services.reuse_rule import CHANGED_AFTER_SIGNING as CHANGED_AFTER_SIGNING
from vault.services.reuse_rule import acceptable, refusal_reason

log = logging.getLogger("vault.signatures")

_MEMO_SIZE = 10_000


class SignatureChecker(Protocol):
    """Judges a PDF's signatures. Raises SignatureCheckUnavailable when it cannot now."""

    max_document_bytes: int  # larger files are not read: "not verifiable"

    def __call__(self, pdf: bytes) -> SignatureVerdict: ...


class SignatureService:
    def __init__(
        self,
        content: ContentReader,
        *,
        max_age: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._content = content
        self._checker: SignatureChecker | None = None
        self._max_age = max_age
        self._clock = clock
        self._memo: OrderedDict[tuple[uuid.UUID, str], SignatureCheck] = OrderedDict()
        self._lock = threading.Lock()

    def use(self, checker: SignatureChecker) -> None:
        """Installs the checker; the application does this when it starts."""
        self._checker = checker

    def release(self, checker: SignatureChecker) -> None:
        """Removes `checker` if it is still the one installed (an application stopping must
        not take away another one's, when they share a vault)."""
        if self._checker is checker:
            self._checker = None

    def verdicts(
        self, uow: UnitOfWork, documents: Iterable[Document], *, check_up_to: int = 0
    ) -> dict[uuid.UUID, SignatureCheck]:
        """The verdicts on the signed ones among `documents`: fresh ones as recorded, the
        first `check_up_to` without one checked now (and recorded). A stale refusal stands
        until a new check replaces it; a stale acceptance does not. Papers with no
        signature field have no entry: there is nothing to judge."""
        signed = [d for d in documents if d.has_signature]
        recorded = uow.signature_checks.latest([d.id for d in signed])
        result: dict[uuid.UUID, SignatureCheck] = {}
        budget = check_up_to
        for document in signed:
            known = self._newest(recorded.get(document.id), self._remembered(document))
            if known is not None and known.sha256 != document.blob.sha256:
                known = None  # about other bytes: says nothing of these
            if known is not None and self._clock() - known.checked_at <= self._max_age:
                result[document.id] = known
                continue
            checked = None
            if budget > 0:
                budget -= 1
                checked = self.check(uow, document)
            if checked is not None:
                result[document.id] = checked
            elif known is not None and not acceptable(known):
                result[document.id] = known
        return result

    def require_acceptable(self, uow: UnitOfWork, document: Document) -> None:
        """For attaching a paper to a dossier: Conflict when its signature does not hold,
        SignatureCheckUnavailable when it carries one that cannot be judged now."""
        if not document.has_signature or self._checker is None:
            return
        check = self.verdicts(uow, [document], check_up_to=1).get(document.id)
        if check is None:
            raise SignatureCheckUnavailable(
                "the paper's digital signature cannot be checked now: try again shortly"
            )
        if not acceptable(check):
            raise Conflict(f"this paper cannot be reused: {refusal_reason(check)}")

    def judge(self, pdf: bytes) -> SignatureVerdict:
        """Judges bytes not stored yet (a paper arriving from a peer vault) with the installed
        checker: the one verifier built at start-up. SignatureCheckUnavailable when there is
        none or it cannot judge now: a paper from elsewhere is never taken unjudged."""
        if self._checker is None:
            raise SignatureCheckUnavailable("no signature verifier is installed")
        if len(pdf) > self._checker.max_document_bytes:
            return SignatureVerdict(SignatureStatus.INDETERMINATE, "TOO_LARGE_TO_CHECK")
        return self._checker(pdf)

    def check(self, uow: UnitOfWork, document: Document) -> SignatureCheck | None:
        """Checks a paper's signatures now and records the verdict; None when no checker is
        installed or it cannot judge now. The caller has authorised the read."""
        if self._checker is None or document.blob.media_type is not MediaType.PDF:
            return None
        if document.blob.size > self._checker.max_document_bytes:
            too_large = SignatureVerdict(SignatureStatus.INDETERMINATE, "TOO_LARGE_TO_CHECK")
            return self.record(uow, document, too_large)
        try:
            data = b"".join(self._content.read(uow, document).chunks)
            verdict = self._checker(data)
        except (SignatureCheckUnavailable, StorageUnavailable, IntegrityFailure) as exc:
            # Judged later; a download of the paper reports a storage fault as such.
            log.warning("signature check postponed for %s: %s", document.id, exc)
            return None
        return self.record(uow, document, verdict)

    def record(
        self, uow: UnitOfWork, document: Document, verdict: SignatureVerdict
    ) -> SignatureCheck:
        """Records a verdict (also one reached elsewhere: a full verification the officer
        asked for), in the database and in this process."""
        check = SignatureCheck(
            document.id,
            document.blob.sha256,
            verdict.status,
            verdict.detail[:200] if verdict.detail else None,
            verdict.signer[:255] if verdict.signer else None,
            self._clock(),
        )
        uow.signature_checks.record(check)
        with self._lock:
            self._memo[(document.id, check.sha256)] = check
            self._memo.move_to_end((document.id, check.sha256))
            while len(self._memo) > _MEMO_SIZE:
                self._memo.popitem(last=False)
        return check

    def _remembered(self, document: Document) -> SignatureCheck | None:
        with self._lock:
            return self._memo.get((document.id, document.blob.sha256))

    @staticmethod
    def _newest(*checks: SignatureCheck | None) -> SignatureCheck | None:
        present = [c for c in checks if c is not None]
        return max(present, key=lambda c: c.checked_at) if present else None
