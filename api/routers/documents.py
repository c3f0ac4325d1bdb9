"""Documents: upload, metadata, listing, versions and streamed content with Range."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import ActorDep, CredentialsDep, UowDep, VaultDep, read_in_one_hop
from api.schemas import DocumentForm, DocumentOut, PageOut
from api.uploads import (
    METADATA_HEADER,
    ReceivedFile,
    is_multipart,
    metadata_header,
    multipart_body,
    read_form_with_files,
    read_raw_upload,
)
from vault import metrics
from vault.auth import Actor
from vault.domain import Document, DocumentOrigin, MediaType
from vault.errors import RangeNotSatisfiable
from vault.runtime import Vault
from vault.services import (
    AuthorisedUpload,
    ByteRange,
    DocumentFilters,
    NewDocument,
    UnitOfWork,
)

router = APIRouter(tags=["documents"])

_EXTENSIONS = {
    MediaType.PDF: "pdf",
    MediaType.JPEG: "jpg",
    MediaType.PNG: "png",
    MediaType.TIFF: "tif",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Send the same key when retrying an upload: it is stored only once, and "
        "the retry gets the first response (with `Idempotent-Replayed: true`).",
    ),
]


@dataclass(frozen=True)
class DocumentUpload:
    """An upload's metadata and file, read after the caller was authorised for them (with
    what the authorisation decided, for the store to go on from)."""

    meta: DocumentForm
    file: ReceivedFile
    authorised: AuthorisedUpload | None


_FILE_DESCRIPTION = (
    "PDF, JPEG, PNG or TIFF; sniffed, not trusted (the Content-Type is only a hint)."
)
_UPLOAD_BODY = multipart_body(
    DocumentForm,
    {
        "file": {
            "type": "string",
            "format": "binary",
            "description": _FILE_DESCRIPTION + " Send it after the other fields: they are "
            "checked before the file is read.",
        }
    },
)
# The raw form of the same upload: the body is the file, the metadata is in a header.
_RAW = {"schema": {"type": "string", "format": "binary", "description": _FILE_DESCRIPTION}}
_UPLOAD_BODY["requestBody"]["content"].update(
    {kind: _RAW for kind in ("application/pdf", "image/jpeg", "image/png", "image/tiff")}
)
_UPLOAD_BODY["parameters"] = [
    {
        "name": METADATA_HEADER,
        "in": "header",
        "required": False,
        "description": "For a raw upload (the body is the file itself): the metadata fields "
        "of the multipart form as one JSON object, in ASCII (other characters as JSON \\u "
        'escapes), e.g. `{"paper_type": "birth_certificate", "title": "Gi\\u1ea5y khai '
        'sinh"}`. Checked before the body is read; the fastest way to upload.',
        "schema": {"type": "string"},
    }
]

Authorise = Callable[[NewDocument, uuid.UUID | None], AuthorisedUpload | None]


async def _authorised_upload(
    request: Request, before_body: Callable[[], None], before_file: Authorise
) -> AsyncIterator[DocumentUpload]:
    """An upload or a reissue, authorised before its body is read: `before_body` on what the
    path says (the caller, the owner or the document), `before_file` on the metadata before
    the file is stored. Both run in the thread pool (they query the database): one after
    the other for a raw upload, whose metadata is known before its body."""
    if not is_multipart(request):

        def authorise_all() -> tuple[DocumentForm, AuthorisedUpload | None]:
            with metrics.upload_stage("record"):
                before_body()  # who may upload here at all comes before what they send
                form = metadata_header(request, DocumentForm)
                return form, before_file(_new_document(form), form.dossier_id)

        form, authorised = await run_in_threadpool(authorise_all)
        received = await read_raw_upload(request, "file")
        try:
            yield DocumentUpload(form, received, authorised)
        finally:
            received.file.close()
        return

    def check_body() -> None:
        with metrics.upload_stage("record"):
            before_body()

    await run_in_threadpool(check_body)
    decided: list[AuthorisedUpload | None] = []

    def check_file(meta: DocumentForm) -> None:
        with metrics.upload_stage("record"):
            decided.append(before_file(_new_document(meta), meta.dossier_id))

    async def authorise(meta: DocumentForm) -> None:
        await run_in_threadpool(check_file, meta)

    async for meta, files in read_form_with_files(
        request, DocumentForm, file_field="file", max_files=1, before_file=authorise
    ):
        yield DocumentUpload(meta, files[0], decided[0] if decided else None)


async def document_upload(
    request: Request, owner_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> AsyncIterator[DocumentUpload]:
    """Authorises the upload before its body is read: the caller and the owner first, the
    metadata (dossier, paper type, origin) before the file."""
    documents = vault.documents
    async for upload in _authorised_upload(
        request,
        lambda: documents.check_may_upload(uow, actor, owner_id),
        lambda meta, dossier_id: documents.authorise_upload(
            uow, actor, owner_id, meta, dossier_id, owner_checked=True
        ),
    ):
        yield upload


async def version_upload(
    request: Request, document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> AsyncIterator[DocumentUpload]:
    """As `document_upload`, for a reissue of `document_id`."""
    documents = vault.documents
    async for upload in _authorised_upload(
        request,
        lambda: documents.check_may_reissue(uow, actor, document_id),
        lambda meta, _dossier_id: documents.authorise_new_version(uow, actor, document_id, meta),
    ):
        yield upload


def _stored_once(
    vault: Vault,
    uow: UnitOfWork,
    actor: Actor,
    response: Response,
    idempotency_key: str | None,
    request: str,
    store: Callable[[], Document],
) -> DocumentOut:
    """What an upload and a reissue answer: `store` run once per Idempotency-Key (a retry
    replays the first answer), the new document's Location, its metadata."""
    document, replayed = vault.documents.once(uow, actor, idempotency_key, request, store)
    response.headers["Location"] = f"/api/v1/documents/{document.id}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return DocumentOut.of(document)


def _new_document(form: DocumentForm) -> NewDocument:
    return NewDocument(
        paper_type=form.paper_type,
        title=form.title,
        origin=form.origin,
        reference_number=form.reference_number,
        issuer_agency_code=form.issuer_agency_code,
        issue_date=form.issue_date,
        valid_until=form.valid_until,
    )


@router.post(
    "/owners/{owner_id}/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Store a paper in the owner's warehouse (raw file + metadata header, or multipart)",
    description=(
        "An owner stores their own papers; a receiving officer stores a scan digitised for an "
        "open dossier of their agency (`dossier_id`, origin `digitised`: it is attached to the "
        "dossier); an issuing officer stores a result, a certifying officer a certified copy, "
        "that their agency issued. Who may store what is checked before the file is read. "
        "Send either the file itself as the body with the metadata in the "
        f"`{METADATA_HEADER}` header (the faster way: what the SDK does), or "
        "multipart/form-data with the metadata fields before the file."
    ),
    openapi_extra=_UPLOAD_BODY,
)
def upload_document(
    owner_id: uuid.UUID,
    upload: Annotated[DocumentUpload, Depends(document_upload, scope="function")],
    response: Response,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    meta = upload.meta
    return _stored_once(
        vault,
        uow,
        actor,
        response,
        idempotency_key,
        f"upload {owner_id}",
        lambda: vault.documents.upload(
            uow,
            actor,
            owner_id,
            _new_document(meta),
            upload.file.file,
            dossier_id=meta.dossier_id,
            authorised=upload.authorised,
        ),
    )


@router.get(
    "/owners/{owner_id}/documents",
    summary="List the owner's papers you may see, newest first",
    response_model=PageOut[DocumentOut],
)
async def list_documents(
    owner_id: uuid.UUID,
    vault: VaultDep,
    credentials: CredentialsDep,
    paper_type: str | None = None,
    origin: DocumentOrigin | None = None,
    valid_on: Annotated[date | None, Query(description="Only papers valid on this day")] = None,
    include_superseded: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    filters = DocumentFilters(paper_type, origin, valid_on, include_superseded)

    def read(uow: UnitOfWork, actor: Actor) -> PageOut[DocumentOut]:
        page = vault.documents.list_for_owner(
            uow, actor, owner_id, filters, cursor=cursor, limit=limit
        )
        return PageOut[DocumentOut](
            items=[DocumentOut.of(d) for d in page.items], next_cursor=page.next_cursor
        )

    # Listing writes nothing (the caller's check neither): no BEGIN/COMMIT round trips.
    return await read_in_one_hop(vault, credentials, read, writes_nothing=True)


@router.get("/documents/{document_id}", summary="A document's metadata")
def get_document(
    document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DocumentOut:
    return DocumentOut.of(vault.documents.get(uow, actor, document_id))


@router.get("/documents/{document_id}/versions", summary="Every version you may see, oldest first")
def list_versions(
    document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> list[DocumentOut]:
    return [DocumentOut.of(d) for d in vault.documents.versions(uow, actor, document_id)]


@router.post(
    "/documents/{document_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Store a reissue: the new version supersedes this one, which stays on record",
    openapi_extra=_UPLOAD_BODY,
)
def new_version(
    document_id: uuid.UUID,
    upload: Annotated[DocumentUpload, Depends(version_upload, scope="function")],
    response: Response,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    return _stored_once(
        vault,
        uow,
        actor,
        response,
        idempotency_key,
        f"reissue {document_id}",
        lambda: vault.documents.new_version(
            uow, actor, document_id, _new_document(upload.meta), upload.file.file
        ),
    )


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """One `bytes=` range (RFC 9110 §14.1.2); anything else is served whole, as allowed."""
    if header is None:
        return None
    m = _RANGE.fullmatch(header.strip())
    if not m or (not m[1] and not m[2]):
        return None
    if not m[1]:  # suffix: the last N bytes
        suffix = int(m[2])
        if suffix == 0:
            raise RangeNotSatisfiable("an empty suffix range", size)
        return ByteRange(max(0, size - suffix), size)
    start = int(m[1])
    end = min(int(m[2]) + 1, size) if m[2] else size
    if start >= size or end <= start:
        raise RangeNotSatisfiable(f"the content is {size} bytes", size)
    return ByteRange(start, end)


@router.get(
    "/documents/{document_id}/content",
    summary="Download the content (streamed; ETag, Range and If-None-Match honoured)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}, "image/*": {}}}, 206: {}, 304: {}},
)
def download_content(
    document_id: uuid.UUID,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> Response:
    document = vault.documents.get(uow, actor, document_id)
    blob = document.blob
    etag = f'"{blob.sha256}"'
    common = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=common)
    byte_range = parse_range(range_header, blob.size)
    if byte_range is not None and if_range is not None and if_range.strip() != etag:
        byte_range = None  # the client's copy is stale: send it all
    stream = vault.documents.open_content(uow, actor, document_id, byte_range)
    headers = {
        **common,
        "Content-Length": str(stream.length),
        "Content-Disposition": (
            f'attachment; filename="{document.id}.{_EXTENSIONS[blob.media_type]}"'
        ),
    }
    code = status.HTTP_200_OK
    if stream.range is not None:
        code = status.HTTP_206_PARTIAL_CONTENT
        headers["Content-Range"] = f"bytes {stream.range.start}-{stream.range.end - 1}/{blob.size}"
    return StreamingResponse(
        stream.chunks, status_code=code, media_type=blob.media_type.value, headers=headers
    )
