"""Signature badges for the warehouse: the verdict the vault recorded (`vault.signatures`:
reuse checks signed papers on offer, and every full verification of a stored paper records
its outcome); a paper not yet checked shows "unknown" (checking every signed paper of a
warehouse on each listing would cost seconds). Reports themselves are worded by
`api.verification_wording`, for every page alike."""

from __future__ import annotations

from signing.verify import VerifierBusy, VerifierClosed
from vault.domain import Document, SignatureCheck, SignatureStatus
from vault.services.reuse_rule import changed_after_signing


def badge(document: Document, check: SignatureCheck | None) -> str:
    """valid | changed | invalid | unsigned | unknown, for the warehouse table. "changed":
    the signatures hold, but the file was annotated or filled in after signing (not
    reusable)."""
    if not document.has_signature:
        return "unsigned"
    if check is None:
        return "unknown"
    if changed_after_signing(check):
        return "changed"
    return {
        SignatureStatus.VALID: "valid",
        SignatureStatus.INVALID: "invalid",
        SignatureStatus.UNSIGNED: "unsigned",
    }.get(check.status, "unknown")


__all__ = ["VerifierBusy", "VerifierClosed", "badge"]
