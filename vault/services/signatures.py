"""Whether a stored paper's digital signatures hold (chữ ký số còn hợp lệ), for reuse.

A paper with a broken signature must not be reused, whichever way an agency reaches it (the
API, the officer console, the SDK). The verdict comes from a `SignatureChecker`: the vault
defines the port, `signing` provides the adapter over its bounded verifier, and the
application installs it at start-up (`use`). Verdicts are recorded per document and content
hash and re-checked after `max_age`, so a reuse plan does not re-verify every paper each time.
Without a checker (a bare vault, a tool), nothing is judged and nothing is refused.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from vault.db import UnitOfWork
from vault.domain import (
    Document,
    MediaType,
    SignatureCheck,
    SignatureVerdict,
)
from vault.errors import IntegrityFailure, StorageUnavailable
from vault.services.documents import DocumentService

log = logging.getLogger("vault.signatures")


class SignatureCheckUnavailable(Exception):
    """The checker cannot judge now (every verifier busy, shut down): try later."""


class SignatureChecker(Protocol):
    """Judges a PDF's signatures. Raises SignatureCheckUnavailable when it cannot now."""

    def __call__(self, pdf: bytes) -> SignatureVerdict: ...


class SignatureService:
    def __init__(
        self,
        documents: DocumentService,
        *,
        max_age: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._documents = documents
        self._checker: SignatureChecker | None = None
        self._max_age = max_age
        self._clock = clock

    def use(self, checker: SignatureChecker | None) -> None:
        """Installs (or, with None, removes) the checker; the application does this once."""
        self._checker = checker

    @property
    def available(self) -> bool:
        return self._checker is not None

    def verdicts(
        self, uow: UnitOfWork, documents: Iterable[Document], *, check_up_to: int = 0
    ) -> dict[uuid.UUID, SignatureCheck]:
        """The recorded, still fresh verdicts of the signed ones among `documents`; the first
        `check_up_to` without one are checked now (and recorded). Papers with no signature
        field have no entry: there is nothing to judge."""
        signed = [d for d in documents if d.has_signature]
        known = uow.signature_checks.latest([d.id for d in signed])
        result: dict[uuid.UUID, SignatureCheck] = {}
        budget = check_up_to
        for document in signed:
            check = known.get(document.id)
            if check is not None and self._fresh(check, document):
                result[document.id] = check
                continue
            if budget <= 0:
                continue
            budget -= 1
            checked = self.check(uow, document)
            if checked is not None:
                result[document.id] = checked
        return result

    def check(self, uow: UnitOfWork, document: Document) -> SignatureCheck | None:
        """Checks a paper's signatures now and records the verdict; None when no checker is
        installed or it cannot judge now. The caller has authorised the read."""
        if self._checker is None or document.blob.media_type is not MediaType.PDF:
            return None
        try:
            data = b"".join(self._documents.read_content(uow, document).chunks)
            verdict = self._checker(data)
        except (SignatureCheckUnavailable, StorageUnavailable, IntegrityFailure) as exc:
            # Judged later; a download of the paper reports a storage fault as such.
            log.warning("signature check postponed for %s: %s", document.id, exc)
            return None
        return self.record(uow, document, verdict)

    def record(
        self, uow: UnitOfWork, document: Document, verdict: SignatureVerdict
    ) -> SignatureCheck:
        """Records a verdict reached elsewhere (a full verification the officer asked for)."""
        check = SignatureCheck(
            document.id,
            document.blob.sha256,
            verdict.status,
            verdict.detail[:200] if verdict.detail else None,
            verdict.signer[:255] if verdict.signer else None,
            self._clock(),
        )
        uow.signature_checks.record(check)
        return check

    def _fresh(self, check: SignatureCheck, document: Document) -> bool:
        return (
            check.sha256 == document.blob.sha256
            and self._clock() - check.checked_at <= self._max_age
        )


def refusal_reason(check: SignatureCheck) -> str:
    """Why reuse refuses a paper whose signature does not hold, in the reuse plan's words."""
    return f"signature invalid ({check.detail})" if check.detail else "signature invalid"
