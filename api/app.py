"""The FastAPI application. Everything is built in the lifespan, nothing at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api import console, openapi, problems
from api.body_limit import BodySizeLimit
from api.deps import limit_by_address
from api.logs import redact_access_log
from api.routers import (
    auth,
    catalogue,
    documents,
    dossiers,
    health,
    me,
    owners,
    search,
    verifications,
)
from api.routers import signing as signing_routes
from api.text_guard import ControlCharacterGuard
from ocr.worker import embedded_worker_wanted, start_background_worker
from signing.signer_settings import SignerSettings
from signing.stored import VerifierSignatureChecker
from signing.wiring import VaultSigning
from vault.audit import AnchorTimer
from vault.runtime import Vault
from vault.settings import Settings

# Multipart framing and metadata fields on top of the file itself.
_MULTIPART_OVERHEAD = 1024 * 1024


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
        owns_signing = getattr(app.state, "vault_signing", None) is None
        if owns_signing:
            app.state.vault_signing = VaultSigning.build(
                app.state.vault,
                signer_settings or SignerSettings(),
                verifier=getattr(app.state, "verifier", None),
            )
        # Reuse refuses papers whose signatures fail, judged by the same verifier as the
        # verification endpoints (its worker processes start on first use).
        checker = VerifierSignatureChecker(verifications.app_verifier(app))
        app.state.vault.signatures.use(checker)
        anchoring = AnchorTimer.start(app.state.vault)
        # Everything built so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise pause a request for ~100 ms now and then.
        gc.collect()
        gc.freeze()
        # The embedded default OCRs uploads in this process; production runs `vault worker`.
        worker = (
            start_background_worker(app.state.vault)
            if embedded_worker_wanted(app.state.vault.settings)
            else None
        )
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
            if owned:
                app.state.vault.close()

    app = FastAPI(
        title="Citizen document vault",
        summary="Kho quản lý dữ liệu điện tử của tổ chức, cá nhân: store, sign and reuse papers.",
        version="0.1.0",
        lifespan=lifespan,
    )
    if vault is not None:
        app.state.vault = vault
    problems.install(app)
    app.include_router(health.router)
    app.include_router(auth.public)
    routers = (
        auth.router,
        owners.router,
        documents.router,
        dossiers.router,
        catalogue.router,
        me.router,
        search.router,
        signing_routes.router,
        verifications.stored_router,
    )
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    # Public: anyone holding a signed paper may check it; rate-limited by address.
    app.include_router(
        verifications.router, prefix="/api/v1", dependencies=[Depends(limit_by_address)]
    )
    app.include_router(signing_routes.public_router)
    console.mount(app)  # the officer web console under /console
    openapi.install(app)  # the complete contract: every status, problem+json, patterns
    app.add_middleware(ControlCharacterGuard)  # NUL and other controls: 422 everywhere
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD)
    return app
