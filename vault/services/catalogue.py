"""The procedure catalogue (danh mục thủ tục hành chính) and what each procedure needs."""

from __future__ import annotations

from collections.abc import Iterable

from vault import identifiers
from vault.access import audit_draft
from vault.auth import Actor, Role
from vault.db import UnitOfWork
from vault.domain import PaperType, Procedure, Requirement
from vault.errors import InvalidInput, NotFound
from vault.services.dossiers import result_code


class CatalogueService:
    def paper_types(self, uow: UnitOfWork) -> list[PaperType]:
        return uow.paper_types.list()

    def paper_type(self, uow: UnitOfWork, code: str) -> PaperType | None:
        return uow.paper_types.get(code)

    def agency_name(self, uow: UnitOfWork, code: str) -> str | None:
        """The agency's name (tên cơ quan), None when the code is not on record."""
        return uow.accounts.agency_name(code)

    def agency_names(self, uow: UnitOfWork, codes: Iterable[str | None]) -> dict[str, str]:
        """The name of each agency given (its code when none is on record)."""
        return {code: uow.accounts.agency_name(code) or code for code in codes if code}

    def procedures(self, uow: UnitOfWork) -> list[Procedure]:
        return uow.procedures.list()

    def procedure(self, uow: UnitOfWork, code: str) -> Procedure:
        procedure = uow.procedures.get(identifiers.procedure_code(code, "code"))
        if procedure is None:
            raise NotFound("no such procedure in the catalogue")
        return procedure

    def put_procedure(self, uow: UnitOfWork, actor: Actor, procedure: Procedure) -> Procedure:
        actor.require(Role.ADMINISTRATOR)
        code = identifiers.procedure_code(procedure.code, "code")
        if not procedure.name_vi.strip():
            raise InvalidInput("name_vi", "a procedure has a name")
        requirements = []
        seen = set()
        for req in procedure.requirements:
            if uow.paper_types.get(req.paper_type) is None:
                raise InvalidInput("requirements", f"unknown paper type {req.paper_type!r}")
            if req.paper_type in seen:
                raise InvalidInput("requirements", f"{req.paper_type} is listed twice")
            seen.add(req.paper_type)
            codes = tuple(result_code(c, "requirements") for c in req.replacing_result_codes)
            requirements.append(Requirement(req.paper_type, req.component_name.strip(), codes))
        clean = Procedure(
            code, procedure.name_vi.strip(), procedure.returns_result, tuple(requirements)
        )
        uow.procedures.put(clean)
        uow.flush()
        uow.record(audit_draft(actor, "catalogue.procedure", detail=code))
        return self.procedure(uow, code)
