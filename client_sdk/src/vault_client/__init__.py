"""Python client for the citizen document vault.

from vault_client import VaultClient

with VaultClient() as client:          # configured from CITIZEN_VAULT_* variables
    owner = client.owners.lookup("079203001234")
    for doc in client.documents.list(owner=owner):
        print(doc.paper_type, doc.title)
"""

from vault_client import types
from vault_client._client import AsyncVaultClient, VaultClient
from vault_client._config import ConfigurationError
from vault_client._credentials import AccessToken, ClientCredentials, Credentials, Password
from vault_client._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentIntegrityError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServiceUnavailableError,
    VaultError,
)
from vault_client._retry import RetryPolicy
from vault_client._streams import AsyncContentStream, ContentStream
from vault_client._version import __version__
from vault_client.pagination import (
    AsyncCursorPage,
    AsyncPaginator,
    AsyncSignInsPage,
    CursorPage,
    SignInsPage,
)
from vault_client.types.enums import DocumentOrigin, OwnerKind, Reuse
from vault_client.types.signing import PadesLevel, RefusalReason
from vault_client.types.verification import VerificationReport

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AccessToken",
    "AsyncContentStream",
    "AsyncCursorPage",
    "AsyncPaginator",
    "AsyncSignInsPage",
    "AsyncVaultClient",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentials",
    "ConfigurationError",
    "ConflictError",
    "ContentIntegrityError",
    "ContentStream",
    "Credentials",
    "CursorPage",
    "DocumentOrigin",
    "InternalServerError",
    "NotFoundError",
    "OwnerKind",
    "PadesLevel",
    "Password",
    "PermissionDeniedError",
    "RateLimitError",
    "RefusalReason",
    "ResponseValidationError",
    "RetryPolicy",
    "Reuse",
    "ServiceUnavailableError",
    "SignInsPage",
    "VaultClient",
    "VaultError",
    "VerificationReport",
    "__version__",
    "types",
]
