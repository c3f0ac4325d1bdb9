"""The FastAPI application. Everything is built in the lifespan, nothing at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from api import console, docs, openapi, problems
from api.body_limit import MULTIPART_OVERHEAD, BodySizeLimit, Limit
from api.console import certify as console_certify
from api.console import dossiers as console_dossiers
from api.console import imports as console_imports
from api.console import verify as console_verify
from api.deps import limit_by_address, only_declared_query
from api.headers import SecurityHeaders
from api.job_handlers import start_embedded_worker
from api.logs import redact_access_log
from api.observability import RequestObservation
from api.routers import (
    auth,
    catalogue,
    documents,
    dossiers,
    exports,
    federation,
    health,
    imports,
    jobs,
    me,
    metrics,
    owners,
    proof_bundles,
    public_verify,
    retention,
    search,
    sync,
    verifications,
)
from api.routers import signing as signing_routes
from api.text_guard import ControlCharacterGuard
from signing.issuing.signer_settings import SignerSettings
from signing.issuing.stored import VerifierSignatureChecker
from signing.issuing.wiring import VaultSigning
from signing.verify import VerificationReport
from signing.verify.verifier_settings import VerifySettings
from vault import metrics as vault_metrics
from vault.audit import AnchorTimer
from vault.runtime import Vault
from vault.settings import Environment, Settings


def create_app(
    settings: Settings | None = None,
    *,
    vault: Vault | None = None,
    signer_settings: SignerSettings | None = None,
) -> FastAPI:
    """`vault` may be given ready-made (tests, embedding); otherwise it is built from
    `settings` when the app starts and closed when it stops. Signing through the remote
    service is on when `signer_settings` (or VAULT_SIGNER_*) name the service."""
    settings = settings or (vault.settings if vault else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact_access_log()
        owned = vault is None
        app.state.vault = vault or Vault.from_settings(settings)
        given_signing: VaultSigning | None = getattr(app.state, "vault_signing", None)
        # One verifier, one set of trust roots, for every route that judges signatures (the
        # verification endpoints, the certified copies' public page, the console, reuse):
        # the one handed in, else the ready-made signing's, else one from VAULT_VERIFY_*.
        verifier = getattr(app.state, "verifier", None) or (
            given_signing.verifier if given_signing is not None else None
        )
        owns_verifier = verifier is None
        if verifier is None:
            verifier = VerifySettings().verifier()  # its worker processes start on first use
        app.state.verifier = verifier
        verifier.observer = count_verification
        owns_signing = given_signing is None
        if owns_signing:
            app.state.vault_signing = VaultSigning.build(
                app.state.vault, signer_settings or SignerSettings(), verifier=verifier
            )
        # Reuse refuses papers whose signatures fail, judged by the same verifier.
        checker = VerifierSignatureChecker(verifier)
        app.state.vault.signatures.use(checker)
        anchoring = AnchorTimer.start(app.state.vault)
        # Everything built so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise pause a request for ~100 ms now and then.
        gc.collect()
        gc.freeze()
        # The embedded default runs jobs (OCR of uploads) in this process; production runs
        # `vault worker`.
        worker = start_embedded_worker(app.state.vault, app.state.vault_signing.sealer)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if anchoring is not None:
                anchoring.stop()
            app.state.vault.signatures.release(checker)
            if owns_signing:
                app.state.vault_signing.close()
            if owns_verifier:
                verifier.close()
                del app.state.verifier
            if owned:
                app.state.vault.close()

    app = FastAPI(
        title="Citizen document vault",
        summary="Kho quản lý dữ liệu điện tử của tổ chức, cá nhân: store, sign and reuse papers.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api.docs serves it from the pinned package, not a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    if vault is not None:
        app.state.vault = vault
    problems.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth.public)
    routers = (
        auth.router,
        owners.router,
        documents.router,
        dossiers.router,
        catalogue.router,
        retention.router,
        me.router,
        jobs.router,
        imports.router,
        exports.router,
        exports.download_router,
        search.router,
        signing_routes.router,
        proof_bundles.router,
        verifications.stored_router,
        sync.router,
    )
    strict_query = Depends(only_declared_query)
    for router in routers:
        app.include_router(router, prefix="/api/v1", dependencies=[strict_query])
    # Public: anyone holding a signed paper may check it; rate-limited by address.
    for public in (verifications.router, proof_bundles.public_router):
        app.include_router(
            public, prefix="/api/v1", dependencies=[Depends(limit_by_address), strict_query]
        )
    app.include_router(signing_routes.public_router)
    app.include_router(federation.router)  # vault to vault: peers of other provinces
    console.mount(app)  # the officer web console under /console
    docs.mount(app)
    openapi.install(app)  # the complete contract: every status, problem+json, patterns
    app.add_middleware(ControlCharacterGuard)  # NUL and other controls: 422 everywhere
    app.add_middleware(BodySizeLimit, per_endpoint=upload_limits(app, settings))
    # Outermost: its headers are on every answer, the body limit's 413 included.
    app.add_middleware(SecurityHeaders, production=settings.env is Environment.PRODUCTION)
    # Outside everything: every answer is timed and carries its request id.
    app.add_middleware(RequestObservation, server_timing=settings.server_timing)
    return app


def count_verification(report: VerificationReport, seconds: float) -> None:
    vault_metrics.verifications.labels(report.bottom_line.value).inc()
    vault_metrics.verification_seconds.observe(seconds)


def app_from_environment() -> FastAPI:
    """The app of one process of `vault serve --workers N`, from VAULT_* variables."""
    from api.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_format)
    return create_app(settings)


def upload_limits(app: FastAPI, settings: Settings) -> dict[Callable[..., Any], Limit]:
    """The routes that take a file, and their body limit; every other route takes a body of
    kilobytes (`api.body_limit.SMALL_BODY_BYTES`). The verification uploads get the
    verifier's own limit, known once the app has its verifier."""
    upload = settings.max_upload_bytes + MULTIPART_OVERHEAD

    def verification() -> int:
        return verifications.app_verifier(app).max_document_bytes + MULTIPART_OVERHEAD

    return {
        documents.upload_document: upload,
        documents.new_version: upload,
        imports.submit_batch: upload,
        # Up to 500 sheets of JSON: more than the small-body limit, far less than a file.
        imports.print_sheets: 1024 * 1024,
        signing_routes.make_certified_copy: upload,
        verifications.verify_document: verification,
        console_dossiers.upload: upload,
        console_imports.submit: upload,
        console_certify.certify_preview: upload,
        console_certify.certify: upload,
        console_verify.verify_file: verification,
        public_verify.verify_file: verification,
        signing_routes.certified_copy_check: verification,
    }
