"""The signing service's HTTP layer: the Cloud Signature Consortium API over `signing.csc_server`.

Endpoints (POST, JSON) under `/csc/v1/` and `/csc/v2/`: `info`, `credentials/list`,
`credentials/info`, `credentials/authorize`, `signatures/signHash`. Both prefixes accept the
CSC v1.0.4 field names (`hash`, `hashAlgo`, `PIN`, `OTP` — what pyHanko's `CSCSigner` sends)
and the v2 ones (`hashes`, `hashAlgorithmOID`, `authData`). Errors are CSC/OAuth JSON,
`{"error": "...", "error_description": "..."}`, mapped from `signing.csc_server.errors` in one
table.

Every endpoint but `info` needs the calling system's bearer token. Nothing here logs a
request body: bodies carry PINs, OTPs and SADs.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import logging
import math
import sys
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from signing.csc_server.algorithms import HashAlgorithm
from signing.csc_server.callers import Caller
from signing.csc_server.errors import (
    AuditUnavailable,
    CallerNotAuthenticated,
    ConfigurationError,
    CredentialLocked,
    CredentialUnusable,
    InvalidRequest,
    InvalidSAD,
    RetryLater,
    SignatureCheckFailed,
    SigningServiceError,
    TokenFailure,
    UnknownCredential,
    WrongAuthenticationFactor,
)
from signing.csc_server.server_settings import SigningSettings
from signing.csc_server.service import SERVICE_NAME, CredentialInfo, SigningService

log = logging.getLogger("api.csc")

SPECS = {"v1": "1.0.4.0", "v2": "2.0.0.2"}
METHODS = [
    "credentials/list",
    "credentials/info",
    "credentials/authorize",
    "signatures/signHash",
]

# Most specific first: the first class an error is an instance of decides.
ERROR_TABLE: list[tuple[type[SigningServiceError], int, str]] = [
    (InvalidRequest, 400, "invalid_request"),
    (UnknownCredential, 400, "invalid_request"),
    (InvalidSAD, 400, "invalid_request"),
    (CallerNotAuthenticated, 401, "invalid_token"),
    (CredentialLocked, 403, "access_denied"),
    (CredentialUnusable, 403, "access_denied"),
    (RetryLater, 429, "slow_down"),
    (AuditUnavailable, 503, "temporarily_unavailable"),
    (TokenFailure, 503, "temporarily_unavailable"),
    (SignatureCheckFailed, 500, "server_error"),
    (ConfigurationError, 500, "server_error"),
]


def csc_error(status: int, error: str, description: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", **headers},
    )


def error_response(exc: SigningServiceError) -> JSONResponse:
    if isinstance(exc, WrongAuthenticationFactor):
        # CSC's own codes for a wrong PIN/OTP; the signer, not the calling system, erred.
        return csc_error(400, f"invalid_{exc.factor.lower()}", exc.detail)
    status, error = next(
        ((st, err) for cls, st, err in ERROR_TABLE if isinstance(exc, cls)),
        (500, "server_error"),
    )
    headers: dict[str, str] = {}
    if isinstance(exc, CallerNotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if isinstance(exc, RetryLater):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if status >= 500:
        log.error("%s: %s", type(exc).__name__, exc.detail)
    return csc_error(status, error, exc.detail, **headers)


# -- request parsing -----------------------------------------------------------------------


MAX_BODY_BYTES = 256 * 1024  # a signHash of `multisign` hashes is a few KiB


async def _body(request: Request) -> dict[str, Any]:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InvalidRequest("body", "The request body is too large")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidRequest("body", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequest("body", "The request body must be a JSON object")
    return body


def _string(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidRequest(name, f"Missing (or invalid type) string parameter {name}")
        return None
    if not isinstance(value, str):
        raise InvalidRequest(name, f"Missing (or invalid type) string parameter {name}")
    return value


def _integer(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidRequest(name, f"Missing (or invalid type) integer parameter {name}")
    try:
        return int(value)
    except ValueError:
        raise InvalidRequest(name, f"Invalid value for parameter {name}") from None


def _hashes(body: dict[str, Any]) -> list[bytes]:
    """`hash` (v1.0.4) or `hashes` (v2): base64 digests. Both may be sent only if equal."""
    v1, v2 = body.get("hash"), body.get("hashes")
    if v1 is not None and v2 is not None and v1 != v2:
        raise InvalidRequest("hashes", "Parameters hash and hashes differ")
    values = v1 if v1 is not None else v2
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise InvalidRequest("hashes", "Missing (or invalid type) array parameter hash")
    try:
        return [base64.b64decode(v, validate=True) for v in values]
    except (binascii.Error, ValueError):
        raise InvalidRequest("hashes", "Invalid Base64 hash string parameter") from None


def _hash_algorithm_oid(body: dict[str, Any]) -> str | None:
    v1 = _string(body, "hashAlgo")
    v2 = _string(body, "hashAlgorithmOID")
    if v1 and v2 and v1 != v2:
        raise InvalidRequest("hashAlgorithmOID", "Parameters hashAlgo and hashAlgorithmOID differ")
    return v1 or v2


def _auth_factors(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """PIN and OTP: top-level `PIN`/`OTP` (v1.0.4) or `authData` [{id, value}] (v2)."""
    pin, otp = _string(body, "PIN"), _string(body, "OTP")
    auth_data = body.get("authData")
    if auth_data is not None:
        if not isinstance(auth_data, list):
            raise InvalidRequest("authData", "Missing (or invalid type) array parameter authData")
        for item in auth_data:
            if not isinstance(item, dict) or not isinstance(item.get("value"), str):
                raise InvalidRequest("authData", "Invalid parameter authData")
            kind = str(item.get("id", "")).upper()
            if kind == "PIN":
                pin = item["value"]
            elif kind == "OTP":
                otp = item["value"]
            else:
                raise InvalidRequest("authData", f"Unsupported authData id {item.get('id')!r}")
    return pin, otp


# -- responses -----------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _generalized_time(value: Any) -> str:
    return str(value.strftime("%Y%m%d%H%M%SZ"))


def _credential_info(info: CredentialInfo, certificates: str, cert_info: bool) -> dict[str, Any]:
    credential = info.credential
    key: dict[str, Any] = {
        "status": "enabled" if info.key_enabled else "disabled",
        "algo": [a.oid for a in credential.algorithms],
        "len": credential.key_bits,
    }
    if credential.curve_oid:
        key["curve"] = credential.curve_oid
    cert: dict[str, Any] = {}
    if info.certificate_status in ("valid", "expired"):
        cert["status"] = info.certificate_status
    if certificates != "none":
        chain = credential.chain if certificates == "chain" else credential.chain[:1]
        cert["certificates"] = [_b64(c.public_bytes(Encoding.DER)) for c in chain]
    if cert_info:
        signer = credential.certificate
        cert.update(
            issuerDN=signer.issuer.rfc4514_string(),
            serialNumber=format(signer.serial_number, "x"),
            subjectDN=signer.subject.rfc4514_string(),
            validFrom=_generalized_time(signer.not_valid_before_utc),
            validTo=_generalized_time(signer.not_valid_after_utc),
        )
    objects = []
    response: dict[str, Any] = {
        "description": credential.description,
        "key": key,
        "cert": cert,
        "authMode": "explicit",
        "SCAL": "2",  # a SAD is bound to the hashes it was asked for
        "multisign": credential.multisign,
        "lang": "vi-VN",
    }
    if credential.pin_hash is not None:
        response["PIN"] = {"presence": "true", "format": "N", "label": "PIN"}
        objects.append({"type": "Password", "id": "PIN", "format": "N", "label": "PIN"})
    else:
        response["PIN"] = {"presence": "false"}
    if credential.otp_secret is not None:
        response["OTP"] = {"presence": "true", "type": "offline", "format": "N", "label": "OTP"}
        objects.append({"type": "Password", "id": "OTP", "format": "N", "label": "OTP"})
    else:
        response["OTP"] = {"presence": "false"}
    response["auth"] = {"mode": "explicit", "objects": objects}  # CSC v2's shape
    return response


# -- the app -------------------------------------------------------------------------------


def _router(service: SigningService, version: str) -> APIRouter:
    router = APIRouter(prefix=f"/csc/{version}")

    def caller(request: Request) -> Caller:
        return service.authenticate(request.headers.get("authorization"))

    @router.post("/info")
    async def info() -> dict[str, Any]:
        # The body may carry {"lang": ...}; one language is served, so it is not read.
        return {
            "specs": SPECS[version],
            "name": SERVICE_NAME,
            "logo": "",
            "region": "VN",
            "lang": "vi-VN",
            "description": "Remote signing service; keys are held in a PKCS#11 HSM.",
            "authType": ["external"],  # bearer tokens issued to each calling system
            "methods": METHODS,
        }

    @router.post("/credentials/list")
    async def credentials_list(request: Request) -> dict[str, Any]:
        who = caller(request)
        body = await _body(request)
        ids = service.list_credentials(who, _string(body, "userID"))
        max_results = _integer(body, "maxResults")
        start = _integer(body, "pageToken") or 0
        if start < 0 or (max_results is not None and max_results < 1):
            raise InvalidRequest("maxResults", "Invalid value for parameter maxResults")
        end = len(ids) if max_results is None else start + max_results
        result: dict[str, Any] = {"credentialIDs": ids[start:end]}
        if end < len(ids):
            result["nextPageToken"] = str(end)
        return result

    @router.post("/credentials/info")
    async def credentials_info(request: Request) -> dict[str, Any]:
        who = caller(request)
        body = await _body(request)
        credential_id = _string(body, "credentialID", required=True) or ""
        certificates = _string(body, "certificates") or "single"
        if certificates not in ("none", "single", "chain"):
            raise InvalidRequest("certificates", "Invalid parameter certificates")
        cert_info = body.get("certInfo", False)
        if not isinstance(cert_info, bool):
            raise InvalidRequest("certInfo", "Invalid parameter certInfo")
        details = service.credential_info(who, credential_id)
        return _credential_info(details, certificates, cert_info)

    @router.post("/credentials/authorize")
    async def credentials_authorize(request: Request) -> JSONResponse:
        who = caller(request)
        body = await _body(request)
        credential_id = _string(body, "credentialID", required=True) or ""
        num_signatures = _integer(body, "numSignatures")
        if num_signatures is None:
            raise InvalidRequest(
                "numSignatures", "Missing (or invalid type) integer parameter numSignatures"
            )
        hashes = _hashes(body)
        hash_oid = _hash_algorithm_oid(body)
        pin, otp = _auth_factors(body)
        grant = await run_in_threadpool(  # Argon2 and the token block: off the event loop
            lambda: service.authorize(
                who,
                credential_id,
                hashes=hashes,
                num_signatures=num_signatures,
                pin=pin,
                otp=otp,
                hash_algorithm=HashAlgorithm.from_oid(hash_oid) if hash_oid else None,
            )
        )
        return JSONResponse(
            {"SAD": grant.sad, "expiresIn": grant.expires_in},
            headers={"Cache-Control": "no-store"},
        )

    @router.post("/signatures/signHash")
    async def sign_hash(request: Request) -> dict[str, Any]:
        who = caller(request)
        body = await _body(request)
        credential_id = _string(body, "credentialID", required=True) or ""
        sad = _string(body, "SAD", required=True) or ""
        hashes = _hashes(body)
        sign_algo = _string(body, "signAlgo", required=True) or ""
        hash_oid = _hash_algorithm_oid(body)
        if body.get("signAlgoParams") is not None:
            # Only PKCS#1 v1.5 and ECDSA are offered; neither takes parameters.
            raise InvalidRequest("signAlgoParams", "Invalid parameter signAlgoParams")
        if body.get("operationMode", "S") != "S":
            raise InvalidRequest("operationMode", "Only synchronous operationMode S is offered")
        signatures = await run_in_threadpool(
            service.sign_hash, who, credential_id, sad, hashes, sign_algo, hash_oid
        )
        return {"signatures": [_b64(s) for s in signatures]}

    return router


def create_csc_app(service: SigningService) -> FastAPI:
    app = FastAPI(
        title="Remote signing service (CSC API)",
        summary="Ký số từ xa: Cloud Signature Consortium API over keys held in a PKCS#11 token.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(SigningServiceError)
    async def _signing_error(request: Request, exc: SigningServiceError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return csc_error(exc.status_code, "invalid_request", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return csc_error(500, "server_error", "unexpected error")

    for version in SPECS:
        app.include_router(_router(service, version))
    return app


# -- the process ---------------------------------------------------------------------------


def serve(
    settings: SigningSettings | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    log_level: str = "info",
) -> None:
    """Runs the signing service (one uvicorn process: the token allows one process per
    login, and SADs live in its memory) until SIGINT/SIGTERM."""
    import uvicorn

    from signing.csc_server.assembly import SigningRuntime

    settings = settings or SigningSettings()
    host, port = host or settings.host, port or settings.port
    with SigningRuntime.from_settings(settings) as runtime:
        if runtime.dev is not None:
            print(
                "Development PKI and PINs — NOT FOR PRODUCTION: "
                f"{runtime.dev.manifest} (TSA {runtime.dev.pki.pki.tsa_url})",
                flush=True,
            )
        print(f"CSC signing service on http://{host}:{port}/csc/v1/", flush=True)
        uvicorn.run(
            create_csc_app(runtime.service),
            host=host,
            port=port,
            log_level=log_level,
            timeout_keep_alive=30,  # well above the vault's client keep-alive (4 s)
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.csc", description=serve.__doc__)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = SigningSettings()
    except ValidationError as exc:
        lines = [
            f"  VAULT_SIGNING_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            for e in exc.errors()
        ]
        print("invalid signing configuration:\n" + "\n".join(lines), file=sys.stderr)
        return 2
    try:
        serve(settings, host=args.host, port=args.port, log_level=args.log_level)
    except SigningServiceError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
