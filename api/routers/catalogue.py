"""Catalogues: paper types, procedures and what they need; the 766 indicators."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.deps import ActorDep, UowDep, VaultDep, require_roles
from api.schemas import PaperTypeOut
from api.schemas_reuse import IndicatorsOut, ProcedureIO
from vault.auth import Role
from vault.domain import Procedure, Requirement
from vault.errors import InvalidInput

router = APIRouter(tags=["catalogue"])


@router.get("/paper-types", summary="The paper type catalogue")
def list_paper_types(vault: VaultDep, uow: UowDep, actor: ActorDep) -> list[PaperTypeOut]:
    return [PaperTypeOut.of(p) for p in vault.catalogue.paper_types(uow)]


@router.get("/procedures", summary="Procedures and the paper types each needs")
def list_procedures(vault: VaultDep, uow: UowDep, actor: ActorDep) -> list[ProcedureIO]:
    return [ProcedureIO.of(p) for p in vault.catalogue.procedures(uow)]


@router.get("/procedures/{code}", summary="One procedure")
def get_procedure(code: str, vault: VaultDep, uow: UowDep, actor: ActorDep) -> ProcedureIO:
    return ProcedureIO.of(vault.catalogue.procedure(uow, code))


@router.put(
    "/procedures/{code}",
    summary="Add or change a procedure (administrators)",
    dependencies=[require_roles(Role.ADMINISTRATOR)],
)
def put_procedure(
    code: str, body: ProcedureIO, vault: VaultDep, uow: UowDep, actor: ActorDep
) -> ProcedureIO:
    if body.code != code:
        raise InvalidInput("code", "the body's code must match the path")
    procedure = Procedure(
        body.code,
        body.name_vi,
        body.returns_result,
        tuple(
            Requirement(r.paper_type, r.component_name, tuple(r.replacing_result_codes))
            for r in body.requirements
        ),
    )
    return ProcedureIO.of(vault.catalogue.put_procedure(uow, actor, procedure))


@router.get(
    "/indicators",
    summary="The 766 digitisation indicators for an agency and month (JSON or CSV)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
    response_model=IndicatorsOut,
)
def indicators(
    vault: VaultDep,
    uow: UowDep,
    actor: ActorDep,
    agency_code: Annotated[str, Query(examples=["000.00.15.H57"])],
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2025-01"])],
    format: Literal["json", "csv"] = "json",
) -> IndicatorsOut | Response:
    result = IndicatorsOut.of(vault.indicators.monthly(uow, actor, agency_code, month))
    if format == "json":
        return result
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["agency_code", "month", "code", "indicator", "numerator", "denominator", "percent"]
    )
    for i in result.indicators:
        writer.writerow(
            [
                result.agency_code,
                result.month,
                i.code,
                i.name,
                i.numerator,
                i.denominator,
                "" if i.percent is None else f"{i.percent:.2f}",
            ]
        )
    filename = f"indicators-{result.agency_code}-{month}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
