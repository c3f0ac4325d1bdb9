"""Exports: an owner's own copy of their warehouse, built in the background, downloaded once.

POST /api/v1/exports                   ask for one (202; the job's id to follow progress)
GET  /api/v1/exports                   the owner's exports
GET  /api/v1/exports/{id}              one of them
POST /api/v1/exports/{id}/link         a one-time download link for a ready package
GET  /api/v1/export-downloads/{token}  the package (zip; Range to resume); the token is
                                       the credential, so the link works from a browser
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import ActorDep, UowDep, VaultDep, require_owner
from api.routers.documents import parse_range
from vault.domain import Export, ExportStatus
from vault.runtime import Vault
from vault.services.exports import ExportService, PackageStream

log = logging.getLogger("api.exports")

router = APIRouter(tags=["exports"])
download_router = APIRouter(tags=["exports"])


def exports_of(vault: Vault) -> ExportService:
    return ExportService(vault.keyring, link_hours=vault.settings.export_link_hours)


class ExportRequestIn(BaseModel):
    include_superseded: bool = Field(
        default=False, description="Also the superseded versions of each paper"
    )


class ExportOut(BaseModel):
    id: uuid.UUID
    status: ExportStatus = Field(
        description="`pending` while the job builds it (follow `job_id` at /api/v1/jobs); "
        "`ready`: take a download link; `downloaded`/`expired`: the package is deleted"
    )
    job_id: uuid.UUID | None
    include_superseded: bool
    created_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None = Field(description="The package is deleted at this time")
    downloaded_at: datetime | None
    documents: int | None = Field(description="Papers in the package")
    size: int | None = Field(description="Bytes of the zip")
    sha256: str | None = Field(description="SHA-256 of the zip")
    error: str | None

    @classmethod
    def of(cls, e: Export) -> ExportOut:
        return cls(
            id=e.id,
            status=e.status,
            job_id=e.job_id,
            include_superseded=e.include_superseded,
            created_at=e.created_at,
            ready_at=e.ready_at,
            expires_at=e.expires_at,
            downloaded_at=e.downloaded_at,
            documents=e.documents,
            size=e.size,
            sha256=e.sha256,
            error=e.error,
        )


class DownloadLinkOut(BaseModel):
    url: str = Field(description="Works until the whole package has been downloaded once")
    token: str
    expires_at: datetime | None
    size: int | None
    sha256: str | None


@router.post(
    "/exports",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for an export of your own warehouse (built in the background)",
    dependencies=[require_owner()],
)
def request_export(
    body: ExportRequestIn, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> ExportOut:
    return ExportOut.of(
        exports_of(vault).request(uow, actor, include_superseded=body.include_superseded)
    )


@router.get("/exports", summary="Your exports, newest first", dependencies=[require_owner()])
def list_exports(vault: VaultDep, uow: UowDep, actor: ActorDep) -> list[ExportOut]:
    return [ExportOut.of(e) for e in exports_of(vault).list(uow, actor)]


@router.get("/exports/{export_id}", summary="One of your exports", dependencies=[require_owner()])
def get_export(export_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep) -> ExportOut:
    return ExportOut.of(exports_of(vault).get(uow, actor, export_id))


@router.post(
    "/exports/{export_id}/link",
    summary="A one-time download link for a ready export (an earlier link stops working)",
    dependencies=[require_owner()],
)
def export_link(
    export_id: uuid.UUID, request: Request, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DownloadLinkOut:
    link = exports_of(vault).issue_link(uow, actor, export_id)
    url = str(request.url_for("download_export", token=link.token))
    e = link.export
    return DownloadLinkOut(
        url=url, token=link.token, expires_at=e.expires_at, size=e.size, sha256=e.sha256
    )


def _stream(vault: Vault, stream: PackageStream) -> Iterator[bytes]:
    sent = 0
    finished = False
    try:
        for piece in stream.chunks:
            sent += len(piece)
            yield piece
        finished = True
    finally:
        service = exports_of(vault)
        with vault.uows() as uow:
            if finished and stream.reaches_end:
                service.delivered(uow, stream.export.id, sent)
            else:
                service.count_sent(uow, stream.export.id, sent)
            uow.commit()


@download_router.get(
    "/export-downloads/{token}",
    name="download_export",
    summary="Download an export package (one-time link; Range to resume)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}, 206: {}},
)
def download_export(
    token: str,
    vault: VaultDep,
    uow: UowDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> Response:
    service = exports_of(vault)
    export = service.by_token(uow, token)
    size = export.size or 0
    etag = f'"{export.sha256}"'
    byte_range = parse_range(range_header, size)
    if byte_range is not None and if_range is not None and if_range.strip() != etag:
        byte_range = None
    stream = service.open_download(uow, token, byte_range)
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Length": str(stream.length),
        "Content-Disposition": f'attachment; filename="vault-export-{export.id}.zip"',
    }
    code = status.HTTP_200_OK
    if stream.range is not None:
        code = status.HTTP_206_PARTIAL_CONTENT
        headers["Content-Range"] = f"bytes {stream.range.start}-{stream.range.end - 1}/{size}"
    return StreamingResponse(
        _stream(vault, stream), status_code=code, media_type="application/zip", headers=headers
    )
