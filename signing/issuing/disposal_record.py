"""The disposal record (biên bản hủy tài liệu hết giá trị) of a disposed batch: a PDF listing
every disposed document version with its SHA-256, the approval and the rule applied, sealed
with the approving office's digital seal (PAdES B-LT through the signing service) and kept
in the vault, encrypted, for download.

    maker = DisposalRecordMaker(vault, settings, signer)
    maker(vault.uows, batch_id)      # the `retention.dispose` job calls it after disposal
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import fields

from signing.issuing.copy_pdf import A4, LEFT, MARGIN, MOTTO, NATIONAL_TITLE, RIGHT, _Canvas
from signing.issuing.pades import (
    NoSigningCredential,
    PadesLevel,
    RemotePdfSigner,
    SignatureSpec,
    TotpSource,
    VisibleStamp,
)
from signing.issuing.signer_settings import SealCredential, SignerSettings
from vault.retention import DisposalBatch, Tombstone
from vault.runtime import Vault
from vault.services import UnitOfWorkFactory
from vault.services.retention_jobs import RecordMaker

SEAL_FIELD = "ConDauCoQuan"
SEAL_BOX = (int(RIGHT) - 230, MARGIN, int(RIGHT), MARGIN + 84)
_pdf: Any = generic  # pyHanko's object model is untyped


def _new_page(writer: Any) -> int:
    width, height = A4
    page = _pdf.DictionaryObject(
        {
            _pdf.pdf_name("/Type"): _pdf.pdf_name("/Page"),
            _pdf.pdf_name("/MediaBox"): _pdf.ArrayObject(
                [_pdf.FloatObject(v) for v in (0, 0, width, height)]
            ),
            _pdf.pdf_name("/Resources"): _pdf.DictionaryObject(),
            _pdf.pdf_name("/Contents"): writer.add_object(_pdf.StreamObject(stream_data=b"")),
        }
    )
    writer.insert_page(page)
    return int(writer.root["/Pages"]["/Count"]) - 1


def _first_page_head(
    canvas: _Canvas,
    batch: DisposalBatch,
    count: int,
    office_name: str,
    rules: dict[str, str],
    y: float,
) -> float:
    canvas.text(RIGHT, y, NATIONAL_TITLE, 10, bold=True, align="right")
    canvas.text(RIGHT, y - 13, MOTTO, 10, bold=True, align="right")
    canvas.text(LEFT, y, office_name[:60], 10, bold=True)
    y -= 48
    y = canvas.paragraph(
        "BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ", LEFT, RIGHT, y, 14, bold=True, align="center"
    )
    decided = batch.decided_at or datetime.now(UTC)
    for line in (
        f"Danh mục số: {batch.id}",
        f"Ngày lập danh mục: {batch.listed_at:%d/%m/%Y}; hết thời hạn bảo quản trước "
        f"ngày {batch.as_of:%d/%m/%Y}; số bản ghi đã xét: {batch.examined}",
        f"Người duyệt: {batch.decided_by} ngày {decided:%d/%m/%Y %H:%M} UTC. "
        f"Ý kiến: {batch.decision_note or ''}",
        f"Số tài liệu đã hủy: {count}. Mỗi tài liệu: xóa đối tượng lưu trữ và "
        "hủy khóa dữ liệu (crypto-shredding); còn lại mã băm SHA-256 dưới đây.",
    ):
        y = canvas.paragraph(line, LEFT, RIGHT, y, 9.5, leading=13, max_lines=4)
    y -= 4
    for paper_type, basis in sorted(rules.items()):
        y = canvas.paragraph(
            f"Căn cứ ({paper_type}): {basis}", LEFT, RIGHT, y, 8, leading=10, max_lines=3
        )
    return y - 6


def record_pdf(
    batch: DisposalBatch,
    stones: Sequence[Tombstone],
    office_name: str,
    rules: dict[str, str],
    regular: Path,
    bold: Path,
) -> bytes:
    """The record, unsigned, with an empty seal field on its last page."""
    writer: Any = PdfFileWriter()  # type: ignore[no-untyped-call]
    height = A4[1]
    height = A4[1]
    bottom = SEAL_BOX[3] + 24  # every page keeps the foot clear: the last one holds the seal
    remaining = list(stones)
    number = 0
    while True:
        index = _new_page(writer)
        canvas = _Canvas(writer, regular, bold)
        y = height - MARGIN
        if number == 0:
            y = _first_page_head(canvas, batch, len(stones), office_name, rules, y)
        else:  # every page uses both typefaces: an unused font subset cannot be written
            canvas.text(LEFT, y, f"Danh mục số {batch.id} (tiếp theo)", 9, bold=True)
            y -= 18
        while remaining and y >= bottom:
            stone = remaining.pop(0)
            canvas.text(LEFT, y, f"{stone.document_id}  {stone.paper_type}", 7)
            canvas.text(RIGHT, y, stone.sha256, 6.5, align="right")
            y -= 11.5
        number += 1
        canvas.text(LEFT, MARGIN - 20, f"Trang {number}", 8)
        if not remaining:
            middle = (SEAL_BOX[0] + SEAL_BOX[2]) / 2
            canvas.text(
                middle, SEAL_BOX[3] + 8, "CON DẤU SỐ CỦA CƠ QUAN", 9, bold=True, align="center"
            )
            canvas.finish(index)
            break
        canvas.finish(index)
    fields.append_signature_field(
        writer, fields.SigFieldSpec(SEAL_FIELD, on_page=index, box=SEAL_BOX)
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class DisposalRecordMaker:
    """Makes, seals and stores the record of a disposed batch (a `RecordMaker`)."""

    def __init__(self, vault: Vault, settings: SignerSettings, signer: RemotePdfSigner) -> None:
        self._vault = vault
        self._settings = settings
        self._signer = signer
        self._otps: dict[str, TotpSource] = {}
        self._lock = threading.Lock()

    def _otp(self, seal: SealCredential) -> TotpSource | None:
        secret = seal.otp_secret_bytes()
        if secret is None:
            return None
        with self._lock:
            source = self._otps.get(seal.credential_id)
            if source is None:
                source = self._otps[seal.credential_id] = TotpSource(secret)
            return source

    def __call__(self, uows: UnitOfWorkFactory, batch_id: uuid.UUID) -> None:
        with uows() as uow:
            batch = uow.retention.batch(batch_id)
            if batch is None or batch.record_blob_id is not None:
                return  # none, or already made (a rerun)
            stones = uow.retention.tombstones(batch_id)
            kinds = {s.paper_type for s in stones}
            rules = {r.paper_type: r.basis for r in uow.retention.rules() if r.paper_type in kinds}
            office = batch.agency_code or ""
            office_name = self._vault.catalogue.agency_name(uow, office) or office
        seal = self._settings.seals.get(office)
        if seal is None:
            raise NoSigningCredential(f"no digital seal is configured for office {office}")
        pdf = record_pdf(
            batch,
            stones,
            office_name,
            rules,
            self._settings.font_file,
            self._settings.bold_font_file,
        )
        signed = self._signer.sign(
            pdf,
            [
                SignatureSpec(
                    credential_id=seal.credential_id,
                    pin=seal.pin.get_secret_value(),
                    otp=self._otp(seal),
                    field_name=SEAL_FIELD,
                    level=PadesLevel.B_LT,
                    stamp=VisibleStamp(office_name, box=None),
                    reason="Biên bản hủy tài liệu hết giá trị",
                    factors_from_user=False,
                )
            ],
        )
        with uows() as uow:
            self._vault.retention.store_record(uow, batch_id, signed)
            uow.commit()


def record_maker_from_settings(vault: Vault) -> RecordMaker | None:
    """The maker on the configured signing service (`VAULT_SIGNER_*`); None without one (the
    record is then made later: `vault retention record BATCH`)."""
    settings = SignerSettings()
    if not settings.enabled or not settings.seals:
        return None
    return DisposalRecordMaker(vault, settings, RemotePdfSigner(settings))
