"""Errors of the verifier. A verdict about a document is never an exception: it is a
`VerificationReport`. These are about the verifier itself (configuration, capacity)."""

from __future__ import annotations


class VerifierError(Exception):
    """Base of the verifier's own errors."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TrustConfigurationError(VerifierError):
    """Trust anchors could not be loaded, or none are configured where some are required."""


class VerifierBusy(VerifierError):
    """Every worker is busy and none became free in time: try again later."""

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class VerifierClosed(VerifierError):
    """The verifier was closed."""
