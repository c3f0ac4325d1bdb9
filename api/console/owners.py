"""Owners (chủ kho): look one up by exact identifier, and their warehouse as the officer may
see it. The identifier travels only in a POST body; URLs carry the opaque owner id."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from api.console import signatures
from api.console.web import (
    PREFIX,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    lang_of,
    mask_identifier,
    redirect,
    render,
    require_officer,
)
from api.deps import UowDep, VaultDep
from ocr.recognised import ocr_states
from vault.auth import Actor, Role
from vault.domain import Document, OwnerKind
from vault.errors import InvalidInput, NotFound, PermissionDenied
from vault.runtime import Vault
from vault.services import DocumentFilters, UnitOfWork
from vault.services.catalogue import CatalogueService

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


@router.get("/owners")
def lookup_page(request: Request, actor: ActorDep) -> Response:
    require_officer(actor)
    return render(request, "owners_lookup.html", {"error": None})


@router.post("/owners/lookup")
def lookup(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    identifier: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        owner = vault.owners.lookup(uow, actor, identifier)
    except (InvalidInput, NotFound) as exc:
        # The look-up's audit entry ("not found") is kept: nothing else was written.
        status = 422 if isinstance(exc, InvalidInput) else 404
        key = "lookup.malformed" if status == 422 else "lookup.unknown"
        return render(request, "owners_lookup.html", {"error": key}, status=status)
    return redirect(f"{PREFIX}/owners/{owner.id}")


def paper_type_names(uow: UnitOfWork, lang: str) -> dict[str, str]:
    # The catalogue service holds no state: the certify form, which has no vault at hand,
    # reads the names through it too.
    types = CatalogueService().paper_types(uow)
    return {p.code: (p.name_en if lang == "en" else p.name_vi) for p in types}


def document_rows(
    vault: Vault, uow: UnitOfWork, documents: list[Document], lang: str
) -> list[dict[str, Any]]:
    """What the warehouse table and the search results show of each paper."""
    types = paper_type_names(uow, lang)
    issuers = vault.catalogue.agency_names(uow, {d.issuer_agency_code for d in documents})
    ocr = ocr_states(uow, [d.id for d in documents])
    checks = vault.signatures.verdicts(uow, documents)
    return [
        {
            "doc": d,
            "type_name": types.get(d.paper_type, d.paper_type),
            "issuer": issuers.get(d.issuer_agency_code or "", None),
            "signature": signatures.badge(d, checks.get(d.id)),
            "ocr": ocr[d.id].status.value,
        }
        for d in documents
    ]


def _dossiers(
    vault: Vault, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID
) -> list[dict[str, Any]] | None:
    """The owner's dossiers this officer may see (those their agency received), newest
    first; None when the officer's roles see no dossiers at all."""
    try:
        page = vault.dossiers.list_for_owner(uow, actor, owner_id, limit=100)
    except PermissionDenied:
        return None
    procedures = {p.code: p.name_vi for p in vault.catalogue.procedures(uow)}
    return [
        {"dossier": d, "procedure_name": procedures.get(d.procedure_code, "")} for d in page.items
    ]


def owner_heading(owner_kind: OwnerKind, display_name: str, identifier: str) -> dict[str, str]:
    return {
        "name": display_name,
        "id_label": "owner.cccd" if owner_kind is OwnerKind.CITIZEN else "owner.tax_code",
        "masked": mask_identifier(identifier),
    }


@router.get("/owners/{owner_id}")
def owner_page(
    request: Request,
    owner_id: uuid.UUID,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    cursor: str | None = None,
) -> Response:
    owner = vault.owners.get(uow, actor, owner_id)
    lang = lang_of(request)
    empty_reason: str | None = None
    rows: list[dict[str, Any]] = []
    next_cursor = None
    try:
        page = vault.documents.list_for_owner(
            uow, actor, owner.id, DocumentFilters(), cursor=cursor, limit=100
        )
    except PermissionDenied:
        # Audited as a denial by the service; the page says why instead of a bare 403.
        empty_reason = "warehouse.none_open"
    else:
        rows = document_rows(vault, uow, list(page.items), lang)
        next_cursor = page.next_cursor
        if not rows:
            # Say why: no dossier or consent opens anything (only what the agency issued
            # would show), or something is open but nothing of it is on file.
            seen = vault.access.visibility(uow, actor, owner.id)
            opened = seen.everything or seen.by_type or seen.by_document
            empty_reason = "warehouse.no_papers" if opened else "warehouse.none_open"
    return render(
        request,
        "owner.html",
        {
            "dossiers": _dossiers(vault, uow, actor, owner.id),
            "can_receive": actor.has(Role.RECEIVING_OFFICER),
            "owner": owner,
            "heading": owner_heading(owner.kind, owner.display_name, owner.identifier),
            "rows": rows,
            "empty_reason": empty_reason,
            "next_cursor": next_cursor,
        },
    )
