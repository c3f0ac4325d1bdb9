"""Receiving a dossier (tiếp nhận hồ sơ): record it, see which needed papers are on file and
valid (attach them with one click) or why not, and scan the missing ones (stored in the
owner's warehouse, attached, queued for OCR). Reuse decisions are `vault.reuse.plan`'s."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from api.console.owners import document_rows, owner_heading, paper_type_names
from api.console.web import (
    PREFIX,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    error_words,
    fmt_date,
    lang_of,
    redirect,
    render,
    require_officer,
    status_of,
    t_for,
)
from api.deps import UowDep, VaultDep
from vault.auth import Actor, Role
from vault.domain import DocumentOrigin, DossierStatus, Reuse
from vault.errors import (
    Conflict,
    ContentTooLarge,
    InvalidInput,
    NotFound,
    UnreadableContent,
    UnsupportedMediaType,
    VaultError,
)
from vault.integrations import IntegrationError
from vault.runtime import Vault
from vault.services import NewDocument, UnitOfWork
from vault.services.dossiers import NewDossier
from vault.services.reuse_rule import Reason

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def _form(
    request: Request,
    vault: Vault,
    uow: UnitOfWork,
    actor: Actor,
    owner_id: uuid.UUID,
    *,
    error: str | None = None,
    code: str = "",
    procedure: str = "",
    status: int = 200,
) -> Response:
    owner = vault.owners.get(uow, actor, owner_id)
    return render(
        request,
        "dossier_new.html",
        {
            "owner": owner,
            "heading": owner_heading(owner.kind, owner.display_name, owner.identifier),
            "procedures": vault.catalogue.procedures(uow),
            "error": error,
            "code": code,
            "procedure": procedure,
        },
        status=status,
    )


@router.get("/owners/{owner_id}/dossiers/new")
def new_dossier(
    request: Request, owner_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    require_officer(actor, Role.RECEIVING_OFFICER)
    return _form(request, vault, uow, actor, owner_id)


@router.post("/owners/{owner_id}/dossiers")
def create_dossier(
    request: Request,
    owner_id: uuid.UUID,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    dossier_code: Annotated[str, Form(max_length=64)] = "",
    procedure_code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    code = dossier_code.strip() or vault.dossiers.next_code(uow, actor.require_agency())
    try:
        dossier, created = vault.dossiers.create(
            uow, actor, NewDossier(code=code, procedure_code=procedure_code, owner_id=owner_id)
        )
    except (InvalidInput, Conflict) as exc:
        uow.rollback()  # nothing of a refused dossier stays
        status = 422 if isinstance(exc, InvalidInput) else 409
        return _form(
            request,
            vault,
            uow,
            actor,
            owner_id,
            error=error_words(request, exc),
            code=dossier_code,
            procedure=procedure_code,
            status=status,
        )
    # The same code typed again opens the dossier already recorded (the domain is idempotent
    # on the code): say so rather than "recorded".
    flash = "flash.dossier_created" if created else "flash.dossier_exists"
    return redirect(f"{PREFIX}/dossiers/{dossier.id}", flash=flash)


# The domain's reason codes this console words itself; the others show the API's text.
_REASON_KEYS = {
    "superseded": "reason.superseded",
    "not_yet_issued": "reason.not_yet_issued",
    "signature_invalid": "reason.signature_invalid",
    "signature_not_verifiable": "reason.signature_not_verifiable",
    "signature_changed_after_signing": "reason.signature_changed_after_signing",
    "signature_unchecked": "reason.signature_unchecked",
}


def _reason(t: Any, reason: Reason) -> str:
    """A reason of the reuse plan in the reader's words."""
    if reason.code == "expired" and reason.day is not None:
        return str(t("reason.expired", day=fmt_date(reason.day)))
    key = _REASON_KEYS.get(reason.code, "reason.other")
    return str(t(key, text=reason.text))  # English shows the domain's text for other codes


def _dossier_view(
    request: Request,
    vault: Vault,
    uow: UnitOfWork,
    actor: Actor,
    dossier_id: uuid.UUID,
    *,
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The dossier page; `problem` is a refused attach or upload, shown beside the paper it
    was for, with what was typed kept."""
    federated = vault.remote_reuse.plan(uow, actor, dossier_id)
    plan = federated.local
    owner = vault.owners.get(uow, actor, plan.dossier.owner_id)
    t = t_for(request)
    lang = lang_of(request)
    types = paper_type_names(uow, lang)
    all_docs = [c.document for n in plan.needed for c in n.candidates]
    rows = {r["doc"].id: r for r in document_rows(vault, uow, all_docs, lang)}
    needed = []
    for n in plan.needed:
        # Attached counts only while the paper can still be used: one attached and since
        # expired, superseded or refused for its signature is listed with its reasons, and
        # the paper is on file (another usable one) or missing again.
        attached = [c for c in n.candidates if c.attached and c.usable]
        usable = [c for c in n.candidates if c.usable and not c.attached]
        rejected = [
            {
                "c": c,
                "row": rows[c.document.id],
                "reasons": [_reason(t, r) for r in c.reasons],
                "attached": c.attached,
            }
            for c in n.candidates
            if not c.usable
        ]
        rejected.sort(key=lambda r: not r["attached"])  # the attached ones first
        state = "attached" if attached else ("on-file" if usable else "missing")
        remote = [
            {
                "peer": c.peer,
                "source": c.peer_label,
                "c": c.candidate,
                "attached": c.attached,
                "reasons": [_reason(t, Reason(r.code, r.text)) for r in c.candidate.reasons],
            }
            for o in federated.peers
            for c in o.candidates
            if c.candidate.paper_type == n.paper_type
        ]
        needed.append(
            {
                "remote": remote,
                "remote_refused": [
                    o.label
                    for o in federated.peers
                    for r in o.refused
                    if r.paper_type == n.paper_type
                ],
                "paper_type": n.paper_type,
                "type_name": types.get(n.paper_type, n.paper_type),
                "component_name": n.component_name,
                "state": state,
                "attached": [{"c": c, "row": rows[c.document.id]} for c in attached],
                "usable": [{"c": c, "row": rows[c.document.id]} for c in usable],
                "rejected": rejected,
            }
        )
    closed = plan.dossier.status is not DossierStatus.OPEN
    return render(
        request,
        "dossier.html",
        {
            "plan": plan,
            "dossier": plan.dossier,
            "owner": owner,
            "heading": owner_heading(owner.kind, owner.display_name, owner.identifier),
            "needed": needed,
            "closed": closed,
            "can_change": not closed and actor.has(Role.RECEIVING_OFFICER),
            "can_close": not closed and actor.has(Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER),
            "problem": problem,
            "peers": federated.peers,
            "provenance": {k: v.peer_label for k, v in federated.provenance.items()},
        },
        status=status,
    )


@router.get("/dossiers/{dossier_id}")
def dossier_page(
    request: Request, dossier_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    return _dossier_view(request, vault, uow, actor, dossier_id)


def _refused(
    request: Request,
    vault: Vault,
    uow: UnitOfWork,
    actor: Actor,
    dossier_id: uuid.UUID,
    exc: VaultError,
    problem: dict[str, Any],
) -> Response:
    """A refusal the officer can fix (a wrong file, a date, a paper no longer usable): the
    dossier page again, the message beside the paper, nothing of the attempt kept."""
    uow.rollback()
    problem["message"] = error_words(request, exc)
    return _dossier_view(
        request, vault, uow, actor, dossier_id, problem=problem, status=status_of(exc)
    )


# What the officer can put right on the dossier page; anything else (denied, not found, the
# store down) is the error page, as for every other request.
_FIXABLE = (InvalidInput, Conflict, UnsupportedMediaType, UnreadableContent, ContentTooLarge)


@router.post("/dossiers/{dossier_id}/attach")
def attach(
    request: Request,
    dossier_id: uuid.UUID,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    document_id: Annotated[uuid.UUID, Form()],
) -> Response:
    plan = vault.reuse.plan(uow, actor, dossier_id)
    candidate, paper_type = next(
        (
            (c, n.paper_type)
            for n in plan.needed
            for c in n.candidates
            if c.document.id == document_id
        ),
        (None, None),
    )
    try:
        if candidate is None or not candidate.usable:
            raise Conflict("this paper cannot be used for this dossier")
        vault.dossiers.attach(
            uow,
            actor,
            dossier_id,
            document_id,
            reused=candidate.reuse,
            replacing_result_code=candidate.replacing_result_code
            if candidate.reuse is Reuse.BY_REPLACING_RESULT
            else None,
        )
    except _FIXABLE as exc:
        problem = {"paper_type": paper_type, "action": "attach"}
        return _refused(request, vault, uow, actor, dossier_id, exc, problem)
    return redirect(f"{PREFIX}/dossiers/{dossier_id}", flash="flash.attached")


@router.post("/dossiers/{dossier_id}/take")
def take_from_peer(
    request: Request,
    dossier_id: uuid.UUID,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    peer: Annotated[str, Form(max_length=64)],
    document_id: Annotated[str, Form(max_length=128)],
    paper_type: Annotated[str, Form(max_length=64)],
) -> Response:
    """Takes a paper another province's vault offers (verified, copied, attached)."""
    try:
        vault.remote_reuse.take(uow, actor, dossier_id, peer, document_id)
    except (*_FIXABLE, NotFound, IntegrationError) as exc:
        problem = {"paper_type": paper_type, "action": "take"}
        return _refused(request, vault, uow, actor, dossier_id, exc, problem)
    return redirect(f"{PREFIX}/dossiers/{dossier_id}", flash="flash.taken_from_peer")


def _optional_date(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(field, "a date looks like 2025-01-15") from exc


@router.post("/dossiers/{dossier_id}/upload")
def upload(
    request: Request,
    dossier_id: uuid.UUID,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    file: Annotated[UploadFile, File()],
    paper_type: Annotated[str, Form(max_length=64)],
    reference_number: Annotated[str, Form(max_length=100)] = "",
    issued_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The same use case as `POST /owners/{id}/documents` with `dossier_id`: stored in the
    warehouse (origin digitised), attached to the dossier, queued for OCR."""
    dossier = vault.dossiers.get(uow, actor, dossier_id)
    paper = vault.catalogue.paper_type(uow, paper_type)
    try:
        vault.documents.upload(
            uow,
            actor,
            dossier.owner_id,
            NewDocument(
                paper_type=paper_type,
                title=paper.name_vi if paper else paper_type,
                origin=DocumentOrigin.DIGITISED,
                reference_number=reference_number.strip() or None,
                issue_date=_optional_date(issued_on, "issued_on"),
            ),
            file.file,
            dossier_id=dossier.id,
        )
    except _FIXABLE as exc:
        problem = {
            "paper_type": paper_type,
            "action": "upload",
            "reference_number": reference_number,
            "issued_on": issued_on,
        }
        return _refused(request, vault, uow, actor, dossier_id, exc, problem)
    return redirect(f"{PREFIX}/dossiers/{dossier_id}", flash="flash.uploaded")


@router.post("/dossiers/{dossier_id}/close")
def close(
    dossier_id: uuid.UUID, _csrf: CsrfDep, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    """Kết thúc hồ sơ: its papers are no longer open to the agency through it."""
    vault.dossiers.close(uow, actor, dossier_id)
    return redirect(f"{PREFIX}/dossiers/{dossier_id}", flash="flash.closed")
