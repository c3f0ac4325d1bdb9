"""Retention periods, legal holds and disposal (thời hạn bảo quản, tạm giữ, hủy tài liệu)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import ActorDep, UowDep, VaultDep, require_roles
from api.schemas import DocumentOut
from api.schemas_retention import (
    CorrectionIn,
    DecisionIn,
    DisposalBatchOut,
    DisposalDetailOut,
    DisposalItemOut,
    DisposalRequestIn,
    DocumentRetentionOut,
    HoldIn,
    HoldOut,
    ReasonIn,
    RetentionRuleIn,
    RetentionRuleOut,
    TombstoneOut,
)
from vault.auth import Role

router = APIRouter(tags=["retention"])
_RECORDS = (Role.RECORDS_OFFICER, Role.ADMINISTRATOR)
_READERS = (*_RECORDS, Role.AUDITOR)


@router.get("/retention/rules", summary="Each paper type's retention period and its source")
def list_rules(vault: VaultDep, uow: UowDep, actor: ActorDep) -> list[RetentionRuleOut]:
    return [RetentionRuleOut.of(r) for r in vault.retention.rules(uow)]


@router.put(
    "/retention/rules/{paper_type}",
    summary="Change a paper type's retention period (administrators; audited)",
    dependencies=[require_roles(Role.ADMINISTRATOR)],
)
def put_rule(
    paper_type: str, body: RetentionRuleIn, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> RetentionRuleOut:
    rule = vault.retention.set_rule(uow, actor, paper_type, body.years, body.basis)
    return RetentionRuleOut.of(rule)


@router.get(
    "/documents/{document_id}/retention",
    summary="Until when a document version is kept, and what holds it",
    dependencies=[require_roles(*_READERS)],
)
def document_retention(
    document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DocumentRetentionOut:
    return DocumentRetentionOut.of(vault.retention.of_document(uow, actor, document_id))


@router.delete(
    "/documents/{document_id}",
    summary="Always refused: a document version leaves the vault only by approved disposal",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "retained (or held); the attempt is audited"}},
)
def delete_document(document_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep) -> None:
    vault.retention.delete_document(uow, actor, document_id)


@router.get(
    "/retention/holds",
    summary="Legal holds, newest first",
    dependencies=[require_roles(*_READERS)],
)
def list_holds(
    vault: VaultDep, uow: UowDep, actor: ActorDep, active: bool = False
) -> list[HoldOut]:
    return [HoldOut.of(h) for h in vault.retention.holds(uow, actor, active_only=active)]


@router.post(
    "/retention/holds",
    summary="Place a legal hold on a document or an owner (records officers, administrators)",
    status_code=status.HTTP_201_CREATED,
    dependencies=[require_roles(*_RECORDS)],
)
def place_hold(body: HoldIn, vault: VaultDep, uow: UowDep, actor: ActorDep) -> HoldOut:
    target = {"document_id" if body.on == "document" else "owner_id": body.target_id}
    hold = vault.retention.place_hold(uow, actor, reason=body.reason, **target)
    return HoldOut.of(hold)


@router.post(
    "/retention/holds/{hold_id}/lift",
    summary="Lift a legal hold, with the reason",
    dependencies=[require_roles(*_RECORDS)],
)
def lift_hold(
    hold_id: uuid.UUID, body: ReasonIn, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> HoldOut:
    return HoldOut.of(vault.retention.lift_hold(uow, actor, hold_id, body.reason))


@router.post(
    "/retention/disposals",
    summary="Draw up a list of records whose period has ended (a background job)",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[require_roles(*_RECORDS)],
)
def request_disposal(
    body: DisposalRequestIn, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DisposalBatchOut:
    return DisposalBatchOut.of(vault.retention.request_list(uow, actor, body.as_of))


@router.get(
    "/retention/disposals",
    summary="Disposal lists, newest first",
    dependencies=[require_roles(*_READERS)],
)
def list_disposals(vault: VaultDep, uow: UowDep, actor: ActorDep) -> list[DisposalBatchOut]:
    return [DisposalBatchOut.of(b) for b in vault.retention.batches(uow, actor)]


@router.get(
    "/retention/disposals/{batch_id}",
    summary="A disposal list: its records and, once carried out, their tombstones",
    dependencies=[require_roles(*_READERS)],
)
def get_disposal(
    batch_id: uuid.UUID,
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> DisposalDetailOut:
    batch, items, stones = vault.retention.batch(uow, actor, batch_id, limit=limit)
    return DisposalDetailOut(
        batch=DisposalBatchOut.of(batch),
        items=[DisposalItemOut.of(i) for i in items],
        tombstones=[TombstoneOut.of(t) for t in stones],
    )


@router.post(
    "/retention/disposals/{batch_id}/decision",
    summary="Approve or reject a disposal list (a records officer other than who asked)",
    dependencies=[require_roles(Role.RECORDS_OFFICER)],
)
def decide(
    batch_id: uuid.UUID, body: DecisionIn, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DisposalBatchOut:
    batch = vault.retention.decide(uow, actor, batch_id, approve=body.approve, note=body.note)
    return DisposalBatchOut.of(batch)


@router.get(
    "/retention/disposals/{batch_id}/record",
    summary="The signed disposal record (biên bản), PDF",
    responses={200: {"content": {"application/pdf": {}}}},
    response_class=Response,
    dependencies=[require_roles(*_READERS)],
)
def disposal_record(batch_id: uuid.UUID, vault: VaultDep, uow: UowDep, actor: ActorDep) -> Response:
    pdf = vault.retention.record(uow, actor, batch_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bien-ban-huy-{batch_id}.pdf"'},
    )


@router.post(
    "/documents/{document_id}/corrections",
    summary="Correct a paper's metadata at its owner's request: a new version, with the reason",
    status_code=status.HTTP_201_CREATED,
)
def correct_document(
    document_id: uuid.UUID, body: CorrectionIn, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> DocumentOut:
    given = body.model_dump(
        exclude_unset=True, include={"reference_number", "issue_date", "valid_until"}
    )
    document = vault.corrections.correct(
        uow,
        actor,
        document_id,
        reason=body.reason,
        requested_by=body.requested_by,
        title=body.title,
        **given,
    )
    return DocumentOut.of(document)
