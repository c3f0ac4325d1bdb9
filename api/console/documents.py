"""A document's preview (rendered pages, signature panel, OCR text), its thumbnail and page
images. Every request goes through `vault.documents.get`, which checks the access rules and
audits the read, before any byte of the content is touched (or a cached render is served)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from api.console import rendering, signatures
from api.console.owners import document_rows
from api.console.web import PREFIX, ActorDep, ConsoleRoute, lang_of, render
from api.deps import UowDep, VaultDep
from api.routers.verifications import get_verifier
from api.verification_wording import ReportWords, describe
from ocr.recognised import OcrResults, ocr_states
from signing.issuing.stored import verdict_of
from vault.auth import Actor
from vault.domain import Document, MediaType
from vault.errors import NotFound
from vault.runtime import Vault
from vault.services import UnitOfWork
from vault.services.derived_files import DerivedFileService
from vault.texts import DerivedKind

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


class _Content:
    """The plaintext, read at most once per request, and only if a render or a signature
    check needs it."""

    def __init__(self, vault: Vault, uow: UnitOfWork, document: Document) -> None:
        self._vault, self._uow, self._document = vault, uow, document
        self._data: bytes | None = None

    def __call__(self) -> bytes:
        if self._data is None:
            stream = self._vault.documents.read_content(self._uow, self._document)
            self._data = b"".join(stream.chunks)
        return self._data


def _page(
    vault: Vault,
    uow: UnitOfWork,
    document: Document,
    index: int,
    width: int,
    content: _Content | None = None,
) -> rendering.Rendered:
    try:
        return rendering.render_page(
            document.blob.sha256,
            document.blob.media_type,
            index,
            width,
            content or _Content(vault, uow, document),
        )
    except rendering.RenderError as exc:
        raise NotFound("this page cannot be shown") from exc


EXTENSIONS = {
    MediaType.PDF: "pdf",
    MediaType.JPEG: "jpg",
    MediaType.PNG: "png",
    MediaType.TIFF: "tif",
}


def _attachment(chunks: Any, media_type: str, size: int, filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/documents/{document_id}/download")
def download(document_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep) -> Response:
    """ "Tải bản PDF": the stored file as the API's GET .../content gives it, under the same
    access rules and audited the same way (`document.download`)."""
    stream = vault.documents.open_content(uow, actor, document_id)
    document = stream.document  # authorised (and audited) just above
    blob = document.blob
    name = f"{document_id}.{EXTENSIONS[blob.media_type]}"
    return _attachment(stream.chunks, blob.media_type.value, blob.size, name)


@router.get("/documents/{document_id}/searchable-copy")
def download_searchable(
    document_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    """The searchable PDF OCR made, as the API's GET .../searchable-copy (audited as
    `document.searchable_copy`)."""
    results = OcrResults(vault.access, DerivedFileService(vault.keyring))
    derived, chunks = results.searchable_copy(uow, actor, document_id)
    return _attachment(
        chunks, "application/pdf", derived.blob.size, f"{document_id}-searchable.pdf"
    )


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png")


@router.get("/documents/{document_id}/thumbnail")
def thumbnail(document_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep) -> Response:
    document = vault.documents.get(uow, actor, document_id)
    return _png(_page(vault, uow, document, 0, rendering.THUMBNAIL_WIDTH).png)


@router.get("/documents/{document_id}/pages/{number}")
def page_image(
    document_id: uuid.UUID, number: int, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    document = vault.documents.get(uow, actor, document_id)
    if not 1 <= number <= rendering.MAX_PAGES_SHOWN:
        raise NotFound("no such page")
    return _png(_page(vault, uow, document, number - 1, rendering.PAGE_WIDTH).png)


def _ocr_text(vault: Vault, uow: UnitOfWork, actor: Actor, document: Document) -> dict[str, Any]:
    """The recognised text when there is some (a text layer, or OCR done), else the status."""
    state = ocr_states(uow, [document.id])[document.id]
    try:
        found = OcrResults(vault.access, DerivedFileService(vault.keyring)).text(
            uow, actor, document.id
        )
    except NotFound:
        return {"status": state.status.value, "pages": [], "confidence": None}
    return {
        "status": state.status.value,
        "pages": [{"number": p.number, "text": p.text} for p in found.pages],
        "confidence": found.text.confidence,
    }


@router.get("/documents/{document_id}")
def preview(
    request: Request, document_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    document = vault.documents.get(uow, actor, document_id)
    content = _Content(vault, uow, document)
    try:
        pages = _page(vault, uow, document, 0, rendering.PAGE_WIDTH, content).page_count
    except NotFound:
        pages = 0
    report: ReportWords | None = None
    busy = False
    if document.has_signature:
        try:
            full = get_verifier(request).verify(content())
        except (signatures.VerifierBusy, signatures.VerifierClosed):
            busy = True
        else:
            # Recorded as any verification of a stored paper is: reuse sees it at once.
            vault.signatures.record(uow, document, verdict_of(full))
            report = describe(full, "en" if lang_of(request) == "en" else "vi")
    owner = vault.owners.owner_of(uow, document)  # already open to this reader: the paper is
    row = document_rows(vault, uow, [document], lang_of(request))[0]
    return render(
        request,
        "document.html",
        {
            "row": row,
            "doc": document,
            "owner": owner,
            "page_numbers": list(range(1, min(pages, rendering.MAX_PAGES_SHOWN) + 1)),
            "report": report,
            "verifier_busy": busy,
            "ocr": _ocr_text(vault, uow, actor, document),
            "searchable": (
                uow.derived_files.get(document.id, DerivedKind.SEARCHABLE_PDF) is not None
            ),
        },
    )
