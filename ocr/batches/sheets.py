"""Separator sheets (tờ phân cách): printed by the vault, read back from a scanned batch.

The QR code carries `VLTSEP1|<ref>|<owner id>|<paper type>|<dossier id>|<result ref>`: an
opaque reference of the batch item, the owner's opaque id (a UUID; never the personal
number, which must not be printed in clear on a sheet that lies on a scanner), and what the
paper is. The sheet also says in words that it is a separator, so a sheet whose code cannot
be read is still recognised as one (its part then waits for the officer to name the owner).

    pdf = separator_pdf([SheetFields(ref, owner_id, "birth_certificate")], labels=["..."])
    fields = parse_sheet(qr_text)          # None: not one of ours
"""

from __future__ import annotations

import io
import secrets
import uuid
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ocr.batches.model import SheetFields

PREFIX = "VLTSEP1"
# The words on every sheet; folded (ocr.folding) they identify a sheet without its QR code.
TITLE = "TỜ PHÂN CÁCH HỒ SƠ SỐ HÓA"
SUBTITLE = "SEPARATOR SHEET - DO NOT FILE"
TITLE_FOLDED = "to phan cach ho so so hoa"

_DPI = 150
_A4 = (1240, 1754)  # pixels at 150 dpi
_FONTS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))


def new_ref() -> str:
    """An opaque batch-item reference: random, says nothing of the owner or the paper."""
    return "S" + secrets.token_hex(8).upper()


def sheet_text(fields: SheetFields) -> str:
    parts = [
        PREFIX,
        fields.ref,
        str(fields.owner_id) if fields.owner_id else "",
        fields.paper_type or "",
        str(fields.dossier_id) if fields.dossier_id else "",
        fields.result_reference or "",
    ]
    return "|".join(p.replace("|", "/") for p in parts)


def parse_sheet(text: str) -> SheetFields | None:
    """The fields of a sheet's QR text; None when it is not a separator sheet of ours. An
    owner id that is not a UUID comes back as None (the part then waits for the officer)."""
    parts = text.split("|")
    if len(parts) != 6 or parts[0] != PREFIX or not parts[1]:
        return None

    def as_uuid(value: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(value) if value else None
        except ValueError:
            return None

    return SheetFields(
        ref=parts[1][:32],
        owner_id=as_uuid(parts[2]),
        paper_type=parts[3] or None,
        dossier_id=as_uuid(parts[4]),
        result_reference=parts[5][:200] or None,
    )


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    names = ("DejaVuSans-Bold.ttf",) if bold else ("DejaVuSans.ttf",)
    for folder in _FONTS:
        for name in names:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default()


def qr_image(text: str, module_pixels: int = 8) -> Image.Image:
    import zxingcpp

    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = Image.fromarray(barcode.to_image(scale=module_pixels, add_quiet_zones=True))
    return image.convert("L")


def sheet_image(fields: SheetFields, label: str) -> Image.Image:
    """One A4 sheet at 150 dpi: the title in large letters, the QR code, a line a person
    can read (`label`: the owner's name and the paper, never the personal number)."""
    page = Image.new("L", _A4, 255)
    draw = ImageDraw.Draw(page)
    width = _A4[0]

    def centred(y: int, text: str, size: int, bold: bool = False) -> None:
        face = _font(size, bold)
        x = (width - draw.textlength(text, font=face)) / 2
        draw.text((x, y), text, font=face, fill=0)

    centred(150, TITLE, 56, bold=True)
    centred(240, SUBTITLE, 36)
    code = qr_image(sheet_text(fields))
    page.paste(code, ((width - code.width) // 2, 380))
    y = 380 + code.height + 60
    for line in (label, f"Ref: {fields.ref}"):
        centred(y, line[:80], 34)
        y += 60
    # A thick band at the edge: a sheet is visible in a stack of paper.
    draw.rectangle((0, 0, 40, _A4[1]), fill=0)
    return page


def separator_pdf(sheets: Sequence[SheetFields], labels: Sequence[str]) -> bytes:
    """A PDF of A4 separator sheets, one per item, in order."""
    images = [
        sheet_image(fields, label).convert("RGB")
        for fields, label in zip(sheets, labels, strict=True)
    ]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=_DPI)
    return out.getvalue()
