"""A separator sheet whose QR code cannot be read is still known by its printed words, even
when the code's specks are read as stray words on the title's row."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import ImageDraw

from ocr.batches.model import SheetFields
from ocr.batches.pages import names_a_separator
from ocr.batches.sheets import sheet_image
from ocr.pipeline import OcrOptions, recognise
from vault.domain import MediaType


@pytest.mark.parametrize(
    "text",
    [
        "TỜ PHÂN CÁCH HỒ SƠ SỐ HÓA",
        "TỜ PHÂN ;| CÁCH HỒ ## SƠ SỐ HÓA",  # QR specks read on the title's row
        "TO PHAN CACH\nHO SO SO HOA",  # the title over two lines
        "ii .: SEPARATOR ‘ SHEET - DO NOT FILE",
    ],
)
def test_the_sheet_s_words_are_found_among_specks(text: str) -> None:
    assert names_a_separator(text)


@pytest.mark.parametrize(
    "text",
    [
        "GIẤY KHAI SINH\nHọ và tên: Nguyễn Văn An",
        "Tờ khai hồ sơ đăng ký",  # some of the words, not the title
        "TỜ a b c d e f g PHÂN CÁCH HỒ SƠ SỐ HÓA",  # too far apart to be one title
    ],
)
def test_other_pages_are_not_separators(text: str) -> None:
    assert not names_a_separator(text)


def test_a_stained_sheet_with_a_black_edge_is_read_upright() -> None:
    # The sheet's black edge band and a stain over its QR code look like the lines of a page
    # on its side; turned, it read as garbage. It must be read the way it came.
    for ref in ("a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"):
        image = sheet_image(SheetFields(ref=ref, owner_id=uuid.uuid4()), "separator")
        ImageDraw.Draw(image).rectangle((380, 360, 880, 880), fill=90)
        scan = io.BytesIO()
        image.save(scan, "TIFF", dpi=(150, 150))
        result = recognise(
            scan.getvalue(), MediaType.TIFF, options=OcrOptions(searchable_pdf=False)
        )
        assert "PHÂN CÁCH" in result.text and names_a_separator(result.text), result.text
        assert result.pages[0].rotation == 0
