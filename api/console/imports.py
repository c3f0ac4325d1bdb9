"""Batch import in the console (nhập lô số hóa): print separator sheets, submit a scanned
batch, follow its progress, and the review queue — the page image beside the fields read
from it; accept, correct, split, merge, rotate or reject. Receiving officers only; the use
cases are `ocr.batches.service`'s, as in the API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from api.console.i18n import MESSAGES
from api.console.owners import paper_type_names
from api.console.web import (
    PREFIX,
    ActorDep,
    ConsoleRoute,
    CsrfDep,
    lang_of,
    redirect,
    render,
    require_officer,
    t_for,
)
from api.deps import UowDep, VaultDep
from ocr.batches.model import Part, PartStatus
from ocr.batches.service import REVIEW_FIELDS, BatchService, Review, SheetRequest
from vault.auth import Actor, Role
from vault.errors import InvalidInput
from vault.runtime import Vault
from vault.services import UnitOfWork, lookups

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


# The reasons a part waits, as the service words them, and their keys in the console's words.
_PROBLEMS = {
    "no separator sheet before these pages: name the owner and the paper type": "no_sheet",
    "the batch has no separator sheets (cut at blank pages): name the owner": "no_sheets",
    "the separator sheet's QR code could not be read": "unreadable_qr",
    "the separator sheet was not printed by this vault": "foreign_sheet",
    "the separator sheet does not match the one printed under its ref": "altered_sheet",
    "the separator sheet names an owner the vault does not know": "unknown_owner",
    "the separator sheet names an unknown paper type": "unknown_type",
    "the separator sheet names a dossier not of this owner": "other_dossier",
    "no paper type: the sheet gave none and none was recognised": "no_type",
    "no text could be read from this part": "no_text",
    "the personal number on the paper is not the owner's": "other_number",
}
_DAMAGED = re.compile(r"^page (\d+)(?::| is damaged)")


def problem_words(t: Callable[..., str]) -> Callable[[str], str]:
    """A reason in the page's language (a reason the console has no words for, as is)."""

    def words(problem: str) -> str:
        if problem in _PROBLEMS:
            return t(f"imports.problem.{_PROBLEMS[problem]}")
        if problem.startswith("fields to check: "):
            names = problem.removeprefix("fields to check: ").split(", ")
            known = [
                t(f"imports.field.{n}") if f"imports.field.{n}" in MESSAGES else n for n in names
            ]
            return t("imports.problem.fields", names=", ".join(known))
        if problem.startswith("rejected: "):
            return t("imports.problem.rejected", why=problem.removeprefix("rejected: "))
        damaged = _DAMAGED.match(problem)
        if damaged:
            return t("imports.problem.damaged", n=damaged.group(1), detail=problem)
        return problem

    return words


def _service(vault: Vault) -> BatchService:
    return BatchService(vault.keyring, vault.documents)


def _officer(actor: Actor) -> None:
    require_officer(actor, Role.RECEIVING_OFFICER)


@router.get("/imports")
def batches_page(request: Request, actor: ActorDep, vault: VaultDep, uow: UowDep) -> Response:
    _officer(actor)
    batches = _service(vault).batches(uow, actor)
    types = paper_type_names(uow, lang_of(request))
    return render(request, "imports.html", {"batches": batches, "types": types})


@router.post("/imports/sheets")
def print_sheet(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    identifier: Annotated[str, Form(max_length=64)],
    paper_type: Annotated[str, Form(max_length=64)] = "",
    count: Annotated[int, Form(ge=1, le=100)] = 1,
) -> Response:
    """The owner is named by their identifier in the form's body; the sheet carries only
    their opaque id."""
    _officer(actor)
    owner = vault.owners.lookup(uow, actor, identifier)
    request_ = SheetRequest(owner.id, paper_type or None)
    pdf = _service(vault).print_sheets(uow, actor, [request_] * count)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="separator-sheets.pdf"'},
    )


@router.post("/imports")
def submit(
    request: Request,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    _officer(actor)
    _, created = _service(vault).submit(uow, actor, file.filename or "batch", file.file.read())
    flash = "flash.imports_queued" if created else "flash.imports_again"
    return redirect(f"{PREFIX}/imports", flash=flash)


@router.get("/imports/queue")
def queue_page(request: Request, actor: ActorDep, vault: VaultDep, uow: UowDep) -> Response:
    _officer(actor)
    parts = _service(vault).parts(uow, actor)
    return render(
        request,
        "imports_queue.html",
        {"rows": _rows(uow, parts), "types": paper_type_names(uow, lang_of(request))},
    )


def _rows(uow: UnitOfWork, parts: list[Part]) -> list[dict[str, Any]]:
    names: dict[uuid.UUID, str] = {}
    for part in parts:
        if part.owner_id is not None and part.owner_id not in names:
            owner = lookups.owner(uow, part.owner_id)
            names[part.owner_id] = owner.display_name if owner else "?"
    return [{"part": p, "owner_name": names.get(p.owner_id) if p.owner_id else None} for p in parts]


@router.get("/imports/parts/{part_id}")
def part_page(
    request: Request, part_id: uuid.UUID, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    _officer(actor)
    part = _service(vault).part(uow, actor, part_id)
    (row,) = _rows(uow, [part])
    return render(
        request,
        "imports_part.html",
        {
            **row,
            "types": paper_type_names(uow, lang_of(request)),
            "review_fields": REVIEW_FIELDS,
            "values": {f.name: f for f in part.fields},
            "pending": part.status is PartStatus.PENDING,
            "problem_words": problem_words(t_for(request)),
        },
    )


@router.get("/imports/parts/{part_id}/pages/{index}.png")
def page_image(
    part_id: uuid.UUID, index: int, actor: ActorDep, vault: VaultDep, uow: UowDep
) -> Response:
    _officer(actor)
    png = _service(vault).page_image(uow, actor, part_id, index)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


async def _review(request: Request, vault: Vault, uow: UnitOfWork, actor: Actor) -> Review:
    form = await request.form()
    owner_id = None
    identifier = str(form.get("owner_identifier") or "").strip()
    if identifier:
        owner_id = vault.owners.lookup(uow, actor, identifier).id
    paper_type = str(form.get("paper_type") or "") or None
    fields = {name: str(form.get(f"field_{name}") or "") for name in REVIEW_FIELDS}
    return Review(owner_id=owner_id, paper_type=paper_type, fields=fields)


@router.post("/imports/parts/{part_id}")
async def act(
    request: Request,
    part_id: uuid.UUID,
    _csrf: CsrfDep,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
) -> Response:
    """One form, several buttons: the button pressed says what to do."""
    _officer(actor)
    service = _service(vault)
    form = await request.form()
    action = str(form.get("action") or "")
    here = f"{PREFIX}/imports/parts/{part_id}"
    if action == "approve":
        service.approve(uow, actor, part_id, await _review(request, vault, uow, actor))
        return redirect(f"{PREFIX}/imports/queue", flash="flash.imports_approved")
    if action == "save":
        service.correct(uow, actor, part_id, await _review(request, vault, uow, actor))
        return redirect(here, flash="flash.imports_saved")
    if action == "reject":
        service.reject(uow, actor, part_id, str(form.get("reason") or ""))
        return redirect(f"{PREFIX}/imports/queue", flash="flash.imports_rejected")
    if action == "rotate":
        service.rotate(uow, actor, part_id, 90)
        return redirect(here)
    if action == "merge":
        service.merge(uow, actor, part_id)
        return redirect(here, flash="flash.imports_merged")
    if action == "split":
        try:
            at = int(str(form.get("split_at") or ""))
        except ValueError as exc:
            raise InvalidInput("split_at", "a page number") from exc
        service.split(uow, actor, part_id, at)
        return redirect(here, flash="flash.imports_split")
    raise InvalidInput("action", "unknown action")
