"""The catalogue: paper types (loại giấy tờ) and administrative procedures (thủ tục hành
chính) with the papers each requires."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vault.db.models import PaperTypeRow, ProcedureRequirementRow, ProcedureRow
from vault.domain import PaperType, Procedure, Requirement


class PaperTypeRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, code: str) -> PaperType | None:
        row = self._s.get(PaperTypeRow, code)
        if row is None:
            return None
        return PaperType(row.code, row.name_vi, row.name_en, row.default_validity_days)

    def list(self) -> list[PaperType]:
        rows = self._s.scalars(select(PaperTypeRow).order_by(PaperTypeRow.code))
        return [PaperType(r.code, r.name_vi, r.name_en, r.default_validity_days) for r in rows]


class ProcedureRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        # Procedures change rarely and a unit of work is short: read each once per request.
        self._cache: dict[str, Procedure | None] = {}

    def _requirements(self, codes: Sequence[str]) -> dict[str, list[Requirement]]:
        rows = self._s.scalars(
            select(ProcedureRequirementRow)
            .where(ProcedureRequirementRow.procedure_code.in_(codes))
            .order_by(ProcedureRequirementRow.procedure_code, ProcedureRequirementRow.paper_type)
        )
        out: dict[str, list[Requirement]] = {}
        for r in rows:
            codes_list = tuple(c for c in r.replacing_result_codes.split(",") if c)
            out.setdefault(r.procedure_code, []).append(
                Requirement(r.paper_type, r.component_name, codes_list)
            )
        return out

    def get(self, code: str) -> Procedure | None:
        if code not in self._cache:
            row = self._s.get(ProcedureRow, code)
            reqs = self._requirements([code]).get(code, []) if row else []
            self._cache[code] = (
                Procedure(row.code, row.name_vi, row.returns_result, tuple(reqs)) if row else None
            )
        return self._cache[code]

    def list(self) -> list[Procedure]:
        rows = list(self._s.scalars(select(ProcedureRow).order_by(ProcedureRow.code)))
        reqs = self._requirements([r.code for r in rows])
        return [
            Procedure(r.code, r.name_vi, r.returns_result, tuple(reqs.get(r.code, [])))
            for r in rows
        ]

    def put(self, procedure: Procedure) -> None:
        self._cache.pop(procedure.code, None)
        row = self._s.get(ProcedureRow, procedure.code)
        if row is None:
            self._s.add(
                ProcedureRow(
                    code=procedure.code,
                    name_vi=procedure.name_vi,
                    returns_result=procedure.returns_result,
                )
            )
        else:
            row.name_vi = procedure.name_vi
            row.returns_result = procedure.returns_result
        self._s.flush()
        self._s.execute(
            delete(ProcedureRequirementRow).where(
                ProcedureRequirementRow.procedure_code == procedure.code
            )
        )
        for req in procedure.requirements:
            self._s.add(
                ProcedureRequirementRow(
                    procedure_code=procedure.code,
                    paper_type=req.paper_type,
                    component_name=req.component_name,
                    replacing_result_codes=",".join(req.replacing_result_codes),
                )
            )
