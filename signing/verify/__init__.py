"""Verification of signed PDFs (PAdES): bytes in, a report modelled on the EU DSS simple
report out, never an exception and never a hang.

Names load on first use (PEP 562): `vault verify` and the report types must not pay for
pyHanko, which only the worker processes need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "AdesResult": "signing.verify.report",
    "CertificateInfo": "signing.verify.report",
    "ChangeKind": "signing.verify.report",
    "Coverage": "signing.verify.report",
    "DocumentInfo": "signing.verify.report",
    "Finding": "signing.verify.report",
    "Indication": "signing.verify.report",
    "IntegrityFacts": "signing.verify.report",
    "Modifications": "signing.verify.report",
    "ObjectChange": "signing.verify.report",
    "PageChange": "signing.verify.report",
    "Problem": "signing.verify.report",
    "ProblemCode": "signing.verify.report",
    "RevisionReport": "signing.verify.report",
    "RevocationInfo": "signing.verify.report",
    "RevocationStatus": "signing.verify.report",
    "Severity": "signing.verify.report",
    "SignatureLevel": "signing.verify.report",
    "SignatureReport": "signing.verify.report",
    "SignatureScope": "signing.verify.report",
    "SubIndication": "signing.verify.report",
    "TimestampKind": "signing.verify.report",
    "TimestampReport": "signing.verify.report",
    "TrustConfigurationError": "signing.verify.errors",
    "TrustSettings": "signing.verify.trust",
    "VerificationPolicy": "signing.verify.trust",
    "VerificationReport": "signing.verify.report",
    "Verifier": "signing.verify.pool",
    "VerifierBusy": "signing.verify.errors",
    "VerifierClosed": "signing.verify.errors",
    "VerifierError": "signing.verify.errors",
    "analyse_pdf": "signing.verify.engine",
    "cannot_validate": "signing.verify.report",
    "cli_main": "signing.verify.cli",
    "close_shared_verifiers": "signing.verify.pool",
    "verify_pdf": "signing.verify.pool",
}

if TYPE_CHECKING:
    from signing.verify.cli import (
        cli_main,
    )
    from signing.verify.engine import (
        analyse_pdf,
    )
    from signing.verify.errors import (
        TrustConfigurationError,
        VerifierBusy,
        VerifierClosed,
        VerifierError,
    )
    from signing.verify.pool import (
        Verifier,
        close_shared_verifiers,
        verify_pdf,
    )
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
        cannot_validate,
    )
    from signing.verify.trust import (
        TrustSettings,
        VerificationPolicy,
    )

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
    "cannot_validate",
    "cli_main",
    "close_shared_verifiers",
    "verify_pdf",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
