"""Vault-to-vault endpoints (liên thông giữa kho các tỉnh): this vault's public keys, the token
endpoint peers authenticate at with private_key_jwt, and the two calls a trusted peer makes
for a dossier its agency received: reuse candidates and a paper's content.

Off (404) unless this vault knows its own public URL and has an integration key
(`VAULT_FEDERATION_URL`, `VAULT_INTEGRATION_CLIENT_KEY`); each peer it answers is listed in
`VAULT_PEERS`. Vault-to-vault only: not in the officers' OpenAPI document.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from api.deps import UowDep, VaultDep
from api.schemas_peers import PeerLookupIn, PeerLookupOut, PeerTokenOut
from vault.access import PeerPurpose
from vault.errors import InvalidInput, NotFound
from vault.integrations.federation_auth import FederationAuth, PeerClient
from vault.runtime import Vault

router = APIRouter(tags=["federation"], include_in_schema=False)


def _federation(vault: Vault) -> FederationAuth:
    if vault.federation is None:
        raise NotFound("this vault does not take part in a federation")
    return vault.federation


def peer_client(
    vault: VaultDep, authorization: Annotated[str | None, Header()] = None
) -> PeerClient:
    return _federation(vault).authenticate(authorization)


PeerDep = Annotated[PeerClient, Depends(peer_client)]


@router.get("/.well-known/federation-jwks.json")
def jwks(vault: VaultDep) -> dict[str, Any]:
    """This vault's public key set: peers check its client assertions against it."""
    return _federation(vault).public_jwks()


@router.post("/federation/token")
async def token(request: Request, vault: VaultDep) -> PeerTokenOut:
    """OAuth 2.0 client credentials, the client authenticated by an RFC 7523 assertion."""
    federation = _federation(vault)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    value, lifetime = federation.issue_token(fields)
    return PeerTokenOut(access_token=value, expires_in=lifetime)


def _purpose(peer: PeerClient, body: PeerLookupIn) -> PeerPurpose:
    if not body.requesting_agency:
        raise InvalidInput("requesting_agency", "name the agency that received the dossier")
    return PeerPurpose(
        peer=peer.name,
        peer_label=peer.label,
        agency_prefix=peer.agency_prefix,
        agency_code=body.requesting_agency,
        officer_id=body.officer.id,
        officer_name=body.officer.name,
        dossier_code=body.dossier_code,
        procedure_code=body.procedure_code,
    )


@router.post("/federation/reuse-candidates")
def reuse_candidates(
    body: PeerLookupIn, peer: PeerDep, vault: VaultDep, uow: UowDep
) -> PeerLookupOut:
    lookup = vault.peer_answers.candidates(
        uow, _purpose(peer, body), body.owner_identifier, body.paper_types
    )
    return PeerLookupOut.of(lookup)


@router.post("/federation/documents/{document_id}", response_class=StreamingResponse)
def document(
    document_id: str, body: PeerLookupIn, peer: PeerDep, vault: VaultDep, uow: UowDep
) -> StreamingResponse:
    try:
        parsed = uuid.UUID(document_id)
    except ValueError as exc:
        raise NotFound("no such paper in this owner's warehouse") from exc
    stream = vault.peer_answers.open_document(
        uow, _purpose(peer, body), body.owner_identifier, parsed
    )
    blob = stream.document.blob
    return StreamingResponse(
        stream.chunks,
        media_type=blob.media_type.value,
        headers={
            "Content-Length": str(stream.length),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
