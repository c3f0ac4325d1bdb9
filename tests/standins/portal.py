"""A stand-in for the National Public Service Portal's dossier-sync endpoint.

It accepts each event once, by its idempotency key, and acknowledges a repeat as
"duplicate"; `accepted` is what it holds (kept across restarts), in arrival order.

It checks what a real portal would (issue 17): every event's payload against the dossier
sync field list (`{"hoSo": {...}, "tienTrinhDongBo": [...]}`, strings, flags "0"/"1", codes
in their formats; a malformed event refuses the batch with 422), and the order per dossier:
an event whose dossier's previous sequence it does not hold is not acknowledged (and noted
in `out_of_order`), so a sender that skips ahead is caught.

The field list is written here from DOMAIN.md, not imported from the vault, so that a field
the vault forgets is a failing test and not a silently shared mistake.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.standins.server import Answer, Fault, Received, RepeatAcks, ShuffleAcks, StandIn

EVENTS_PATH = "/dossier-events"

HO_SO_FIELDS = [
    "MaHoSo",
    "MaTTHC",
    "TenTTHC",
    "MaLinhVuc",
    "TenLinhVuc",
    "KenhThucHien",
    "SoGiayToChuHoSo",
    "ChuHoSo",
    "LoaiDoiTuong",
    "NgayNopHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "TrangThaiHoSo",
    "NgayTra",
    "NgayKetThucXuLy",
    "DonViXuLy",
    "HoSoCoThanhPhanSoHoa",
    "TaiKhoanDuocXacThucVoiVNeID",
    "DuocThanhToanTrucTuyen",
    "TaiLieuNop",
    "DanhSachGiayToKetQua",
]
HO_SO_FLAGS = ("HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen")
COMPONENT_FIELDS = [
    "TepDinhKemId",
    "TenTepDinhKem",
    "IsDeleted",
    "MaThanhPhanHoSo",
    "DuongDanTaiTepTin",
    "DuocSoHoa",
    "DuocTaiSuDung",
    "DuocLayTuKhoDMQG",
    "MaKetQuaThayThe",
]
RESULT_FIELDS = [
    "TenGiayTo",
    "MaThanhPhanHoSo",
    "GiayToId",
    "DuongDanTepTinKetQua",
    "MaGiayToKetQua",
]
STEP_FIELDS = [
    "MaHoSo",
    "NguoiXuLy",
    "ChucDanh",
    "ThoiDiemXuLy",
    "PhongBanXuLy",
    "NoiDungXuLy",
    "TrangThai",
    "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
]
EVENT_KINDS = {
    "received",
    "component_attached",
    "scan_digitised",
    "result_recorded",
    "result_signed",
    "returned",
    "closed",
}
DOSSIER_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}")
RESULT_CODE = re.compile(r"KQ\.G\d{2}\.\d{6}")
OWNER_NUMBER = re.compile(r"\d{12}|\d{10}(-\d{3})?")
PORTAL_TIME = re.compile(r"\d{14}")


def payload_problems(event: dict[str, Any]) -> list[str]:
    """What is wrong with one event against the field list (empty: nothing)."""
    problems: list[str] = []
    if event.get("kind") not in EVENT_KINDS:
        problems.append(f"unknown kind {event.get('kind')!r}")
    payload = event.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("hoSo"), dict):
        return [*problems, "no hoSo"]
    ho_so = payload["hoSo"]
    problems += [f"hoSo.{f} missing" for f in HO_SO_FIELDS if f not in ho_so]
    if problems:
        return problems
    if ho_so["MaHoSo"] != event.get("dossier_code") or not DOSSIER_CODE.fullmatch(ho_so["MaHoSo"]):
        problems.append("MaHoSo is not the event's dossier code")
    if not OWNER_NUMBER.fullmatch(str(ho_so["SoGiayToChuHoSo"])):
        problems.append("SoGiayToChuHoSo is no identification number")
    if not ho_so["ChuHoSo"]:
        problems.append("ChuHoSo is empty")
    problems += [f"{f} is no 0/1 flag" for f in HO_SO_FLAGS if ho_so[f] not in ("0", "1")]
    for f in ("NgayNopHoSo", "NgayTiepNhan"):
        if not PORTAL_TIME.fullmatch(ho_so[f]):
            problems.append(f"{f} is no yyyyMMddHHmmss time")
    for c in ho_so["TaiLieuNop"]:
        problems += [f"TaiLieuNop.{f} missing" for f in COMPONENT_FIELDS if f not in c]
        if any(f not in c for f in COMPONENT_FIELDS):
            continue
        if c["DuocSoHoa"] not in ("0", "1") or c["DuocLayTuKhoDMQG"] not in ("0", "1"):
            problems.append("a component flag is not 0/1")
        if c["DuocTaiSuDung"] not in ("0", "1", "2"):
            problems.append("DuocTaiSuDung is not 0/1/2")
        if c["DuocTaiSuDung"] == "2" and not RESULT_CODE.fullmatch(c["MaKetQuaThayThe"]):
            problems.append("reuse 2 without the replacing result's KQ code")
    for r in ho_so["DanhSachGiayToKetQua"]:
        problems += [f"DanhSachGiayToKetQua.{f} missing" for f in RESULT_FIELDS if f not in r]
        if not RESULT_CODE.fullmatch(str(r.get("MaGiayToKetQua", ""))):
            problems.append("a result without its KQ.Gnn.nnnnnn code")
    steps = payload.get("tienTrinhDongBo")
    if not isinstance(steps, list) or not steps:
        problems.append("no tienTrinhDongBo")
    else:
        for step in steps:
            problems += [f"tienTrinhDongBo.{f} missing" for f in STEP_FIELDS if f not in step]
    return problems


class PortalStandIn(StandIn):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted: dict[str, dict[str, Any]] = {}  # by idempotency key
        self.sequences: dict[str, int] = {}  # the last sequence held per dossier code
        self.out_of_order: list[tuple[str, int]] = []
        self.refused: list[str] = []  # what was wrong with refused batches

    def deliveries(self) -> list[Received]:
        return self.requests_to(EVENTS_PATH)

    def latest(self) -> dict[str, dict[str, Any]]:
        """What the portal knows of each dossier: the payload of its last event held."""
        with self.lock:
            out: dict[str, dict[str, Any]] = {}
            for event in self.accepted.values():
                code = event["dossier_code"]
                if code not in out or out[code]["sequence"] < event["sequence"]:
                    out[code] = event
            return out

    def handle(self, request: Received, fault: Fault | None) -> Answer:
        if request.method != "POST" or request.path != EVENTS_PATH:
            return Answer.json(404, {"title": "Not Found", "status": 404})
        try:
            events = json.loads(request.body)["events"]
            keys = [e["idempotency_key"] for e in events]
        except (ValueError, KeyError, TypeError):
            return Answer.json(400, {"title": "Malformed events", "status": 400})
        problems = [p for e in events for p in payload_problems(e)]
        if problems:
            with self.lock:
                self.refused.extend(problems)
            return Answer.json(
                422,
                {"title": "Invalid dossier events", "status": 422, "errors": problems[:20]},
                "application/problem+json",
            )
        acks = []
        with self.lock:
            for key, event in zip(keys, events, strict=True):
                code, sequence = event["dossier_code"], int(event["sequence"])
                if key in self.accepted:
                    status = "duplicate"
                elif sequence != self.sequences.get(code, 0) + 1:
                    self.out_of_order.append((code, sequence))
                    continue  # not taken: no acknowledgement
                else:
                    status = "accepted"
                    self.accepted[key] = event
                    self.sequences[code] = sequence
                reference = f"DVC-{list(self.accepted).index(key) + 1:06d}"
                acks.append(
                    {"event_id": event["event_id"], "status": status, "reference": reference}
                )
        if isinstance(fault, RepeatAcks):
            acks = [a for ack in acks for a in (ack, ack)]
        if isinstance(fault, ShuffleAcks):
            acks.reverse()
        return Answer.json(200, {"acknowledgements": acks})


def sample_payload(dossier_code: str, owner_number: str = "079203001234") -> dict[str, Any]:
    """A payload that meets the field list (for tests of the transport alone)."""
    ho_so: dict[str, Any] = {f: "" for f in HO_SO_FIELDS}
    ho_so.update(
        MaHoSo=dossier_code,
        SoGiayToChuHoSo=owner_number,
        ChuHoSo="Nguyễn Văn A",
        NgayNopHoSo="20241207090000",
        NgayTiepNhan="20241207090000",
        HoSoCoThanhPhanSoHoa="0",
        TaiKhoanDuocXacThucVoiVNeID="0",
        DuocThanhToanTrucTuyen="0",
        TaiLieuNop=[],
        DanhSachGiayToKetQua=[],
    )
    step = {f: "" for f in STEP_FIELDS} | {"MaHoSo": dossier_code}
    return {"hoSo": ho_so, "tienTrinhDongBo": [step]}
