"""The dossier sync payload (`{"hoSo": {...}, "tienTrinhDongBo": [...]}`) as Vietnamese
one-stop systems send it to the National Public Service Portal, and the 766 facts it implies.

The portal keys on `MaHoSo` and each event carries the whole dossier as it stood after the
change. The outbox keeps the payload without the owner's number and name (`SoGiayToChuHoSo`,
`ChuHoSo`): they are sealed in the owners table and put in by `with_owner` when the event is
sent, never stored in clear, never logged.

Values are strings and flags "0"/"1". Assumptions until the portal's integration guide is at
hand: dates as `yyyyMMddHHmmss` in Vietnam time; `TrangThaiHoSo` 2 being processed, 4 result
returned, 5 finished; `KenhThucHien` 1 (at the counter: the vault's dossiers are received
there); `LoaiDoiTuong` 1 citizen, 2 organisation. `DaKySo` on a result (its file is digitally
signed) is the vault's addition: indicator 4.1 needs it and the listed fields do not say it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from vault.domain import (
    AttachmentRole,
    Document,
    Dossier,
    DossierAttachment,
    DossierStatus,
    Owner,
    OwnerKind,
)

# Vietnam's time (UTC+7), as vault.services.dossiers has it (not imported: dossiers uses this).
VIETNAM = timezone(timedelta(hours=7), "ICT")


class EventKind(StrEnum):
    RECEIVED = "received"  # tiếp nhận
    COMPONENT_ATTACHED = "component_attached"  # thành phần hồ sơ
    SCAN_DIGITISED = "scan_digitised"  # số hóa xong (OCR)
    RESULT_RECORDED = "result_recorded"  # có kết quả
    RESULT_SIGNED = "result_signed"  # kết quả được ký số
    RETURNED = "returned"  # trả kết quả
    CLOSED = "closed"  # kết thúc


STEP_TEXT = {
    EventKind.RECEIVED: "Tiếp nhận hồ sơ",
    EventKind.COMPONENT_ATTACHED: "Bổ sung thành phần hồ sơ",
    EventKind.SCAN_DIGITISED: "Số hóa thành phần hồ sơ",
    EventKind.RESULT_RECORDED: "Có kết quả giải quyết",
    EventKind.RESULT_SIGNED: "Ký số kết quả giải quyết",
    EventKind.RETURNED: "Trả kết quả",
    EventKind.CLOSED: "Kết thúc hồ sơ",
}

STATUS_PROCESSING = "2"
STATUS_RETURNED = "4"
STATUS_FINISHED = "5"

OWNER_FIELDS = ("SoGiayToChuHoSo", "ChuHoSo")


def portal_time(value: datetime | None) -> str:
    return value.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S") if value else ""


def _flag(value: bool) -> str:
    return "1" if value else "0"


def file_link(document_id: object) -> str:
    """Where the portal fetches the file: by the document's id, never by the owner's number."""
    return f"/api/v1/documents/{document_id}/content"


def dossier_status(dossier: Dossier) -> str:
    if dossier.status is DossierStatus.CLOSED:
        return STATUS_FINISHED
    return STATUS_RETURNED if dossier.returned_at else STATUS_PROCESSING


@dataclass(frozen=True, slots=True)
class Step:
    """One processing step (tienTrinhDongBo): who did what, when."""

    kind: EventKind
    at: datetime
    officer: str
    title: str = ""


def build_payload(
    dossier: Dossier,
    procedure_name: str,
    owner_kind: OwnerKind,
    attached: Sequence[tuple[DossierAttachment, Document]],
    step: Step,
) -> dict[str, Any]:
    """The dossier as it stands, without the owner's number and name."""
    components = [(a, d) for a, d in attached if a.role is AttachmentRole.COMPONENT]
    results = [(a, d) for a, d in attached if a.role is AttachmentRole.RESULT]
    status = dossier_status(dossier)
    ho_so: dict[str, Any] = {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure_code,
        "TenTTHC": procedure_name,
        "MaLinhVuc": "",
        "TenLinhVuc": "",
        "KenhThucHien": "1",
        "LoaiDoiTuong": "1" if owner_kind is OwnerKind.CITIZEN else "2",
        "NgayNopHoSo": portal_time(dossier.received_at),
        "NgayTiepNhan": portal_time(dossier.received_at),
        "NgayHenTra": "",
        "TrangThaiHoSo": status,
        "NgayTra": portal_time(dossier.returned_at),
        "NgayKetThucXuLy": portal_time(dossier.closed_at),
        "DonViXuLy": dossier.receiving_agency_code,
        "HoSoCoThanhPhanSoHoa": _flag(any(a.digitised for a, _ in components)),
        "TaiKhoanDuocXacThucVoiVNeID": "0",
        "DuocThanhToanTrucTuyen": "0",
        "TaiLieuNop": [
            {
                "TepDinhKemId": str(d.id),
                "TenTepDinhKem": d.title,
                "IsDeleted": "0",
                "MaThanhPhanHoSo": d.paper_type,
                "DuongDanTaiTepTin": file_link(d.id),
                "DuocSoHoa": _flag(a.digitised),
                "DuocTaiSuDung": str(int(a.reused)),
                "DuocLayTuKhoDMQG": _flag(a.from_warehouse),
                "MaKetQuaThayThe": a.replacing_result_code or "",
            }
            for a, d in components
        ],
        "DanhSachGiayToKetQua": [
            {
                "TenGiayTo": d.title,
                "MaThanhPhanHoSo": d.paper_type,
                "GiayToId": str(d.id),
                "DuongDanTepTinKetQua": file_link(d.id),
                "MaGiayToKetQua": a.result_code or "",
                "DaKySo": _flag(d.has_signature),
            }
            for a, d in results
        ],
    }
    progress = {
        "MaHoSo": dossier.code,
        "NguoiXuLy": step.officer,
        "ChucDanh": step.title,
        "ThoiDiemXuLy": portal_time(step.at),
        "PhongBanXuLy": dossier.receiving_agency_code,
        "NoiDungXuLy": STEP_TEXT[step.kind],
        "TrangThai": status,
        "NgayBatDau": portal_time(dossier.received_at),
        "NgayKetThucTheoQuyDinh": "",
    }
    return {"hoSo": ho_so, "tienTrinhDongBo": [progress]}


def with_owner(payload: Mapping[str, Any], owner: Owner) -> dict[str, Any]:
    """The payload as sent: the owner's number and name put in (they are never stored in the
    outbox, nor logged)."""
    ho_so = dict(payload["hoSo"])
    ho_so["SoGiayToChuHoSo"] = owner.identifier
    ho_so["ChuHoSo"] = owner.display_name
    ho_so["DinhDanhCHS"] = [
        {
            "LoaiDinhDanh": "1" if owner.kind is OwnerKind.CITIZEN else "2",
            "SoDinhDanh": owner.identifier,
        }
    ]
    return {**payload, "hoSo": ho_so}


@dataclass(frozen=True, slots=True)
class SyncedFacts:
    """What the 766 indicators count for one dossier, read from a synced payload (the same
    six facts as `vault.db.repositories.indicators.DossierFacts`, bar `returns_result`)."""

    digitised_component: bool
    reused_component: bool
    warehouse_component: bool
    result_stored: bool
    signed_result: bool


def implied_facts(payload: Mapping[str, Any]) -> SyncedFacts:
    ho_so = payload.get("hoSo", {})
    components = ho_so.get("TaiLieuNop", [])
    results = ho_so.get("DanhSachGiayToKetQua", [])
    return SyncedFacts(
        digitised_component=any(c.get("DuocSoHoa") == "1" for c in components),
        reused_component=any(c.get("DuocTaiSuDung") in ("1", "2") for c in components),
        warehouse_component=any(c.get("DuocLayTuKhoDMQG") == "1" for c in components),
        result_stored=bool(results),
        signed_result=any(r.get("DaKySo") == "1" for r in results),
    )
