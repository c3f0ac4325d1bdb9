"""Verify a file (kiểm tra chữ ký số): drop a PDF, read the report in plain words. The same
Verifier and the same limits as `POST /api/v1/verifications`, the same wording
(`api.verification_wording`) and the same report partial as the public verify page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, Response, UploadFile

from api.console.web import PREFIX, ActorDep, ConsoleRoute, CsrfDep, lang_of, render
from api.routers.verifications import get_verifier
from api.verification_wording import describe
from signing.verify import VerifierBusy, VerifierClosed
from signing.verify.sniff import sniff_pdf

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


@router.get("/verify")
def verify_page(request: Request, actor: ActorDep) -> Response:
    return render(request, "verify.html", {"report": None, "error": None})


@router.post("/verify")
def verify_file(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if file is None:
        return render(
            request, "verify.html", {"report": None, "error": "verify.no_file"}, status=422
        )
    limit = get_verifier(request).max_document_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        return render(
            request, "verify.html", {"report": None, "error": "verify.too_large"}, status=413
        )
    if not sniff_pdf(data):
        return render(
            request, "verify.html", {"report": None, "error": "verify.not_pdf"}, status=415
        )
    try:
        report = describe(
            get_verifier(request).verify(data), "en" if lang_of(request) == "en" else "vi"
        )
    except (VerifierBusy, VerifierClosed):
        return render(request, "verify.html", {"report": None, "error": "verify.busy"}, status=503)
    return render(
        request,
        "verify.html",
        {"report": report, "error": None, "filename": file.filename or ""},
    )
