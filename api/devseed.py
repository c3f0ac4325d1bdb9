"""Demo data for the embedded default: an agency, officers with known passwords, a citizen.
Development only: the CLI refuses it in production."""

from __future__ import annotations

from typing import Any

from vault.auth import Role
from vault.db import UnitOfWork
from vault.domain import OwnerKind, new_id
from vault.runtime import Vault

AGENCY = ("000.00.15.H57", "UBND phường Demo (không dùng cho sản xuất)")
PASSWORD = "demo-password"  # noqa: S105 - development accounts, printed on purpose
OFFICERS = [
    ("tiepnhan", "Cán bộ Tiếp Nhận", [Role.RECEIVING_OFFICER]),
    ("chungthuc", "Cán bộ Chứng Thực", [Role.CERTIFYING_OFFICER]),
    ("trakq", "Cán bộ Trả Kết Quả", [Role.ISSUING_OFFICER]),
    ("kiemtra", "Kiểm Soát Viên", [Role.AUDITOR]),
    ("quantri", "Quản Trị Viên", [Role.ADMINISTRATOR]),
]
CITIZEN = ("079203001234", "Nguyễn Thị Hương", "huong")
# Which development signing credential (signing/runtime.py DEV_CREDENTIALS) each demo
# officer signs with, and the office's seal.
DEV_SIGNING_OFFICERS = {"chungthuc": "h57-officer-an", "trakq": "h57-officer-binh"}
DEV_SEALS = {AGENCY[0]: "h57-seal"}


def dev_seed(vault: Vault, uow: UnitOfWork) -> dict[str, Any]:
    code, name = AGENCY
    vault.auth.add_agency(uow, code, name)
    made: dict[str, Any] = {"agency": code, "password": PASSWORD, "officers": [], "owner": None}
    for username, full_name, roles in OFFICERS:
        if uow.accounts.by_username(username) is None:
            vault.auth.add_officer(
                uow,
                username=username,
                full_name=full_name,
                agency_code=code,
                roles=roles,
                password=PASSWORD,
            )
        made["officers"].append(username)
    identifier, display, username = CITIZEN
    owner = uow.owners.by_identifier(identifier)
    if owner is None:
        from datetime import UTC, datetime

        from vault.domain import Owner

        owner = Owner(new_id(), OwnerKind.CITIZEN, identifier, display, datetime.now(UTC))
        uow.owners.add(owner)
        uow.flush()
    if uow.accounts.by_username(username) is None:
        vault.auth.add_owner_account(uow, owner_id=owner.id, username=username, password=PASSWORD)
    made["owner"] = {"username": username, "owner_id": str(owner.id)}
    if uow.clients.get("demo-system") is None:
        client_id, secret = vault.auth.add_client(
            uow, name="Demo one-stop system", agency_code=code, client_id="demo-system"
        )
        made["client"] = {"client_id": client_id, "client_secret": secret}
    return made
