"""Accounts (people signing in), their agencies, and API clients (other systems)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.models import AccountRow, AgencyRow, ApiClientRow
from vault.domain import Account, ApiClient


def account_from_row(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        kind=row.kind,
        username=row.username,
        full_name=row.full_name,
        agency_code=row.agency_code,
        owner_id=row.owner_id,
        roles=tuple(r for r in row.roles.split(",") if r),
        password_hash=row.password_hash,
        active=row.active,
    )


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, account_id: uuid.UUID) -> Account | None:
        row = self._s.get(AccountRow, account_id)
        return account_from_row(row) if row else None

    def by_username(self, username: str) -> Account | None:
        row = self._s.scalar(select(AccountRow).where(AccountRow.username == username))
        return account_from_row(row) if row else None

    def by_oidc(self, issuer: str, subject: str) -> Account | None:
        row = self._s.scalar(
            select(AccountRow).where(
                AccountRow.oidc_issuer == issuer, AccountRow.oidc_subject == subject
            )
        )
        return account_from_row(row) if row else None

    def add(
        self, account: Account, *, oidc_issuer: str | None = None, oidc_subject: str | None = None
    ) -> None:
        self._s.add(
            AccountRow(
                id=account.id,
                kind=account.kind,
                username=account.username,
                full_name=account.full_name,
                agency_code=account.agency_code,
                owner_id=account.owner_id,
                roles=",".join(account.roles),
                password_hash=account.password_hash,
                oidc_issuer=oidc_issuer,
                oidc_subject=oidc_subject,
                active=account.active,
            )
        )

    def agency_exists(self, code: str) -> bool:
        return self._s.get(AgencyRow, code) is not None

    def add_agency(self, code: str, name: str) -> None:
        self._s.add(AgencyRow(code=code, name=name))

    def agency_name(self, code: str) -> str | None:
        row = self._s.get(AgencyRow, code)
        return row.name if row else None


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, client_id: str) -> ApiClient | None:
        row = self._s.get(ApiClientRow, client_id)
        if row is None:
            return None
        return ApiClient(row.client_id, row.name, row.agency_code, row.secret_hash, row.active)

    def add(self, client: ApiClient) -> None:
        self._s.add(
            ApiClientRow(
                client_id=client.client_id,
                name=client.name,
                agency_code=client.agency_code,
                secret_hash=client.secret_hash,
                active=client.active,
            )
        )
