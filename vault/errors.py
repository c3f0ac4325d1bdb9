"""Domain errors. They carry domain data only; the HTTP layer maps them to status codes."""

from __future__ import annotations


class VaultError(Exception):
    """Base of every error the vault raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(VaultError):
    """A value broke a domain rule (a malformed identifier, an impossible date, ...)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


class NotFound(VaultError):
    """The thing asked for does not exist (or the caller may not know that it does)."""


class Conflict(VaultError):
    """The request contradicts the current state (already superseded, duplicate code, ...)."""


class UnsupportedMediaType(VaultError):
    """The content is none of the accepted kinds (decided from the bytes, not the client's word)."""


class UnreadableContent(VaultError):
    """The content claims an accepted kind but is corrupt, truncated or hostile."""


class ContentTooLarge(VaultError):
    """The content is over a configured limit (bytes, pixels, pages)."""

    def __init__(self, detail: str, limit: int) -> None:
        super().__init__(detail)
        self.limit = limit


class RangeNotSatisfiable(VaultError):
    def __init__(self, detail: str, size: int) -> None:
        super().__init__(detail)
        self.size = size


class IntegrityFailure(VaultError):
    """Stored bytes do not match what was written: tampering or corruption. Never served."""


class StorageUnavailable(VaultError):
    """The object store could not be reached or refused the operation."""


class AuthenticationFailed(VaultError):
    """No valid credentials: a missing, forged, expired or foreign token, a wrong password."""


class PermissionDenied(VaultError):
    """Authenticated, but this actor may not do this (and the attempt is audited)."""


class RateLimited(VaultError):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class SignatureCheckUnavailable(VaultError):
    """A paper's digital signature must be checked first, and the verifier cannot now."""

    retry_after = 5


class AuditUnavailable(VaultError):
    """The audit log could not be written: nothing is served unaudited."""
