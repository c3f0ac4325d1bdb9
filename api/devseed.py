"""Demo data for the embedded default: an agency, officers with known passwords, a citizen.
Development only: the CLI refuses it in production."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from signing.issuing.signer_settings import DEJAVU_SANS
from vault.auth import Actor, ActorKind, Role
from vault.domain import DocumentOrigin, OwnerKind
from vault.runtime import Vault
from vault.services import NewDocument, UnitOfWork

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
DEMO_CLIENT = "demo-system"
# Where `vault dev-seed` keeps the demo system's secret (the vault keeps only its hash), as
# shell `export` lines for the SDK's settings: `source var/dev-client.env`.
DEV_CLIENT_FILE = Path("var/dev-client.env")
# Which development signing credential (signing/csc_server/assembly.py DEV_CREDENTIALS) each demo
# officer signs with, and the office's seal.
DEV_SIGNING_OFFICERS = {"chungthuc": "h57-officer-an", "trakq": "h57-officer-binh"}
DEV_SEALS = {AGENCY[0]: "h57-seal-server"}  # PIN only: unattended, not throttled by OTP

# The citizen's own scans, so a first receipt of a birth registration (1.001193: the parents'
# marriage certificate + an ID card) has a card to reuse, an expired one to refuse, and the
# marriage certificate to scan.
_OWNER = DocumentOrigin.UPLOADED_BY_OWNER
DEMO_PAPERS = [
    (
        NewDocument(
            "birth_certificate",
            "Giấy khai sinh",
            _OWNER,
            reference_number="312/1995",
            issue_date=date(1995, 8, 14),
        ),
        [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "GIẤY KHAI SINH",
            "Số: 312/1995",
            "Họ và tên: Nguyễn Thị Hương",
            "Ngày sinh: 02/08/1995",
            "Nơi đăng ký: UBND phường Bến Nghé",
        ],
    ),
    (
        NewDocument(
            "chip_id_card",
            "Căn cước công dân gắn chip",
            _OWNER,
            issue_date=date(2021, 3, 15),
            valid_until=date(2041, 3, 15),
        ),
        ["CĂN CƯỚC CÔNG DÂN", "Họ và tên: Nguyễn Thị Hương", "Có giá trị đến: 15/03/2041"],
    ),
    (
        NewDocument(
            "chip_id_card",
            "Chứng minh nhân dân (cũ)",
            _OWNER,
            issue_date=date(2006, 5, 20),
            valid_until=date(2021, 5, 20),
        ),
        ["CHỨNG MINH NHÂN DÂN", "Họ tên: Nguyễn Thị Hương", "Có giá trị đến: 20/05/2021"],
    ),
]


def _scan(lines: list[str]) -> bytes:
    """A legible page image (what a phone scan of the paper would give), for OCR."""
    image = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            str(DEJAVU_SANS), 40
        )
    except OSError:  # fonts-dejavu-core missing: legible enough for a demo
        font = ImageFont.load_default(size=40)
    for i, line in enumerate(lines):
        draw.text((110, 160 + i * 90), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def dev_seed(vault: Vault, uow: UnitOfWork) -> dict[str, Any]:
    code, name = AGENCY
    vault.auth.add_agency(uow, code, name)
    made: dict[str, Any] = {"agency": code, "password": PASSWORD, "officers": [], "owner": None}
    for username, full_name, roles in OFFICERS:
        if vault.auth.account_named(uow, username) is None:
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
    owner = vault.owners.seed(uow, OwnerKind.CITIZEN, identifier, display)
    account = vault.auth.account_named(uow, username)
    if account is None:
        account = vault.auth.add_owner_account(
            uow, owner_id=owner.id, username=username, password=PASSWORD
        )
    made["owner"] = {"username": username, "owner_id": str(owner.id)}
    if not vault.documents.has_papers(uow, owner.id):
        citizen = Actor(account.id, ActorKind.OWNER, display, owner_id=owner.id)
        for meta, lines in DEMO_PAPERS:
            vault.documents.upload(uow, citizen, owner.id, meta, io.BytesIO(_scan(lines)))
        made["owner"]["papers"] = len(DEMO_PAPERS)
    if vault.auth.client(uow, DEMO_CLIENT) is None:
        client_id, secret = vault.auth.add_client(
            uow, name="Demo one-stop system", agency_code=code, client_id=DEMO_CLIENT
        )
        made["client"] = {"client_id": client_id, "client_secret": secret}
    return made


def keep_client_secret(
    vault: Vault, uow: UnitOfWork, made: dict[str, Any], path: Path
) -> str | None:
    """Development only: writes the demo system's secret to `path` (owner-only) when
    `dev_seed` has just made it, so that it can be read again after this run; on later
    runs checks that the file still holds the secret the vault knows. Returns what is wrong
    (the secret cannot be recovered: the vault keeps only a hash), or None."""
    from vault.auth.passwords import verify_secret

    client = made.get("client")
    if client is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            f"# {DEMO_CLIENT}, the demo agency system of `vault dev-seed`: DEVELOPMENT ONLY.\n"
            f"export CITIZEN_VAULT_CLIENT_ID={client['client_id']}\n"
            f"export CITIZEN_VAULT_CLIENT_SECRET={client['client_secret']}\n"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(path, 0o600)  # an older file keeps its mode through O_TRUNC
        return None
    stored = vault.auth.client(uow, DEMO_CLIENT)
    kept = read_client_secret(path)
    if stored is not None and kept is not None and verify_secret(stored.secret_hash, kept):
        return None
    return (
        f"{path} does not hold the secret of {DEMO_CLIENT} (made before it was kept there, "
        "or for another database); the vault keeps only its hash: register another system "
        "with `vault add-client`, or start the development database afresh"
    )


def read_client_secret(path: Path) -> str | None:
    """The secret in a file `keep_client_secret` wrote, if there is one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    prefix = "export CITIZEN_VAULT_CLIENT_SECRET="
    return next((x.removeprefix(prefix) for x in lines if x.startswith(prefix)), None)
