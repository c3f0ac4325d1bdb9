"""Verification of signed PDFs (PAdES): bytes in, a report modelled on the EU DSS simple
report out, never an exception and never a hang.
"""

from signing.verify.cli import cli_main
from signing.verify.engine import analyse_pdf
from signing.verify.errors import (
    TrustConfigurationError,
    VerifierBusy,
    VerifierClosed,
    VerifierError,
)
from signing.verify.pool import Verifier, close_shared_verifiers, verify_pdf
from signing.verify.report import (
    AdesResult,
    CertificateInfo,
    ChangeKind,
    Coverage,
    DocumentInfo,
    Finding,
    Indication,
    IntegrityFacts,
    Modifications,
    ObjectChange,
    PageChange,
    Problem,
    ProblemCode,
    RevisionReport,
    RevocationInfo,
    RevocationStatus,
    Severity,
    SignatureLevel,
    SignatureReport,
    SignatureScope,
    SubIndication,
    TimestampKind,
    TimestampReport,
    VerificationReport,
)
from signing.verify.trust import TrustSettings, VerificationPolicy

__all__ = [
    "AdesResult",
    "CertificateInfo",
    "ChangeKind",
    "Coverage",
    "DocumentInfo",
    "Finding",
    "Indication",
    "IntegrityFacts",
    "Modifications",
    "ObjectChange",
    "PageChange",
    "Problem",
    "ProblemCode",
    "RevisionReport",
    "RevocationInfo",
    "RevocationStatus",
    "Severity",
    "SignatureLevel",
    "SignatureReport",
    "SignatureScope",
    "SubIndication",
    "TimestampKind",
    "TimestampReport",
    "TrustConfigurationError",
    "TrustSettings",
    "VerificationPolicy",
    "VerificationReport",
    "Verifier",
    "VerifierBusy",
    "VerifierClosed",
    "VerifierError",
    "analyse_pdf",
    "cli_main",
    "close_shared_verifiers",
    "verify_pdf",
]
