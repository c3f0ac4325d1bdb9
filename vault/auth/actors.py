"""The actor behind a request: an officer acting for an agency, or an owner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from vault.audit import AuditDraft, Outcome
from vault.errors import PermissionDenied


class RoleRequired(PermissionDenied):
    """The actor lacks the role (or the agency) an action needs. It carries its audit entry:
    the unit of work it passes through records it, so every role denial is in the log."""

    def __init__(self, detail: str, actor: Actor) -> None:
        super().__init__(detail)
        self.audit = AuditDraft(
            action="role.denied",
            outcome=Outcome.DENIED,
            actor_id=str(actor.account_id),
            actor_name=actor.name,
            client_id=actor.client_id,
            agency_code=actor.agency_code,
            role=actor.role_label,
            detail=detail,
        )


class Role(StrEnum):
    RECEIVING_OFFICER = "receiving_officer"  # cán bộ tiếp nhận (Bộ phận Một cửa)
    CERTIFYING_OFFICER = "certifying_officer"  # cán bộ chứng thực
    ISSUING_OFFICER = "issuing_officer"  # cán bộ trả kết quả
    VERIFIER = "verifier"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"
    RECORDS_OFFICER = "records_officer"  # cán bộ lưu trữ: legal holds, disposal decisions


OFFICER_ROLES = frozenset(Role)


class ActorKind(StrEnum):
    OFFICER = "officer"
    OWNER = "owner"


@dataclass(frozen=True, slots=True)
class Actor:
    account_id: uuid.UUID
    kind: ActorKind
    name: str
    roles: frozenset[Role] = frozenset()
    agency_code: str | None = None  # officers
    owner_id: uuid.UUID | None = None  # owners
    client_id: str | None = None  # the agency system that obtained the token, if any

    @property
    def is_officer(self) -> bool:
        return self.kind is ActorKind.OFFICER

    def has(self, *roles: Role) -> bool:
        return self.is_officer and bool(self.roles.intersection(roles))

    def require(self, *roles: Role) -> None:
        if not self.has(*roles):
            names = ", ".join(r.value for r in roles)
            raise RoleRequired(f"this needs one of the roles: {names}", self)

    def require_agency(self) -> str:
        if not self.is_officer or self.agency_code is None:
            raise RoleRequired("only an officer acting for an agency may do this", self)
        return self.agency_code

    @property
    def role_label(self) -> str:
        return ",".join(sorted(r.value for r in self.roles)) if self.is_officer else "owner"
