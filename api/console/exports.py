"""The owner's copy of their warehouse in the console (sao chép kho dữ liệu): ask for it,
watch the job build it, download it once. Officers, auditors and administrators get the
denied page: only the owner (a citizen, or an organisation's representative signed in as
its account) exports a warehouse."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from api.console.web import PREFIX, ActorDep, ConsoleRoute, CsrfDep, redirect, render
from api.deps import UowDep, VaultDep
from api.routers.exports import exports_of
from vault.auth import Actor, ActorKind
from vault.domain import ExportStatus
from vault.errors import PermissionDenied, VaultError
from vault.services.jobs import JobService

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def _owner_only(actor: Actor) -> None:
    if actor.kind is not ActorKind.OWNER or actor.owner_id is None:
        raise PermissionDenied("only the owner of a warehouse may export it")


@router.get("/exports")
def exports_page(request: Request, actor: ActorDep, vault: VaultDep, uow: UowDep) -> Response:
    _owner_only(actor)
    rows: list[dict[str, Any]] = []
    for export in exports_of(vault).list(uow, actor):
        done, total = 0, None
        if export.status is ExportStatus.PENDING and export.job_id is not None:
            try:
                job = JobService().get(uow, actor, export.job_id)
                done, total = job.progress_done, job.progress_total
            except VaultError:
                pass
        rows.append({"export": export, "done": done, "total": total if total else "?"})
    return render(
        request,
        "exports.html",
        {"rows": rows, "hours": int(vault.settings.export_link_hours)},
    )


@router.post("/exports")
def ask_export(
    request: Request,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    _csrf: CsrfDep,
    include_superseded: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    _owner_only(actor)
    exports_of(vault).request(uow, actor, include_superseded=include_superseded == "on")
    uow.commit()
    return redirect(f"{PREFIX}/exports", flash="flash.export_requested")


@router.post("/exports/{export_id}/download")
def take_export(
    request: Request,
    export_id: uuid.UUID,
    actor: ActorDep,
    vault: VaultDep,
    uow: UowDep,
    _csrf: CsrfDep,
) -> Response:
    """A fresh one-time link, and straight to it (the browser saves the zip)."""
    _owner_only(actor)
    link = exports_of(vault).issue_link(uow, actor, export_id)
    uow.commit()
    return redirect(str(request.url_for("download_export", token=link.token)))
