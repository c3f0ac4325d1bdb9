"""Verifying the signatures of a paper already in the vault (xác minh chữ ký giấy tờ đã lưu).

An officer who may read a document may also have its signatures checked without
downloading it first; the check reads the plaintext through the same access rules and audit
as a download (action "document.verify") and hands the bytes to the same bounded verifier as
an uploaded file, so a stored file and the same file uploaded get the same report.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from signing.verify import (
    ChangeKind,
    Indication,
    Modifications,
    ProblemCode,
    VerificationReport,
    Verifier,
    VerifierBusy,
    VerifierClosed,
)
from vault.access import AccessPolicy
from vault.auth import Actor
from vault.domain import MediaType, SignatureStatus, SignatureVerdict
from vault.errors import (
    ContentTooLarge,
    NotFound,
    SignatureCheckUnavailable,
    UnsupportedMediaType,
)
from vault.services import DocumentService, lookups
from vault.services.signatures import CHANGED_AFTER_SIGNING, SignatureService

if TYPE_CHECKING:
    from vault.services import UnitOfWork


def verify_stored_document(
    documents: DocumentService,
    access: AccessPolicy,
    signatures: SignatureService,
    verifier: Verifier,
    uow: UnitOfWork,
    actor: Actor,
    document_id: uuid.UUID,
) -> VerificationReport:
    """The report for a stored document's current bytes. Raises PermissionDenied (audited)
    when the actor may not read it, UnsupportedMediaType for scans (images carry no PAdES
    signature), ContentTooLarge over the verifier's limit, and the verifier's own
    VerifierBusy / VerifierClosed when no worker is free. The verdict is recorded, so reuse
    sees it at once."""
    document = lookups.document(uow, document_id)
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
    report = verifier.verify(data)
    if document.has_signature:
        signatures.record(uow, document, verdict_of(report))
    return report


def verdict_of(report: VerificationReport) -> SignatureVerdict:
    """The report boiled down to what reuse needs: does the paper's signature hold?"""
    first = report.signatures[0] if report.signatures else None
    signer = first.signer.common_name if first and first.signer else None
    if report.problem is not None:
        return SignatureVerdict(SignatureStatus.INDETERMINATE, report.problem.code.value, signer)
    if not report.signatures and not report.document_timestamps:
        return SignatureVerdict(SignatureStatus.UNSIGNED)
    # From here a document timestamp alone counts as much as a signature: a file sealed
    # only by one and changed since fails like a signed one.
    detail = report.sub_indication.value if report.sub_indication else None
    if report.bottom_line is Indication.TOTAL_PASSED:
        if any(_changed_after_signing(s.modifications) for s in report.signatures):
            # Valid under the reference policy, with warnings a person must read: reuse
            # refuses it (vault.services.signatures.acceptable).
            return SignatureVerdict(SignatureStatus.VALID, CHANGED_AFTER_SIGNING, signer)
        return SignatureVerdict(SignatureStatus.VALID, None, signer)
    if report.bottom_line is Indication.TOTAL_FAILED:
        changed = any(s.modifications and not s.modifications.permitted for s in report.signatures)
        if detail is None and changed:
            detail = "MODIFIED_AFTER_SIGNING"
        return SignatureVerdict(SignatureStatus.INVALID, detail, signer)
    return SignatureVerdict(SignatureStatus.INDETERMINATE, detail, signer)


# Post-signing changes the reference policy passes with a warning, and reuse refuses.
_WARNED_CHANGES = frozenset(
    {ChangeKind.FORM_FILLED, ChangeKind.ANNOTATION_ADDED, ChangeKind.ANNOTATION_CHANGED}
)
_WARNED_FINDINGS = frozenset({"DOCMDP_VIOLATED", "FIELDMDP_VIOLATED"})
# Changes that may make a page look different without anything being wrong: a later
# signature's or timestamp's visible appearance, validation data, metadata, artefacts.
_INVISIBLE_OR_SIGNING = frozenset(
    {
        ChangeKind.NO_CHANGE,
        ChangeKind.DSS_UPDATED,
        ChangeKind.DOCUMENT_TIMESTAMP_ADDED,
        ChangeKind.METADATA_UPDATED,
        ChangeKind.SIGNATURE_ADDED,
        ChangeKind.WRITER_ARTEFACT,
    }
)


def _changed_after_signing(modifications: Modifications | None) -> bool:
    """Annotations or form filling after this signature, a DocMDP/FieldMDP violation, or a
    page that looks different for a reason other than a later signature."""
    if modifications is None:
        return False
    if set(modifications.changes) & _WARNED_CHANGES:
        return True
    codes = {f.code for f in modifications.findings}
    if codes & _WARNED_FINDINGS:
        return True
    visible = "VISUAL_DIFFERENCE" in codes or bool(modifications.visual_difference_pages)
    return visible and not set(modifications.changes) <= _INVISIBLE_OR_SIGNING


# What the pool answers when it, not the file, failed (a worker that did not start or died,
# a machine too loaded to finish in time): no verdict on the paper, ask again later.
_TRANSIENT = frozenset(
    {
        ProblemCode.VERIFIER_FAILURE,
        ProblemCode.TIME_LIMIT_EXCEEDED,
        ProblemCode.MEMORY_LIMIT_EXCEEDED,
    }
)


class VerifierSignatureChecker:
    """The vault's `SignatureChecker` port over the bounded verifier (worker processes)."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier
        self.max_document_bytes = verifier.max_document_bytes

    def __call__(self, pdf: bytes) -> SignatureVerdict:
        try:
            report = self._verifier.verify(pdf)
        except (VerifierBusy, VerifierClosed) as exc:
            raise SignatureCheckUnavailable(f"the verifier cannot check now: {exc}") from exc
        if report.problem is not None and report.problem.code in _TRANSIENT:
            raise SignatureCheckUnavailable(f"the verifier could not finish: {report.problem.code}")
        return verdict_of(report)
