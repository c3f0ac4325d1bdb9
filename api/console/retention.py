"""Retention (lưu trữ): periods and their sources, legal holds, disposal lists, the signed
disposal record. Records officers act; administrators place holds; auditors read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from api.console.web import (
    PREFIX,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    error_words,
    redirect,
    render,
    require_officer,
)
from api.deps import UowDep, VaultDep
from vault.auth import Actor, Role
from vault.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vault.runtime import Vault
from vault.services import UnitOfWork

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
READERS = (Role.RECORDS_OFFICER, Role.ADMINISTRATOR, Role.AUDITOR)
_REFUSALS = (InvalidInput, Conflict, NotFound, PermissionDenied)


def _page(
    request: Request,
    vault: Vault,
    uow: UnitOfWork,
    actor: Actor,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "retention.html",
        {
            "rules": vault.retention.rules(uow),
            "names": {p.code: (p.name_vi, p.name_en) for p in vault.catalogue.paper_types(uow)},
            "holds": vault.retention.holds(uow, actor, active_only=True),
            "batches": vault.retention.batches(uow, actor),
            "can_hold": actor.has(Role.RECORDS_OFFICER, Role.ADMINISTRATOR),
            "can_list": actor.has(Role.RECORDS_OFFICER, Role.ADMINISTRATOR),
            "can_decide": actor.has(Role.RECORDS_OFFICER),
            "error": error,
        },
        status=status,
    )


@router.get("/retention")
def retention_page(request: Request, actor: ActorDep, vault: VaultDep, uow: UowDep) -> Response:
    require_officer(actor, *READERS)
    return _page(request, vault, uow, actor)


def _refused(
    request: Request, vault: Vault, uow: UnitOfWork, actor: Actor, exc: Exception
) -> Response:
    uow.rollback()  # the refusal's audit entry is kept; nothing else
    status = {InvalidInput: 422, NotFound: 404, PermissionDenied: 403}.get(type(exc), 409)
    if isinstance(exc, PermissionDenied):
        status = 403
    return _page(request, vault, uow, actor, error=error_words(request, exc), status=status)


@router.post("/retention/holds")
def place_hold(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    document_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    require_officer(actor, *READERS)
    try:
        try:
            target = uuid.UUID(document_id.strip())
        except ValueError as exc:
            raise InvalidInput("document_id", "a document id is a UUID") from exc
        vault.retention.place_hold(uow, actor, reason=reason, document_id=target)
    except _REFUSALS as exc:
        return _refused(request, vault, uow, actor, exc)
    uow.commit()
    return redirect(f"{PREFIX}/retention", flash="flash.hold_placed")


@router.post("/retention/holds/{hold_id}/lift")
def lift_hold(
    request: Request,
    hold_id: uuid.UUID,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    require_officer(actor, *READERS)
    try:
        vault.retention.lift_hold(uow, actor, hold_id, reason)
    except _REFUSALS as exc:
        return _refused(request, vault, uow, actor, exc)
    uow.commit()
    return redirect(f"{PREFIX}/retention", flash="flash.hold_lifted")


@router.post("/retention/disposals")
def request_disposal(
    request: Request, _csrf: CsrfDep, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    require_officer(actor, *READERS)
    try:
        vault.retention.request_list(uow, actor)
    except _REFUSALS as exc:
        return _refused(request, vault, uow, actor, exc)
    uow.commit()
    return redirect(f"{PREFIX}/retention", flash="flash.disposal_listed")


@router.post("/retention/disposals/{batch_id}/decision")
def decide(
    request: Request,
    batch_id: uuid.UUID,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    approve: Annotated[str, Form(max_length=1)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    require_officer(actor, *READERS)
    try:
        vault.retention.decide(uow, actor, batch_id, approve=approve == "1", note=note)
    except _REFUSALS as exc:
        return _refused(request, vault, uow, actor, exc)
    uow.commit()
    flash = "flash.disposal_approved" if approve == "1" else "flash.disposal_rejected"
    return redirect(f"{PREFIX}/retention", flash=flash)


@router.get("/retention/disposals/{batch_id}/record")
def record(batch_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep) -> Response:
    require_officer(actor, *READERS)
    pdf = vault.retention.record(uow, actor, batch_id)
    headers: dict[str, Any] = {
        "Content-Disposition": f'attachment; filename="bien-ban-huy-{batch_id}.pdf"'
    }
    return Response(pdf, media_type="application/pdf", headers=headers)
