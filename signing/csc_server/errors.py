"""Errors of the signing service. Domain data only: `api.csc` maps them to CSC JSON errors.

No error message ever carries a PIN, an OTP, a SAD or a bearer token.
"""

from __future__ import annotations


class SigningServiceError(Exception):
    """Base of every error the signing service raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRequest(SigningServiceError):
    """A parameter is missing, malformed, or names something the service does not support."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


class UnknownCredential(SigningServiceError):
    """No such credential, or one the caller may not use (the two look the same on purpose)."""


class CallerNotAuthenticated(SigningServiceError):
    """The calling system sent no bearer token, or one the service does not know."""


class WrongAuthenticationFactor(SigningServiceError):
    """A wrong PIN or OTP. Counted against the credential."""

    def __init__(self, factor: str, detail: str) -> None:
        super().__init__(detail)
        self.factor = factor  # "PIN" or "OTP"


class CredentialLocked(SigningServiceError):
    """Too many wrong PINs/OTPs: the credential signs nothing until an operator unlocks it."""


class CredentialUnusable(SigningServiceError):
    """The credential's certificate is expired or not yet valid: nothing can be signed with it."""


class RetryLater(SigningServiceError):
    """An authorization attempt came too soon after a wrong PIN/OTP (not counted)."""

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class InvalidSAD(SigningServiceError):
    """The SAD is unknown, expired, already used, or bound to other hashes or a credential."""


class TokenFailure(SigningServiceError):
    """The PKCS#11 token failed or refused the operation."""


class SignatureCheckFailed(SigningServiceError):
    """A signature the token produced did not verify against the certificate: not returned."""


class AuditUnavailable(SigningServiceError):
    """The signature log could not be written: no signature leaves the service unlogged."""


class ConfigurationError(SigningServiceError):
    """The service's configuration is inconsistent (a missing key, an unreadable chain...)."""
