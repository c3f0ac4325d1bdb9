"""The cast of the tests: agencies, officers by role, owners with accounts, and their tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from vault.auth import Actor, ActorKind, Role
from vault.domain import Account
from vault.runtime import Vault

AGENCY = "000.00.15.H57"  # the agency the default test client works for
OTHER_AGENCY = "000.00.16.H57"

# name: (agency, roles)
OFFICERS: dict[str, tuple[str, tuple[Role, ...]]] = {
    "clerk": (AGENCY, (Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER)),
    "receiver": (AGENCY, (Role.RECEIVING_OFFICER,)),
    "issuer": (AGENCY, (Role.ISSUING_OFFICER,)),
    "certifier": (AGENCY, (Role.CERTIFYING_OFFICER,)),
    "verifier": (AGENCY, (Role.VERIFIER,)),
    "auditor": (AGENCY, (Role.AUDITOR,)),
    "admin": (AGENCY, (Role.ADMINISTRATOR,)),
    "records": (AGENCY, (Role.RECORDS_OFFICER,)),
    "records2": (AGENCY, (Role.RECORDS_OFFICER,)),
    "other_receiver": (OTHER_AGENCY, (Role.RECEIVING_OFFICER,)),
    "other_clerk": (
        OTHER_AGENCY,
        (Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER),
    ),
}


@dataclass
class People:
    vault: Vault
    accounts: dict[str, Account] = field(default_factory=dict)

    @classmethod
    def make(cls, vault: Vault) -> People:
        people = cls(vault)
        with vault.uows() as uow:
            vault.auth.add_agency(uow, AGENCY, "UBND phường Bến Nghé")
            vault.auth.add_agency(uow, OTHER_AGENCY, "UBND phường Đa Kao")
            for name, (agency, roles) in OFFICERS.items():
                people.accounts[name] = vault.auth.add_officer(
                    uow,
                    username=name,
                    full_name=name.replace("_", " ").title(),
                    agency_code=agency,
                    roles=list(roles),
                )
            uow.commit()
        return people

    def owner_account(self, owner_id: str | uuid.UUID, username: str) -> Account:
        with self.vault.uows() as uow:
            account = self.vault.auth.add_owner_account(
                uow, owner_id=uuid.UUID(str(owner_id)), username=username
            )
            uow.commit()
        self.accounts[username] = account
        return account

    def token(self, name: str) -> str:
        return self.vault.auth.token_for(self.accounts[name]).token

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}"}

    def actor(self, name: str) -> Actor:
        a = self.accounts[name]
        if a.kind == ActorKind.OWNER:
            return Actor(a.id, ActorKind.OWNER, a.full_name, owner_id=a.owner_id)
        return Actor(
            a.id,
            ActorKind.OFFICER,
            a.full_name,
            roles=frozenset(Role(r) for r in a.roles),
            agency_code=a.agency_code,
        )
