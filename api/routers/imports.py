"""Batch import (nhập lô số hóa): separator sheets, scanned batches and their progress, and
the review queue of the parts cut from them. Receiving officers of the agency that scanned a
batch; another agency's batch is answered as a missing one (ocr.batches.service)."""

from __future__ import annotations

import uuid
from datetime import datetime
from tempfile import SpooledTemporaryFile
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import ActorDep, UowDep, get_vault
from ocr.batches.model import Batch, BatchStatus, Part, PartStatus
from ocr.batches.service import BatchService, Review, SheetRequest
from vault.errors import ContentTooLarge
from vault.runtime import Vault

router = APIRouter(tags=["batch import"])


def batch_service(vault: Annotated[Vault, Depends(get_vault)]) -> BatchService:
    return BatchService(vault.keyring, vault.documents)


ServiceDep = Annotated[BatchService, Depends(batch_service)]


class SheetIn(BaseModel):
    owner_id: uuid.UUID = Field(description="The owner's opaque id (never the personal number)")
    paper_type: str | None = Field(default=None, max_length=64, examples=["birth_certificate"])
    dossier_id: uuid.UUID | None = None
    result_reference: str | None = Field(
        default=None, max_length=200, description="The result's reference (số ký hiệu)"
    )


class SheetsIn(BaseModel):
    sheets: list[SheetIn] = Field(min_length=1, max_length=500)


class ProgressOut(BaseModel):
    pages: int | None = Field(description="Pages in the batch")
    pages_done: int
    parts: int = Field(description="Parts queued for review (once the batch is done)")
    errors: int = Field(description="Damaged pages")
    pages_per_minute: float | None
    eta_seconds: float | None


class BatchOut(BaseModel):
    id: uuid.UUID
    file_name: str
    media_type: str
    sha256: str
    status: BatchStatus
    progress: ProgressOut
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, batch: Batch) -> BatchOut:
        rate = batch.rate_per_minute
        eta = batch.eta_seconds
        return cls(
            id=batch.id,
            file_name=batch.file_name,
            media_type=batch.media_type,
            sha256=batch.sha256,
            status=batch.status,
            progress=ProgressOut(
                pages=batch.page_count,
                pages_done=batch.pages_done,
                parts=batch.part_count,
                errors=batch.error_count,
                pages_per_minute=round(rate, 1) if rate is not None else None,
                eta_seconds=round(eta) if eta is not None else None,
            ),
            error=batch.error,
            created_at=batch.created_at,
            started_at=batch.started_at,
            finished_at=batch.finished_at,
        )


class FieldOut(BaseModel):
    name: str
    value: str
    confidence: float
    flagged: bool = Field(description="Failed validation or low confidence: check it")
    problems: list[str]


class PartOut(BaseModel):
    id: uuid.UUID
    batch_id: uuid.UUID
    seq: int
    pages: list[int] = Field(description="The batch's page numbers in this part")
    rotation: int
    owner_id: uuid.UUID | None
    paper_type: str | None
    suggested_type: str | None
    dossier_id: uuid.UUID | None
    result_reference: str | None
    fields: list[FieldOut]
    problems: list[str] = Field(description="Why the officer must look (empty: nothing found)")
    status: PartStatus
    document_id: uuid.UUID | None = Field(description="The paper it became, once approved")
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None

    @classmethod
    def of(cls, part: Part) -> PartOut:
        return cls(
            id=part.id,
            batch_id=part.batch_id,
            seq=part.seq,
            pages=list(part.pages),
            rotation=part.rotation,
            owner_id=part.owner_id,
            paper_type=part.paper_type,
            suggested_type=part.suggested_type,
            dossier_id=part.dossier_id,
            result_reference=part.result_reference,
            fields=[
                FieldOut(
                    name=f.name,
                    value=f.value,
                    confidence=f.confidence,
                    flagged=f.flagged,
                    problems=list(f.problems),
                )
                for f in part.fields
            ],
            problems=list(part.problems),
            status=part.status,
            document_id=part.document_id,
            reviewed_by=part.reviewed_by,
            reviewed_at=part.reviewed_at,
        )


class ReviewIn(BaseModel):
    owner_id: uuid.UUID | None = None
    paper_type: str | None = Field(default=None, max_length=64)
    fields: dict[str, str] | None = Field(
        default=None,
        description="Corrected values by field name (full_name, date_of_birth, id_number, "
        "reference_number, issue_date); an empty string removes a field",
    )

    def review(self) -> Review:
        return Review(self.owner_id, self.paper_type, self.fields)


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300, examples=["Trang trắng, không phải giấy tờ"])


class RotateIn(BaseModel):
    degrees: Literal[90, 180, 270] = Field(description="Clockwise", examples=[90])


class SplitIn(BaseModel):
    at: int = Field(
        ge=2, description="The part's page (from 2) that starts the new part", examples=[2]
    )


@router.post(
    "/separator-sheets",
    summary="Print separator sheets (A4 PDF, one per paper) to put before each paper",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        404: {"description": "No such owner or dossier (or not the owner's dossier)"},
    },
)
def print_sheets(body: SheetsIn, uow: UowDep, actor: ActorDep, service: ServiceDep) -> Response:
    requests = [
        SheetRequest(s.owner_id, s.paper_type, s.dossier_id, s.result_reference)
        for s in body.sheets
    ]
    pdf = service.print_sheets(uow, actor, requests)
    return Response(pdf, media_type="application/pdf")


@router.post(
    "/import-batches",
    summary="Submit a scanned batch (the request body is the PDF or TIFF file)",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The same file was imported before: that batch"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "image/tiff": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def submit_batch(
    request: Request,
    response: Response,
    uow: UowDep,
    actor: ActorDep,
    service: ServiceDep,
    vault: Annotated[Vault, Depends(get_vault)],
    file_name: Annotated[str, Query(max_length=200)] = "batch",
) -> BatchOut:
    limit = vault.settings.max_upload_bytes
    with SpooledTemporaryFile(max_size=1024 * 1024) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ContentTooLarge(f"the batch is over {limit} bytes", limit)
            spool.write(chunk)
        spool.seek(0)
        data = spool.read()
    batch, created = service.submit(uow, actor, file_name, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return BatchOut.of(batch)


@router.get("/import-batches", summary="Your agency's batches, newest first")
def list_batches(uow: UowDep, actor: ActorDep, service: ServiceDep) -> list[BatchOut]:
    return [BatchOut.of(b) for b in service.batches(uow, actor)]


@router.get(
    "/import-batches/{batch_id}",
    summary="A batch and its progress (pages, parts, errors, rate, ETA)",
    responses={404: {"description": "No such batch (or another agency's)"}},
)
def get_batch(batch_id: uuid.UUID, uow: UowDep, actor: ActorDep, service: ServiceDep) -> BatchOut:
    return BatchOut.of(service.batch(uow, actor, batch_id))


@router.get(
    "/import-parts",
    summary="The review queue: parts of your agency's batches",
    responses={404: {"description": "No such batch (or another agency's)"}},
)
def list_parts(
    uow: UowDep,
    actor: ActorDep,
    service: ServiceDep,
    batch_id: uuid.UUID | None = None,
    status: PartStatus | None = PartStatus.PENDING,
) -> list[PartOut]:
    return [PartOut.of(p) for p in service.parts(uow, actor, batch_id=batch_id, status=status)]


@router.get("/import-parts/{part_id}", summary="One part of a batch")
def get_part(part_id: uuid.UUID, uow: UowDep, actor: ActorDep, service: ServiceDep) -> PartOut:
    return PartOut.of(service.part(uow, actor, part_id))


@router.get(
    "/import-parts/{part_id}/pages/{index}",
    summary="A page of the part as a PNG image (turned as the part is turned)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def part_page(
    part_id: uuid.UUID, index: int, uow: UowDep, actor: ActorDep, service: ServiceDep
) -> Response:
    png = service.page_image(uow, actor, part_id, index)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@router.patch("/import-parts/{part_id}", summary="Correct a part (kept as training data)")
def correct_part(
    part_id: uuid.UUID, body: ReviewIn, uow: UowDep, actor: ActorDep, service: ServiceDep
) -> PartOut:
    return PartOut.of(service.correct(uow, actor, part_id, body.review()))


@router.post(
    "/import-parts/{part_id}/approve",
    summary="Approve a part: it is published to the owner's warehouse as a digitised paper",
)
def approve_part(
    part_id: uuid.UUID, body: ReviewIn, uow: UowDep, actor: ActorDep, service: ServiceDep
) -> PartOut:
    return PartOut.of(service.approve(uow, actor, part_id, body.review()))


@router.post("/import-parts/{part_id}/reject", summary="Reject a part: nothing is published")
def reject_part(
    part_id: uuid.UUID, body: RejectIn, uow: UowDep, actor: ActorDep, service: ServiceDep
) -> PartOut:
    return PartOut.of(service.reject(uow, actor, part_id, body.reason))


@router.post("/import-parts/{part_id}/rotate", summary="Turn every page of a part")
def rotate_part(
    part_id: uuid.UUID, body: RotateIn, uow: UowDep, actor: ActorDep, service: ServiceDep
) -> PartOut:
    return PartOut.of(service.rotate(uow, actor, part_id, body.degrees))


@router.post("/import-parts/{part_id}/split", summary="Cut a part in two before a page")
def split_part(
    part_id: uuid.UUID, body: SplitIn, uow: UowDep, actor: ActorDep, service: ServiceDep
) -> list[PartOut]:
    return [PartOut.of(p) for p in service.split(uow, actor, part_id, body.at)]


@router.post("/import-parts/{part_id}/merge", summary="Join the next part onto this one")
def merge_part(part_id: uuid.UUID, uow: UowDep, actor: ActorDep, service: ServiceDep) -> PartOut:
    return PartOut.of(service.merge(uow, actor, part_id))
