"""Proof bundles: one file a receiving agency checks without the vault.

GET /api/v1/documents/{id}/proof-bundle        the bundle (zip) of a signed result or
                                               certified copy the caller may read
GET /api/v1/public/proof-status/{document_id}  what the vault says of it now (the status
                                               URL in the record statement; public)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.deps import ActorDep, UowDep
from api.routers.signing import get_signing
from signing.issuing.wiring import VaultSigning
from vault.services import lookups

router = APIRouter(tags=["proof bundles"])
public_router = APIRouter(tags=["proof bundles"])

SigningDep = Annotated[VaultSigning, Depends(get_signing)]


@router.get(
    "/documents/{document_id}/proof-bundle",
    summary="An offline proof bundle of a signed result or certified copy (zip)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def proof_bundle(
    document_id: uuid.UUID, uow: UowDep, actor: ActorDep, signing: SigningDep
) -> Response:
    data = signing.bundles.build(uow, actor, document_id)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="proof-{document_id}.zip"',
            "Cache-Control": "private, no-store",
        },
    )


class ProofStatusOut(BaseModel):
    document_id: uuid.UUID
    status: Literal["current", "superseded", "unknown"] = Field(
        description="`superseded`: a newer version replaced it (reissued or revoked); "
        "`unknown`: the vault holds no such paper (any more)"
    )
    checked_at: datetime


@public_router.get(
    "/public/proof-status/{document_id}",
    summary="Whether a paper named in a proof bundle is still the one on record (public)",
)
def proof_status(document_id: uuid.UUID, uow: UowDep) -> ProofStatusOut:
    document = lookups.document(uow, document_id)
    value: Literal["current", "superseded", "unknown"] = "unknown"
    if document is not None and document.has_signature:
        value = "current" if document.status.value == "current" else "superseded"
    return ProofStatusOut(document_id=document_id, status=value, checked_at=datetime.now(UTC))
