"""The officer web console (bàn làm việc của cán bộ), server-rendered under /console.

Pages call the same domain services and access rules as the API; see `web.py` for the
session, CSRF, language and security headers every page shares."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from api.console import (
    certify,
    documents,
    dossiers,
    exports,
    imports,
    oidc,
    owners,
    reports,
    retention,
    session,
    sync,
    verify,
)
from api.console.web import PREFIX, STATIC_DIR, ConsoleRoute, StaticHeaders, render

_fallback = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


@_fallback.api_route("/{rest:path}", methods=["GET", "POST"])
def not_found(request: Request, rest: str) -> Response:
    # An HTML 404 with the console's headers, not the API's problem document.
    return render(request, "error.html", {"kind": "not_found"}, status=404)


router = APIRouter()
for _module in (
    session,
    oidc,
    owners,
    dossiers,
    documents,
    certify,
    verify,
    reports,
    imports,
    sync,
    exports,
    retention,
):
    router.include_router(_module.router)
router.include_router(_fallback)  # last: only what nothing else matched


def mount(app: FastAPI) -> None:
    """Static files first: the catch-all route must not shadow them."""
    app.mount(
        f"{PREFIX}/static", StaticHeaders(StaticFiles(directory=STATIC_DIR)), name="console-static"
    )
    app.include_router(router)


__all__ = ["mount", "router"]
