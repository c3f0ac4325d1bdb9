"""Verifying the signatures of a paper already in the vault (xác minh chữ ký giấy tờ đã lưu).

An officer who may read a document may also have its signatures checked without
downloading it first; the check reads the plaintext through the same access rules and audit
as a download (action "document.verify") and hands the bytes to the same bounded verifier as
an uploaded file, so a stored file and the same file uploaded get the same report.
"""

from __future__ import annotations

import uuid

from signing.verify import VerificationReport, Verifier
from vault.access import AccessPolicy
from vault.auth import Actor
from vault.db import UnitOfWork
from vault.domain import MediaType
from vault.errors import ContentTooLarge, NotFound, UnsupportedMediaType
from vault.services import DocumentService


def verify_stored_document(
    documents: DocumentService,
    access: AccessPolicy,
    verifier: Verifier,
    uow: UnitOfWork,
    actor: Actor,
    document_id: uuid.UUID,
) -> VerificationReport:
    """The report for a stored document's current bytes. Raises PermissionDenied (audited)
    when the actor may not read it, UnsupportedMediaType for scans (images carry no PAdES
    signature), ContentTooLarge over the verifier's limit, and the verifier's own
    VerifierBusy / VerifierClosed when no worker is free."""
    document = uow.documents.get(document_id)
    if document is None:
        raise NotFound("no such document")
    access.check_document(uow, actor, document, "document.verify")
    if document.blob.media_type is not MediaType.PDF:
        raise UnsupportedMediaType(
            f"the document is {document.blob.media_type.value}: only PDF documents carry "
            "PAdES signatures"
        )
    limit = verifier.max_document_bytes
    if document.blob.size > limit:
        raise ContentTooLarge(f"the document is over the verifier's {limit} bytes", limit)
    data = b"".join(documents.read_content(uow, document).chunks)
    return verifier.verify(data)
