"""Dossiers (hồ sơ), the papers attached to them, their results, and reuse."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.deps import ActorDep, UowDep, VaultDep, require_roles
from api.schemas import (
    AttachmentOut,
    AttachRequest,
    DossierCreate,
    DossierOut,
    PageOut,
    ResultRequest,
)
from api.schemas_peers import TakeFromPeerRequest, TakenPaperOut
from api.schemas_reuse import DossierRecordedOut, ReusePlanOut
from vault.auth import Role
from vault.domain import Reuse
from vault.services.dossiers import NewDossier

router = APIRouter(tags=["dossiers"])


async def receiving_officer_first(
    request: Request, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> None:
    """The role is checked before the body is validated (403, never a 422 about a body the
    caller may not send), and the refusal names the owner the body names when it names one,
    so the owner sees the attempt in their access log."""
    if actor.has(Role.RECEIVING_OFFICER):
        return
    owner_id: uuid.UUID | None = None
    try:
        named = (await request.json()).get("owner_id")
        owner_id = uuid.UUID(str(named)) if named else None
    except (ValueError, AttributeError, TypeError):
        owner_id = None  # a malformed body names no owner; the role decides alone
    vault.dossiers.require_receiving_officer(uow, actor, owner_id)


@router.post(
    "/dossiers",
    status_code=status.HTTP_201_CREATED,
    summary="Record a dossier your agency received for an owner (idempotent on the code)",
    responses={
        200: {"description": "Already recorded (open)", "model": DossierRecordedOut},
        409: {"description": "The code is another dossier's, or a closed dossier's"},
    },
    dependencies=[Depends(receiving_officer_first)],
)
def create_dossier(
    body: DossierCreate, response: Response, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DossierRecordedOut:
    dossier, created = vault.dossiers.create(
        uow,
        actor,
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
    return DossierRecordedOut.recorded(dossier, already=not created)


@router.get("/owners/{owner_id}/dossiers", summary="An owner's dossiers you may see")
def list_dossiers(
    owner_id: uuid.UUID,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[DossierOut]:
    page = vault.dossiers.list_for_owner(uow, actor, owner_id, cursor=cursor, limit=limit)
    return PageOut[DossierOut](
        items=[DossierOut.of(d) for d in page.items], next_cursor=page.next_cursor
    )


@router.get("/dossiers/{dossier_id}", summary="A dossier")
def get_dossier(dossier_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep) -> DossierOut:
    return DossierOut.of(vault.dossiers.get(uow, actor, dossier_id))


@router.post(
    "/dossiers/{dossier_id}/return",
    summary="Record that the result was handed back to the owner (trả kết quả)",
)
def return_dossier(
    dossier_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DossierOut:
    return DossierOut.of(vault.dossiers.mark_returned(uow, actor, dossier_id))


@router.post("/dossiers/{dossier_id}/close", summary="End the dossier (its access ends too)")
def close_dossier(
    dossier_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DossierOut:
    return DossierOut.of(vault.dossiers.close(uow, actor, dossier_id))


@router.get(
    "/dossiers/{dossier_id}/reuse",
    summary="Which papers the procedure needs are on file and valid, and why others are not",
)
def reuse_plan(
    dossier_id: uuid.UUID,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    peers: Annotated[
        bool, Query(description="Also ask the peer vaults (other provinces), within a budget")
    ] = True,
) -> ReusePlanOut:
    plan = vault.remote_reuse.plan(uow, actor, dossier_id, ask_peers=peers)
    return ReusePlanOut.of(plan.local, plan)


@router.post(
    "/dossiers/{dossier_id}/peer-documents",
    status_code=status.HTTP_201_CREATED,
    summary="Take a paper another province's vault offers into the owner's warehouse here "
    "and attach it (signatures verified; idempotent)",
    responses={200: {"description": "Already taken and attached", "model": TakenPaperOut}},
    dependencies=[require_roles(Role.RECEIVING_OFFICER)],
)
def take_from_peer(
    dossier_id: uuid.UUID,
    body: TakeFromPeerRequest,
    response: Response,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
) -> TakenPaperOut:
    taken = vault.remote_reuse.take(uow, actor, dossier_id, body.peer, body.document_id)
    if not taken.created:
        response.status_code = status.HTTP_200_OK
    return TakenPaperOut.of(taken)


@router.post(
    "/dossiers/{dossier_id}/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Reuse a paper from the owner's warehouse in the dossier (idempotent)",
    responses={200: {"description": "Already attached", "model": AttachmentOut}},
    dependencies=[require_roles(Role.RECEIVING_OFFICER)],
)
def attach_document(
    dossier_id: uuid.UUID,
    body: AttachRequest,
    response: Response,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
) -> AttachmentOut:
    attachment, created = vault.dossiers.attach(
        uow,
        actor,
        dossier_id,
        body.document_id,
        reused=Reuse(body.reused),
        replacing_result_code=body.replacing_result_code,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return AttachmentOut.of(attachment)


@router.get("/dossiers/{dossier_id}/documents", summary="The dossier's components and results")
def list_attached(
    dossier_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> list[AttachmentOut]:
    return [AttachmentOut.of(a) for a in vault.dossiers.attachments(uow, actor, dossier_id)]


@router.post(
    "/dossiers/{dossier_id}/results",
    status_code=status.HTTP_201_CREATED,
    summary="Record the result your agency issued for the dossier",
    dependencies=[require_roles(Role.ISSUING_OFFICER)],
)
def add_result(
    dossier_id: uuid.UUID, body: ResultRequest, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> AttachmentOut:
    return AttachmentOut.of(
        vault.dossiers.add_result(uow, actor, dossier_id, body.document_id, body.result_code)
    )
