"""Signature verdicts in plain words, from the same Verifier as `POST /api/v1/verifications`.

Badges show the verdict the vault recorded (`vault.signatures`: reuse checks signed papers
on offer, and every full verification of a stored paper records its outcome); a paper not
yet checked shows "unknown" (checking every signed paper of a warehouse on each listing
would cost seconds)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.routers.verifications import get_verifier
from signing.verify import (
    Indication,
    SignatureReport,
    SubIndication,
    VerificationReport,
    VerifierBusy,
    VerifierClosed,
)
from vault.domain import Document, SignatureCheck, SignatureStatus

NO_SIGNATURE = "NO_SIGNATURE"


@dataclass(frozen=True, slots=True)
class SignatureLine:
    indication: str
    signer: str | None
    organization: str | None
    signed_at: object  # datetime | None, formatted by the template
    proven: bool
    level: str
    reasons: tuple[str, ...]  # i18n keys of what failed
    certification: bool


@dataclass(frozen=True, slots=True)
class PlainReport:
    indication: str  # TOTAL_PASSED | TOTAL_FAILED | INDETERMINATE | NO_SIGNATURE
    sentence: str  # i18n key of the one-sentence verdict
    problem: str | None
    signatures: tuple[SignatureLine, ...]
    pages: int | None
    sha256: str | None


_SUB_KEYS = {
    SubIndication.HASH_FAILURE: "sig.why.hash",
    SubIndication.SIG_CRYPTO_FAILURE: "sig.why.crypto",
    SubIndication.REVOKED: "sig.why.revoked",
    SubIndication.REVOKED_NO_POE: "sig.why.revoked",
    SubIndication.REVOKED_CA_NO_POE: "sig.why.revoked",
    SubIndication.EXPIRED: "sig.why.expired",
    SubIndication.OUT_OF_BOUNDS_NO_POE: "sig.why.expired",
    SubIndication.OUT_OF_BOUNDS_NOT_REVOKED: "sig.why.expired",
    SubIndication.NOT_YET_VALID: "sig.why.not_yet_valid",
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: "sig.why.untrusted",
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: "sig.why.untrusted",
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE: "sig.why.untrusted",
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: "sig.why.no_certificate",
    SubIndication.TRY_LATER: "sig.why.revocation_unknown",
    SubIndication.REVOCATION_OUT_OF_BOUNDS_NO_POE: "sig.why.revocation_unknown",
    SubIndication.FORMAT_FAILURE: "sig.why.format",
}


def _line(s: SignatureReport) -> SignatureLine:
    reasons: list[str] = []
    if s.indication is not Indication.TOTAL_PASSED:
        if s.sub_indication is not None:
            reasons.append(_SUB_KEYS.get(s.sub_indication, "sig.why.other"))
        if s.modifications is not None and not s.modifications.permitted:
            reasons.append("sig.why.modified")
        if not reasons:
            reasons.append("sig.why.other")
    signer = s.signer
    return SignatureLine(
        indication=s.indication.value,
        signer=(signer.common_name or signer.subject) if signer else None,
        organization=signer.organization if signer else None,
        signed_at=s.proven_signing_time or s.claimed_signing_time,
        proven=s.proven_signing_time is not None,
        level=s.level.value,
        reasons=tuple(dict.fromkeys(reasons)),
        certification=s.certification,
    )


def plain(report: VerificationReport) -> PlainReport:
    if report.problem is not None:
        indication = Indication.INDETERMINATE.value
        sentence = "verdict.cannot_check"
    elif not report.signatures:
        indication, sentence = NO_SIGNATURE, "verdict.no_signature"
    else:
        indication = report.bottom_line.value
        sentence = {
            "TOTAL_PASSED": "verdict.passed",
            "TOTAL_FAILED": "verdict.failed",
        }.get(indication, "verdict.indeterminate")
    return PlainReport(
        indication=indication,
        sentence=sentence,
        problem=report.problem.message if report.problem else None,
        signatures=tuple(_line(s) for s in report.signatures),
        pages=report.document.pages if report.document else None,
        sha256=report.document.sha256 if report.document else None,
    )


def verify_plain(request: Request, data: bytes) -> PlainReport:
    """Raises VerifierBusy / VerifierClosed as the API endpoint sees them."""
    return plain(get_verifier(request).verify(data))


def badge(document: Document, check: SignatureCheck | None) -> str:
    """valid | invalid | unsigned | unknown, for the warehouse table."""
    if not document.has_signature:
        return "unsigned"
    if check is None:
        return "unknown"
    return {
        SignatureStatus.VALID: "valid",
        SignatureStatus.INVALID: "invalid",
        SignatureStatus.UNSIGNED: "unsigned",
    }.get(check.status, "unknown")


__all__ = [
    "NO_SIGNATURE",
    "PlainReport",
    "VerifierBusy",
    "VerifierClosed",
    "badge",
    "plain",
    "verify_plain",
]
