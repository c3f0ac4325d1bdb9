"""One exception class per kind of failure, mapped from the HTTP status in one place.

VaultError
├── APIError                      (a request was made; `.request` says which)
│   ├── APIConnectionError        (no usable response: refused, reset, DNS …)
│   │   └── APITimeoutError
│   ├── APIStatusError            (the server answered 4xx/5xx; `.problem` has the details,
│   │                              `.error`/`.error_description` the token endpoint's)
│   │   ├── BadRequestError       (400, 413, 415, 416, 422: `.field_errors`)
│   │   ├── AuthenticationError   (401)
│   │   ├── PermissionDeniedError (403; and the token endpoint's 400 unauthorized_client)
│   │   ├── NotFoundError         (404)
│   │   ├── ConflictError         (409)
│   │   ├── RateLimitError        (429: `.retry_after`)
│   │   └── InternalServerError   (5xx)
│   │       └── ServiceUnavailableError (503)
│   └── ResponseValidationError   (a 2xx body the SDK could not read)
└── ContentIntegrityError         (a download's SHA-256 is not the vault's)
"""

from __future__ import annotations

import email.utils
import json
import time

import httpx
from pydantic import ValidationError

from vault_client.types.problems import FieldError, OAuthError, Problem

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ContentIntegrityError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServiceUnavailableError",
    "VaultError",
]


class VaultError(Exception):
    """The base of every error this SDK raises."""


class APIError(VaultError):
    """A request to the vault failed. `request` is the httpx request (its repr shows the
    method and URL only, never the Authorization header)."""

    def __init__(self, message: str, request: httpx.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """No usable response: connection refused or reset, DNS failure, broken stream."""

    def __init__(self, request: httpx.Request, message: str = "Connection error.") -> None:
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    def __init__(self, request: httpx.Request) -> None:
        super().__init__(request, "Request timed out.")


class APIStatusError(APIError):
    """The vault answered with an error status. `problem` holds its RFC 9457 problem details
    (type, title, status, detail, instance, and field errors for invalid input). The OAuth2
    token endpoint answers RFC 6749 § 5.2 errors instead: `oauth_error` holds that document,
    and `error` / `error_description` its two fields (also in `problem.title`/`detail`)."""

    def __init__(
        self, response: httpx.Response, problem: Problem, oauth_error: OAuthError | None = None
    ) -> None:
        title = problem.title or response.reason_phrase
        text = f"{response.status_code} {title}"
        if problem.detail and problem.detail != title:
            text += f": {problem.detail}"
        super().__init__(text, response.request)
        self.response = response
        self.status_code = response.status_code
        self.problem = problem
        self.oauth_error = oauth_error

    @property
    def error(self) -> str | None:
        """The RFC 6749 error code of a failed token request ("invalid_client" …), else None."""
        return self.oauth_error.error if self.oauth_error else None

    @property
    def error_description(self) -> str | None:
        """The token endpoint's words on why it issued no token, else None."""
        return self.oauth_error.error_description if self.oauth_error else None

    @property
    def detail(self) -> str:
        return self.problem.detail

    @property
    def title(self) -> str:
        return self.problem.title

    @property
    def type(self) -> str:
        """The problem type URI, e.g. "urn:vault:problem:not-found"."""
        return self.problem.type

    @property
    def field_errors(self) -> list[FieldError]:
        return list(self.problem.errors)


class BadRequestError(APIStatusError):
    """The request was refused as invalid (400, 413, 415, 416, 422). `field_errors` lists
    each invalid field with why."""


class AuthenticationError(APIStatusError):
    """401: no token, a bad or expired one, or wrong client credentials."""

    @property
    def www_authenticate(self) -> str | None:
        value: str | None = self.response.headers.get("WWW-Authenticate")
        return value


class PermissionDeniedError(APIStatusError):
    """403: signed in, but this officer, agency or owner may not do that. Also the token
    endpoint's refusal to let an agency system act for an officer (RFC 6749's 400
    `unauthorized_client`: another agency's officer, or one disabled)."""


class NotFoundError(APIStatusError):
    """404: no such thing, or none this caller may know about."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state (a closed dossier, a taken code)."""


class RateLimitError(APIStatusError):
    """429: too many requests. `retry_after` is the seconds the vault asked to wait."""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.response.headers)


class InternalServerError(APIStatusError):
    """5xx: the vault (or a gateway in front of it) failed."""


class ServiceUnavailableError(InternalServerError):
    """503: the database, object store or audit log is unavailable for now."""


class ResponseValidationError(APIError):
    """The vault answered 2xx with a body this SDK could not read (a version mismatch?)."""

    def __init__(self, response: httpx.Response, error: ValidationError | ValueError) -> None:
        super().__init__(
            f"unexpected response to {response.request.method} {response.request.url.path}: "
            f"{error}",
            response.request,
        )
        self.response = response
        self.status_code = response.status_code


class ContentIntegrityError(VaultError):
    """The downloaded bytes' SHA-256 is not the one the vault holds for the document."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"downloaded content has SHA-256 {actual}, the vault's is {expected}")
        self.expected = expected
        self.actual = actual


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: BadRequestError,
    415: BadRequestError,
    416: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


# RFC 6749 answers these with 400, but they are refusals of a known client: the client may
# not act for that officer (another agency's, or one disabled). Raised as the 403 would be.
_REFUSALS = frozenset({"unauthorized_client", "access_denied"})


def read_oauth_error(response: httpx.Response) -> OAuthError | None:
    """The RFC 6749 § 5.2 error document in an error response (the token endpoint's), if
    the body is one: a JSON object with a string `error` and no problem `type`."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str) or "type" in body:
        return None
    try:
        return OAuthError.model_validate(body)
    except ValidationError:
        return None


def read_problem(response: httpx.Response, oauth: OAuthError | None = None) -> Problem:
    """The problem details in an error response; for an RFC 6749 error, one made of it
    (title: the error code, detail: its description); else a stand-in built from the status
    line when the body is not one (a gateway's HTML page, say)."""
    if oauth is not None:
        return Problem(
            title=oauth.error, status=response.status_code, detail=oauth.error_description or ""
        )
    if "json" in response.headers.get("content-type", ""):
        try:
            return Problem.model_validate_json(response.content)
        except ValidationError:
            pass
    text = response.text[:500] if response.content else ""
    return Problem(title=response.reason_phrase, status=response.status_code, detail=text.strip())


def status_error(response: httpx.Response) -> APIStatusError:
    """The exception for an error response, whose body must have been read."""
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    oauth = read_oauth_error(response)
    if oauth is not None and oauth.error in _REFUSALS:
        cls = PermissionDeniedError
    return cls(response, read_problem(response, oauth), oauth)


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date), or None."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
