"""Whether a paper's signature lets it be reused (tái sử dụng), and the words for why: the one
home of the rule that the reuse plan (`vault.services.reuse`) and the attach-time check
(`vault.services.signatures`) both apply.

What may be reused: an unsigned paper, a VALID one, or an INDETERMINATE one whose only doubt
is revocation freshness (an intact signature by a trusted signer, checked offline).
Everything else that carries a signature is refused: broken, revoked, untrusted chain,
unreadable, too large, and a paper VALID only with changes made after signing
(CHANGED_AFTER_SIGNING: annotations, form filling, a page that looks different, a
DocMDP/FieldMDP violation): the verifier's reference policy passes those with warnings for a
person to read, but reuse hands the paper on without one reading them, so it stays as strict
as the vault's strict policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from vault.domain import Document, SignatureCheck, SignatureStatus

# Sub-indications that only say revocation data was not fresh enough to be sure: the
# signature itself is intact and chains to a trusted root.
REVOCATION_ONLY = frozenset({"TRY_LATER", "REVOCATION_OUT_OF_BOUNDS_NO_POE"})
# The detail of a VALID verdict whose signatures hold only with warned-of changes made after
# signing (annotations, form filling, visual difference, DocMDP/FieldMDP violations).
CHANGED_AFTER_SIGNING = "CHANGED_AFTER_SIGNING"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a paper cannot stand for a component, or a note on one that can: `code` for
    whoever words it for people (the console), `text` the English the API gives."""

    code: str
    text: str
    day: date | None = None  # the date the reason is about (expiry)

    def __str__(self) -> str:
        return self.text


def acceptable(check: SignatureCheck) -> bool:
    if check.status is SignatureStatus.UNSIGNED:
        return True
    if check.status is SignatureStatus.VALID:
        return check.detail != CHANGED_AFTER_SIGNING
    return check.status is SignatureStatus.INDETERMINATE and check.detail in REVOCATION_ONLY


def changed_after_signing(check: SignatureCheck) -> bool:
    return check.status is SignatureStatus.VALID and check.detail == CHANGED_AFTER_SIGNING


def refusal_reason(check: SignatureCheck) -> str:
    """Why reuse refuses a paper whose signature does not hold, in the reuse plan's words."""
    why = f" ({check.detail})" if check.detail else ""
    if changed_after_signing(check):
        return (
            "signature valid only with changes made after signing (annotations, form "
            "filling or a different-looking page)"
        )
    if check.status is SignatureStatus.INVALID:
        return f"signature invalid{why}"
    return f"signature not verifiable{why}"


def signature_refusal(check: SignatureCheck) -> Reason:
    if changed_after_signing(check):
        code = "signature_changed_after_signing"
    elif check.status is SignatureStatus.INVALID:
        code = "signature_invalid"
    else:
        code = "signature_not_verifiable"
    return Reason(code, refusal_reason(check))


def signature_notes(document: Document, check: SignatureCheck | None) -> list[Reason]:
    if not document.has_signature:
        return [Reason("unsigned", "no digital signature")]
    if check is None:
        return [Reason("signature_unchecked", "signed; signature not checked yet")]
    signer = f" by {check.signer}" if check.signer else ""
    if changed_after_signing(check):
        text = f"signature valid (signed{signer}) only with changes made after signing"
        return [Reason("signature_changed_after_signing", text)]
    if check.status is SignatureStatus.VALID:
        return [Reason("signature_valid", f"signature valid (signed{signer})")]
    if check.status is SignatureStatus.INDETERMINATE:
        text = f"signature intact (signed{signer}); revocation not confirmed ({check.detail})"
        return [Reason("signature_revocation_unconfirmed", text)]
    return [Reason("unsigned", "no digital signature")]
