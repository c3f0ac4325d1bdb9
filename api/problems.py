"""Errors as RFC 9457 problem details, from one mapping table."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from signing.issuing.pades import SigningUnavailable
from vault.crypto import UnknownMasterKey
from vault.db import DATABASE_DOWN
from vault.db.unit_of_work import DatabaseUnavailable
from vault.errors import (
    AuditUnavailable,
    AuthenticationFailed,
    Conflict,
    ContentTooLarge,
    IntegrityFailure,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RangeNotSatisfiable,
    RateLimited,
    SignatureCheckUnavailable,
    StorageUnavailable,
    UnreadableContent,
    UnsupportedMediaType,
    VaultError,
)
from vault.integrations import (
    IntegrationProtocolError,
    IntegrationRefused,
    IntegrationUnavailable,
)
from vault.retention import DocumentDisposed, RetainedRecord

log = logging.getLogger("api.problems")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:vault:problem:"

# Most specific first: the first class an error is an instance of decides.
ERROR_TABLE: list[tuple[type[VaultError], int, str, str]] = [
    (InvalidInput, 422, "invalid-input", "Invalid input"),
    (AuthenticationFailed, 401, "unauthenticated", "Authentication required"),
    (PermissionDenied, 403, "forbidden", "Forbidden"),
    (RateLimited, 429, "rate-limited", "Too many requests"),
    (AuditUnavailable, 503, "audit-unavailable", "Audit log unavailable"),
    (
        SignatureCheckUnavailable,
        503,
        "signature-check-unavailable",
        "Signature check unavailable",
    ),
    (SigningUnavailable, 503, "signing-unavailable", "Signing service unavailable"),
    (IntegrationUnavailable, 503, "peer-unavailable", "Outside system unavailable"),
    (IntegrationRefused, 502, "peer-refused", "Outside system refused"),
    (IntegrationProtocolError, 502, "peer-protocol-error", "Outside system answered badly"),
    (NotFound, 404, "not-found", "Not found"),
    (RetainedRecord, 409, "retained-record", "Retained record"),
    (DocumentDisposed, 410, "disposed", "Disposed of"),
    (Conflict, 409, "conflict", "Conflict"),
    (UnsupportedMediaType, 415, "unsupported-media-type", "Unsupported media type"),
    (UnreadableContent, 422, "unreadable-content", "Unreadable content"),
    (ContentTooLarge, 413, "content-too-large", "Content too large"),
    (RangeNotSatisfiable, 416, "range-not-satisfiable", "Range not satisfiable"),
    (StorageUnavailable, 503, "storage-unavailable", "Object store unavailable"),
    (DatabaseUnavailable, 503, "database-unavailable", "Database unavailable"),
    (UnknownMasterKey, 500, "key-unavailable", "Encryption key unavailable"),
    (IntegrityFailure, 500, "integrity-failure", "Stored content failed its integrity check"),
]


def problem(
    status: int, slug: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    body["instance"] = instance
    body.update(extra)
    # Also set here: a 500 is answered outside the middleware that adds them elsewhere.
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _instance(request: Request) -> str:
    # The path only: query strings may carry search terms; paths carry opaque ids only.
    return request.url.path


def vault_error_response(request: Request, exc: VaultError) -> JSONResponse:
    status, slug, title = next(
        ((st, sl, ti) for cls, st, sl, ti in ERROR_TABLE if isinstance(exc, cls)),
        (500, "internal", "Internal error"),
    )
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [{"field": exc.field, "detail": exc.detail}]
    if isinstance(exc, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="vault"'
    if isinstance(exc, RateLimited | SignatureCheckUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if status >= 500:
        log.error("%s on %s %s: %s", slug, request.method, _instance(request), exc.detail)
    response = problem(status, slug, title, exc.detail, _instance(request), **extra)
    response.headers.update(headers)
    return response


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


# What FastAPI says when a body cannot be decoded at all (fastapi.routing).
_UNPARSABLE_BODY = "There was an error parsing the body"


def _error(error: Any) -> dict[str, str]:
    if error.get("type") == "json_invalid":
        # FastAPI puts the character position in `loc`; the field is the body itself.
        reason = error.get("ctx", {}).get("error", "")
        position = error["loc"][-1]
        return {"field": "body", "detail": f"not valid JSON: {reason} at character {position}"}
    return {"field": _field(tuple(error["loc"])), "detail": error["msg"]}


def install(app: FastAPI) -> None:
    @app.exception_handler(VaultError)
    async def _vault_error(request: Request, exc: VaultError) -> JSONResponse:
        return vault_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_error(e) for e in exc.errors()]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            "invalid-input",
            "Invalid input",
            f"invalid: {fields}",
            _instance(request),
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's and Starlette's answer to a body they could not decode (not UTF-8, a
            # broken multipart body): the same 422 as a body that is not JSON (README).
            detail = "the body could not be decoded"
            if exc.detail != _UNPARSABLE_BODY:
                detail = f"malformed body: {exc.detail}"
            return problem(
                422,
                "invalid-input",
                "Invalid input",
                "invalid: body",
                _instance(request),
                errors=[{"field": "body", "detail": detail}],
            )
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        response = problem(
            exc.status_code, slug, str(exc.detail), str(exc.detail), _instance(request)
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    for error in DATABASE_DOWN:

        @app.exception_handler(error)
        async def _database_down(request: Request, exc: Exception) -> JSONResponse:
            log.error("database unavailable on %s %s", request.method, _instance(request))
            return problem(
                503,
                "database-unavailable",
                "Database unavailable",
                "the metadata database is not available",
                _instance(request),
            )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, _instance(request))
        return problem(500, "internal", "Internal error", "unexpected error", _instance(request))
