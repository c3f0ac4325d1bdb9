"""The owner's own view: consents they gave, and who accessed their papers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from api.deps import ActorDep, UowDep, VaultDep, require_owner
from api.schemas import PageOut
from api.schemas_accounts import SignInEventOut, SignInsOut, ThrottleOut
from api.schemas_reuse import AccessRecordOut, ConsentCreate, ConsentOut, MeOut
from vault.errors import InvalidInput
from vault.services.consents import receipt

router = APIRouter(prefix="/me", tags=["owner"])


@router.get("", summary="Who the token is for", tags=["auth"])
def me(actor: ActorDep) -> MeOut:
    return MeOut.of(actor)


@router.post(
    "/consents",
    status_code=status.HTTP_201_CREATED,
    summary="Let an agency read some of your paper types for a purpose, until expiry",
    dependencies=[require_owner()],
)
def give_consent(body: ConsentCreate, vault: VaultDep, uow: UowDep, actor: ActorDep) -> ConsentOut:
    consent = vault.consents.give(
        uow,
        actor,
        agency_code=body.agency_code,
        paper_types=body.paper_types,
        purpose=body.purpose,
        days=body.days,
    )
    return ConsentOut.of(consent, datetime.now(UTC))


@router.get("/consents", summary="Your consents, newest first")
def list_consents(vault: VaultDep, uow: UowDep, actor: ActorDep) -> list[ConsentOut]:
    now = datetime.now(UTC)
    return [ConsentOut.of(c, now) for c in vault.consents.list(uow, actor)]


@router.post("/consents/{consent_id}/revoke", summary="Withdraw a consent, at once")
def revoke_consent(
    consent_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> ConsentOut:
    return ConsentOut.of(vault.consents.revoke(uow, actor, consent_id), datetime.now(UTC))


@router.get(
    "/consents/{consent_id}/receipt",
    summary="A consent receipt to keep, signed by the vault (verify with /.well-known/jwks.json)",
)
def consent_receipt(
    consent_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> dict[str, Any]:
    consent = vault.consents.get(uow, actor, consent_id)
    body = receipt(consent, vault.catalogue.agency_name(uow, consent.agency_code))
    return {"receipt": body, "jws": vault.auth.tokens.sign_document({"receipt": body})}


@router.get("/access-log", summary="Who looked at your papers, when, and for which dossier")
def access_log(
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[AccessRecordOut]:
    page = vault.access_log.for_owner(uow, actor, cursor=cursor, limit=limit)
    return PageOut[AccessRecordOut](
        items=[AccessRecordOut.of(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/sign-ins",
    tags=["auth"],
    summary="Your own sign-ins: failures, lockouts, refused and revoked tokens, newest first",
)
def sign_ins(
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SignInsOut:
    if cursor is not None and not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise InvalidInput("cursor", "the cursor is not one this server handed out")
    events, throttle = vault.auth.sign_in_events(
        uow, actor, before_seq=int(cursor) if cursor else None, limit=limit + 1
    )
    page = events[:limit]
    return SignInsOut(
        throttle=ThrottleOut.of(throttle) if throttle else None,
        items=[SignInEventOut.of(e) for e in page],
        next_cursor=str(page[-1].seq) if len(events) > limit else None,
    )
