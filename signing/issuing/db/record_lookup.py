"""Which papers the vault itself issued have this exact file: certified copies, and results
signed by an issuing officer. Read-only; for the public file check (`signing.issuing.on_record`).

`blobs.sha256` is the SHA-256 of the plaintext file (checked on every read), so a match is
a byte-for-byte match.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from vault.db.models import BlobRow, DocumentRow
from vault.db.repositories import _select_documents, document_from_columns
from vault.domain import Document, DocumentOrigin


class IssuedRecordLookup:
    """On a unit of work's session: `uow.repository(IssuedRecordLookup)`."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def issued_with_sha256(self, hashes: Sequence[str]) -> list[Document]:
        """Certified copies and signed issued results whose file hashes to one of `hashes`,
        newest first. (`ix_blobs_sha256`: an index look-up.)"""
        if not hashes:
            return []
        statement = (
            _select_documents()
            .where(
                BlobRow.sha256.in_(list(hashes)),
                or_(
                    DocumentRow.origin == DocumentOrigin.CERTIFIED_COPY.value,
                    and_(
                        DocumentRow.origin == DocumentOrigin.ISSUED_RESULT.value,
                        DocumentRow.has_signature.is_(True),
                    ),
                ),
            )
            .order_by(DocumentRow.created_at.desc())
            .limit(16)
        )
        return [document_from_columns(r) for r in self._s.execute(statement)]
