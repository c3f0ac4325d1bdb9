"""Reading order: two-column blocks, full-width lines after them, split lines and tables, on
word boxes made by hand and on typeset pages read by real Tesseract."""

from __future__ import annotations

import pytest

from ocr.engine import Word, _text_of
from ocr.layout import reading_order
from ocr.pipeline import OcrOptions, recognise
from tests.ocr import corpus, layout_corpus

H = 40  # a line's height in pixels (12 pt at 300 dpi, with accents)


def words(row: int, *cells: tuple[int, str], line: int = 0) -> list[Word]:
    """Words on text row `row`, each cell a (left x, "text of words") at 25 px a character."""
    out = []
    for left, text in cells:
        x = left
        for token in text.split():
            out.append(Word(token, x, 100 + row * 60, len(token) * 25, H, 0.95, line))
            x += (len(token) + 1) * 25
    return out


def read(found: list[Word]) -> str:
    return _text_of(reading_order(found))


def test_two_columns_then_a_full_width_line() -> None:
    found = [
        # Tesseract's own lines go across both columns: one "line" per row.
        *words(0, (100, "ỦY BAN NHÂN DÂN"), (1300, "CỘNG HÒA XÃ HỘI"), line=0),
        *words(1, (100, "PHƯỜNG TÂN MAI"), (1300, "Độc lập - Tự do"), line=1),
        *words(2, (100, "Số: 12/QĐ-UBND"), (1300, "Đồng Nai, ngày 7"), line=2),
        *words(3, (100, "Điều 2. Quyết định này có hiệu lực kể từ ngày ký rồi"), line=3),
    ]
    assert read(found).split("\n") == [
        "ỦY BAN NHÂN DÂN",
        "PHƯỜNG TÂN MAI",
        "Số: 12/QĐ-UBND",
        "CỘNG HÒA XÃ HỘI",
        "Độc lập - Tự do",
        "Đồng Nai, ngày 7",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký rồi",
    ]


def test_a_line_in_two_blocks_is_one_line() -> None:
    found = [
        *words(0, (100, "Nơi cư trú: phường"), line=0),
        *words(0, (575, "Tân Mai, tỉnh Đồng Nai"), line=5),  # another block's line
        *words(1, (100, "Nơi đăng ký: Ủy ban nhân dân"), line=1),
    ]
    assert read(found).split("\n") == [
        "Nơi cư trú: phường Tân Mai, tỉnh Đồng Nai",
        "Nơi đăng ký: Ủy ban nhân dân",
    ]


def test_a_table_is_read_across_its_rows() -> None:
    # Tesseract reads each column as a block: down the columns.
    columns = [(100, ["STT", "1", "2"]), (400, ["Họ và tên", "Lê Văn A", "Trần Thị B"])]
    columns.append((1000, ["Ngày sinh", "01/02/1990", "03/04/1991"]))
    found = [
        w
        for block, (left, cells) in enumerate(columns)
        for row, cell in enumerate(cells)
        for w in words(row, (left, cell), line=block * 3 + row)
    ]
    assert read(found).split("\n") == [
        "STT Họ và tên Ngày sinh",
        "1 Lê Văn A 01/02/1990",
        "2 Trần Thị B 03/04/1991",
    ]


def test_labels_and_values_stay_on_their_rows() -> None:
    found = [
        *words(0, (100, "Họ và tên:"), (900, "NGUYỄN THỊ HƯƠNG")),
        *words(1, (100, "Ngày sinh:"), (900, "15/03/2024")),
        *words(2, (100, "Số định danh:"), (900, "075324001234")),
    ]
    assert read(found).split("\n")[0] == "Họ và tên: NGUYỄN THỊ HƯƠNG"


@pytest.mark.parametrize("tier", ["clean", "degraded", "photo"])
def test_layout_pages_in_a_persons_order(tier: str) -> None:
    sample = layout_corpus.layout_page(3, tier)
    header = layout_corpus.blocks(3)[0]
    assert isinstance(header, layout_corpus.Columns)
    text = recognise(sample.data, options=OcrOptions(searchable_pdf=False)).text
    lines = text.split("\n")
    # The header's left column, then its right one; the line after the signature block last.
    assert lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") > lines.index(header.left[1])
    assert lines[-1] == "Bản này được lưu tại bộ phận một cửa của phường."
    assert "STT Họ và tên Ngày sinh Số định danh" in lines or tier != "clean"
    assert corpus.cer(sample.truth, text) <= 0.015


def test_a_line_reaching_into_the_gutter_ends_the_columns() -> None:
    found = [
        *words(0, (100, "ỦY BAN NHÂN DÂN"), (1300, "CỘNG HÒA XÃ HỘI"), line=0),
        *words(1, (100, "PHƯỜNG TÂN MAI"), (1300, "Độc lập - Tự do"), line=1),
        # Left-aligned, ending past the middle of the gutter but short of the right column.
        *words(2, (100, "Điều 2. Quyết định này có hiệu lực"), line=2),
    ]
    assert read(found).split("\n") == [
        "ỦY BAN NHÂN DÂN",
        "PHƯỜNG TÂN MAI",
        "CỘNG HÒA XÃ HỘI",
        "Độc lập - Tự do",
        "Điều 2. Quyết định này có hiệu lực",
    ]
