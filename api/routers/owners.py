"""Owners. An identification number travels only in request bodies, never in a URL."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from api.deps import ActorDep, UowDep, VaultDep, require_roles
from api.schemas import OwnerCreate, OwnerLookup, OwnerOut
from vault.access import READING_ROLES
from vault.auth import Role
from vault.services.owners import REGISTERING_ROLES

router = APIRouter(tags=["owners"])


@router.post(
    "/owners",
    status_code=status.HTTP_201_CREATED,
    summary="Register an owner (idempotent on the identifier)",
    responses={200: {"description": "The owner was already registered", "model": OwnerOut}},
    dependencies=[require_roles(*REGISTERING_ROLES)],
)
def create_owner(
    body: OwnerCreate, response: Response, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> OwnerOut:
    owner, created = vault.owners.register(
        uow, actor, body.kind, body.identifier, body.display_name
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/owners/{owner.id}"
    return OwnerOut.of(owner)


@router.post(
    "/owners/lookup",
    summary="Find an owner by exact identifier",
    dependencies=[require_roles(*READING_ROLES, Role.ADMINISTRATOR)],
)
def lookup_owner(body: OwnerLookup, vault: VaultDep, uow: UowDep, actor: ActorDep) -> OwnerOut:
    return OwnerOut.of(vault.owners.lookup(uow, actor, body.identifier))


@router.get("/owners/{owner_id}", summary="An owner by opaque id")
def get_owner(owner_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep) -> OwnerOut:
    return OwnerOut.of(vault.owners.get(uow, actor, owner_id))
