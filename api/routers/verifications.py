"""Public signature verification: anyone may verify a PDF they hold.

`POST /verifications` takes a multipart upload (field `file`) and answers 200 with the
report (JSON, or the ETSI TS 119 102-2 XML with `?format=etsi-xml`) whatever the verdict:
a failed signature is a result, not an error. 413 for a file over the limit, 415 for
anything that is not a PDF (sniffed from its bytes, not its name or declared type), 503
when every verification worker is busy.

`GET /documents/{id}/verification` (on `stored_router`, signed-in callers only) gives the
same report for a document in the vault, read under the same access rules and audit as its
download.

The JSON report carries `summaries`: the verdict and each signature in plain words
(`api.verification_wording`), Vietnamese or English by `Accept-Language`.

The verifier is `app.state.verifier`: one per application, built at start-up
(`api.app.create_app`'s lifespan, from `VerifySettings`, unless one was handed in) and shared
with everything else that judges signatures (the certified copies' public page, the console's
verify page, reuse), so they all trust the same roots.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from api.deps import ActorDep, UowDep, VaultDep
from api.problems import problem
from api.verification_wording import describe, match_to_dict, negotiate, revision_ends
from signing.issuing.on_record import RecordMatch, file_check
from signing.issuing.stored import verify_stored_document
from signing.verify import VerificationReport, Verifier, VerifierBusy, VerifierClosed
from signing.verify.etsi_xml import render
from signing.verify.sniff import sniff_pdf
from vault.runtime import Vault

router = APIRouter(tags=["verifications"])
stored_router = APIRouter(tags=["verifications"])

ReportFormat = Annotated[
    Literal["json", "etsi-xml"], Query(description="json, or the ETSI TS 119 102-2 XML report")
]


def get_verifier(request: Request) -> Verifier:
    return app_verifier(request.app)


def app_verifier(app: FastAPI) -> Verifier:
    """The application's one verifier, set up when it starts."""
    verifier = getattr(app.state, "verifier", None)
    if not isinstance(verifier, Verifier):
        raise RuntimeError("the application has no verifier: it is built when the app starts")
    return verifier


def _problem(
    status: int, slug: str, title: str, detail: str, request: Request, **extra: Any
) -> JSONResponse:
    response = problem(status, slug, title, detail, request.url.path, **extra)
    if "retry_after" in extra:
        response.headers["Retry-After"] = str(int(extra["retry_after"]))
    return response


@router.post(
    "/verifications",
    summary="Verify the signatures of a PDF (PAdES): a report like the EU DSS simple report",
    description="Multipart form (`multipart/form-data`) with one field, **`file`**: the PDF. "
    "No sign-in. The file is verified in memory and not stored. The JSON report's "
    "`summaries` (verdict, and per signature what it is, why it fails and what changed "
    "after it) are worded in Vietnamese or English by `Accept-Language` (English without "
    "the header); with the header, `summary` is worded so too. `on_record` names the "
    "certified copy or signed result of this vault the file is (number, office, date) and "
    "says whether it is byte for byte the file on record; null when it is none.",
    responses={
        200: {
            "description": "The verification report (also when signatures fail)",
            "content": {"application/xml": {}},
        },
        413: {"description": "The file is too large"},
        415: {"description": "The file is not a PDF"},
        503: {"description": "Every verification worker is busy; retry later"},
    },
)
def verify_document(
    request: Request,
    file: Annotated[UploadFile, File(description="The signed PDF (multipart field `file`)")],
    format: ReportFormat = "json",
) -> Response:
    verifier = get_verifier(request)
    limit = verifier.max_document_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        return _problem(
            413,
            "content-too-large",
            "Content too large",
            f"the file is over {limit} bytes",
            request,
        )
    if not sniff_pdf(data):
        return _problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "the file is not a PDF",
            request,
        )
    try:
        report = verifier.verify(data)
    except (VerifierBusy, VerifierClosed) as exc:
        return _unavailable(exc, request)
    if format == "etsi-xml":
        return _report_response(report, format, request)
    vault: Vault | None = getattr(request.app.state, "vault", None)
    if vault is None:  # the verifier served on its own: no records to compare with
        return _report_response(report, format, request)
    match = _on_record(vault, data, report)
    return _report_response(report, format, request, record_checked=True, match=match)


def _on_record(vault: Vault, data: bytes, report: VerificationReport) -> RecordMatch | None:
    """Which paper of the vault the file is, if any; the look-up is audited against that
    paper, in a transaction of its own (only after the file has been verified)."""
    if report.problem is not None:
        return None
    with vault.uows() as uow:
        match = file_check(uow, data, revision_ends(report))
        uow.commit()
    return match


@stored_router.get(
    "/documents/{document_id}/verification",
    summary="Verify the signatures of a stored PDF: the same report as POST /verifications",
    responses={
        200: {
            "description": "The verification report (also when signatures fail)",
            "content": {"application/xml": {}},
        },
        415: {"description": "The document is a scan (image), which carries no PAdES signature"},
        503: {"description": "Every verification worker is busy; retry later"},
    },
)
def verify_stored(
    request: Request,
    document_id: uuid.UUID,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    format: ReportFormat = "json",
) -> Response:
    verifier = get_verifier(request)
    try:
        report = verify_stored_document(
            vault.documents, vault.access, vault.signatures, verifier, uow, actor, document_id
        )
    except (VerifierBusy, VerifierClosed) as exc:
        return _unavailable(exc, request)
    return _report_response(report, format, request)


def _unavailable(exc: VerifierBusy | VerifierClosed, request: Request) -> JSONResponse:
    if isinstance(exc, VerifierBusy):
        return _problem(
            503, "verifier-busy", "Verifier busy", exc.detail, request, retry_after=exc.retry_after
        )
    return _problem(503, "verifier-unavailable", "Verifier unavailable", exc.detail, request)


def _report_response(
    report: VerificationReport,
    format: str,
    request: Request,
    *,
    record_checked: bool = False,
    match: RecordMatch | None = None,
) -> Response:
    """`match`: what `file_check` found for an uploaded file (`on_record`, null when
    nothing); a stored document's report has no `on_record` (no look-up is made)."""
    if format == "etsi-xml":
        return Response(render(report), media_type="application/xml")
    data = report.to_dict()
    # English without the header: the verifier's own `summary` stays as it always was.
    accept = request.headers.get("accept-language")
    lang = negotiate(accept, "en")
    words = describe(report, lang)
    data["summaries"] = words.to_dict()
    if record_checked:
        data["on_record"] = match_to_dict(match, lang)
    if accept:
        data["summary"] = words.verdict
    headers = {"Content-Language": lang, "Vary": "Accept-Language"}
    return JSONResponse(data, headers=headers)
