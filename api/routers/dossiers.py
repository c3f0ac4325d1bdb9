"""Dossiers (hồ sơ) and the papers attached to them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import UowDep, VaultDep
from api.schemas import (
    AttachmentOut,
    AttachRequest,
    DocumentOut,
    DossierCreate,
    DossierOut,
    PageOut,
)
from vault.services.dossiers import NewDossier

router = APIRouter(tags=["dossiers"])


@router.post(
    "/dossiers",
    status_code=status.HTTP_201_CREATED,
    summary="Record a dossier received for an owner (idempotent on the dossier code)",
    responses={200: {"description": "Already recorded", "model": DossierOut}},
)
def create_dossier(
    body: DossierCreate, response: Response, vault: VaultDep, uow: UowDep
) -> DossierOut:
    dossier, created = vault.dossiers.create(
        uow,
        NewDossier(
            code=body.dossier_code,
            procedure_code=body.procedure_code,
            owner_id=body.owner_id,
            receiving_agency_code=body.receiving_agency_code,
            received_at=body.received_at,
        ),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/dossiers/{dossier.id}"
    return DossierOut.of(dossier)


@router.get("/owners/{owner_id}/dossiers", summary="An owner's dossiers, newest first")
def list_dossiers(
    owner_id: uuid.UUID,
    vault: VaultDep,
    uow: UowDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[DossierOut]:
    page = vault.dossiers.list_for_owner(uow, owner_id, cursor=cursor, limit=limit)
    return PageOut[DossierOut](
        items=[DossierOut.of(d) for d in page.items], next_cursor=page.next_cursor
    )


@router.get("/dossiers/{dossier_id}", summary="A dossier")
def get_dossier(dossier_id: uuid.UUID, vault: VaultDep, uow: UowDep) -> DossierOut:
    return DossierOut.of(vault.dossiers.get(uow, dossier_id))


@router.post(
    "/dossiers/{dossier_id}/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Attach one of the owner's papers to the dossier (idempotent)",
    responses={200: {"description": "Already attached", "model": AttachmentOut}},
)
def attach_document(
    dossier_id: uuid.UUID, body: AttachRequest, response: Response, vault: VaultDep, uow: UowDep
) -> AttachmentOut:
    attachment, created = vault.dossiers.attach(uow, dossier_id, body.document_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return AttachmentOut.of(attachment)


@router.get("/dossiers/{dossier_id}/documents", summary="The papers attached to the dossier")
def list_attached(dossier_id: uuid.UUID, vault: VaultDep, uow: UowDep) -> list[DocumentOut]:
    return [DocumentOut.of(d) for d in vault.dossiers.attached_documents(uow, dossier_id)]
