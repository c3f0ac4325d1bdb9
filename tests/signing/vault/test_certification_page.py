"""The certification page (lời chứng) of an electronic certified copy, as a reader sees it:
laid out in the official form's order, every glyph where its advance says (the font's widths
in PDF glyph space), none on top of another, all inside the margins, for short names and for
very long ones; and the page rendered to PNG for a person to look at."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
from fontTools import ttLib  # type: ignore[import-untyped]
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.issuing import copy_pdf
from signing.issuing.signer_settings import DEJAVU_SANS, DEJAVU_SANS_BOLD
from tests.factories import png_bytes
from tests.signing.vault.layout_checks import assert_legible, glyph_boxes
from vault.content import ContentLimits

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
URL = "https://vault.example.gov.vn/public/certified-copies/q7Vd0kZ3nH2sXbTe9LmPwA?sha256=" + (
    "3f" * 32
)

SHORT = {
    "office_name": "UBND phường Demo",
    "officer_name": "Nguyễn Văn An",
    "paper_type_name": "Giấy khai sinh",
    "title": "Giấy khai sinh",
}
# Long, and real: nothing may be cut short.
LONG = {
    "office_name": "Ủy ban nhân dân phường Nguyễn Thái Bình, Quận Một, Thành phố Hồ Chí Minh",
    "officer_name": "Tôn Nữ Hoàng Thị Phương Thảo Nguyễn Huỳnh Ngọc Bảo Trân Khánh Linh",
    "paper_type_name": "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác",
    "title": (
        "Bằng tốt nghiệp đại học chính quy ngành Công nghệ thông tin, hạng Xuất sắc, do Hiệu "
        "trưởng Trường Đại học Bách khoa Hà Nội cấp ngày mười lăm tháng bảy năm hai nghìn "
        "không trăm hai mươi tư, số hiệu văn bằng QH-2024-000123, vào sổ cấp văn bằng số "
        "456/ĐHBK, kèm theo bảng điểm toàn khóa học gồm bốn trang có đóng dấu giáp lai của "
        "Phòng Đào tạo và chữ ký của Trưởng phòng Đào tạo, người học Nguyễn Thị Hương"
    ),
}
# At the limits the vault accepts (255-character names, a 500-character title): the
# page must still hold together, an ellipsis ending what cannot fit.
EXTREME = {
    "office_name": ("Ủy ban nhân dân phường Trường Thạnh " * 8)[:255].strip(),
    "officer_name": ("Nguyễn Huỳnh " * 6)[:64].strip(),
    "paper_type_name": ("Giấy chứng nhận đăng ký hoạt động " * 8)[:255].strip(),
    "title": ("Bản sao giấy tờ hộ tịch được cấp lại nhiều lần " * 11)[:500].strip(),
}


def page_for(fields: dict[str, str], number: str = "15/ĐT") -> bytes:
    body = copy_pdf.build_body([png_bytes(620, 877)], ContentLimits(50_000_000, 100), 50)
    text = copy_pdf.CertificationText(
        office_code="000.00.15.H57",
        pages=body.pages,
        number_text=number,
        book="01/2026-SCT/BS-ĐT",
        certified_on=date(2026, 12, 7),
        verification_url=URL,
        verification_code="q7Vd0kZ3nH2sXbTe9LmPwA",
        content_sha256=body.content_sha256,
        **fields,
    )
    return copy_pdf.certification_page(body, text, DEJAVU_SANS, DEJAVU_SANS_BOLD)


def first_top(pdf: bytes, phrase: str) -> float:
    """The top of the first line (in page order) that holds `phrase`: where it is read."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        page = doc[len(doc) - 1]
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        at = text.find(phrase)
        assert at >= 0, (phrase, text)
        top = textpage.get_charbox(at, loose=True)[3]
        textpage.close()
        page.close()
        return float(top)
    finally:
        doc.close()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("fields", [SHORT, LONG, EXTREME], ids=["short", "long", "extreme"])
def test_no_glyph_overlaps_another_or_leaves_the_margins(
    fields: dict[str, str], tmp_path: Path
) -> None:
    pdf = page_for(fields)
    assert_legible(
        pdf,
        tmp_path,
        copy_pdf.MARGIN,
        # whole words: letter-spaced text would come apart into letters
        [
            "CỘNG",
            "HÒA",
            "NGHĨA",
            "Độc",
            "lập",
            "LỜI",
            "CHỨNG",
            "Chứng",
            "thực",
            "đúng",
            "chính.",
            "Quyển",
            "tháng",
            "NGƯỜI",
            "HIỆN",
        ],
    )
    # The signature fields lie inside the margins, side by side, on no text.
    glyphs, (width, height) = glyph_boxes(pdf)
    reader = PdfFileReader(io.BytesIO(pdf))
    annots = reader.root["/Pages"]["/Kids"][-1].get_object()["/Annots"]
    rects = {str(a.get_object()["/T"]): [float(v) for v in a.get_object()["/Rect"]] for a in annots}
    assert set(rects) == {copy_pdf.OFFICER_FIELD, copy_pdf.SEAL_FIELD}
    officer, seal = rects[copy_pdf.OFFICER_FIELD], rects[copy_pdf.SEAL_FIELD]
    assert officer[2] < seal[0]
    for x1, y1, x2, y2 in (officer, seal):
        assert copy_pdf.MARGIN <= x1 < x2 <= width - copy_pdf.MARGIN
        assert copy_pdf.MARGIN <= y1 < y2 <= height - copy_pdf.MARGIN
        assert y2 - y1 >= 80  # room for the stamp's lines
        inside = [
            g for g in glyphs if g.right > x1 and g.left < x2 and g.top > y1 and g.bottom < y2
        ]
        assert not inside, inside[:5]
    # Nothing on the QR code or its quiet zone (four modules).
    qx, qy, qsize = copy_pdf.QR_BOX
    quiet = 4 * qsize / 45
    near = [
        g
        for g in glyphs
        if g.right > qx - quiet
        and g.left < qx + qsize + quiet
        and g.top > qy - quiet
        and g.bottom < qy + qsize + quiet
    ]
    assert not near, near[:5]


@pytest.mark.parametrize("fields", [SHORT, LONG], ids=["short", "long"])
def test_the_page_follows_the_official_form_and_cuts_nothing_short(
    fields: dict[str, str],
) -> None:
    pdf = page_for(fields)
    # Top to bottom in the form's order; the office beside the national title.
    office_top = first_top(pdf, fields["office_name"].upper().split()[0])
    assert abs(office_top - first_top(pdf, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")) < 2
    order = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "LỜI CHỨNG",
        "Chứng thực bản sao đúng với bản chính.",
        "Số chứng thực: 15/ĐT",
        "Ngày 07 tháng 12 năm 2026",
        "Giấy tờ được chứng thực:",
        "Tên giấy tờ:",
        "Cơ quan chứng thực:",
        "NGƯỜI THỰC HIỆN CHỨNG THỰC",
        "Kiểm tra bản sao điện tử này tại:",
    ]
    tops = [first_top(pdf, phrase) for phrase in order]
    assert tops == sorted(tops, reverse=True), list(zip(order, tops, strict=True))
    assert abs(first_top(pdf, "Quyển số: 01/2026-SCT/BS-ĐT") - tops[4]) < 1  # one line
    assert abs(first_top(pdf, "CƠ QUAN CHỨNG THỰC") - tops[9]) < 1  # the two boxes' captions
    # Every name whole (wrapped across lines, never cut), and no ellipsis anywhere.
    doc = pypdfium2.PdfDocument(pdf)
    text = doc[len(doc) - 1].get_textpage().get_text_range()
    doc.close()
    for value in fields.values():
        assert squeeze(value) in squeeze(text), value
    assert squeeze(fields["office_name"].upper()) in squeeze(text)
    assert squeeze(URL) in squeeze(text)
    assert "…" not in text


def test_the_font_widths_are_the_glyphs_advances_in_pdf_glyph_space() -> None:
    """The cause of the garbled page: widths written in DejaVu's 2048 units per em where PDF
    reads thousandths of an em. Each glyph's /W width is its advance scaled to 1000."""
    pdf = page_for(SHORT)
    reader = PdfFileReader(io.BytesIO(pdf))
    page = reader.root["/Pages"]["/Kids"][-1].get_object()
    fonts = page["/Resources"]["/Font"]
    checked = 0
    for path in (DEJAVU_SANS, DEJAVU_SANS_BOLD):
        tt = ttLib.TTFont(str(path))
        scale = 1000 / tt["head"].unitsPerEm
        order = tt.getGlyphOrder()
        subset_name = re.sub(r"[^A-Za-z]", "", tt["name"].getDebugName(6) or "")
        for font in fonts.values():
            cid_font = font.get_object()["/DescendantFonts"][0].get_object()
            if not str(cid_font["/BaseFont"]).replace("-", "").endswith(subset_name):
                continue
            descriptor = cid_font["/FontDescriptor"]
            assert int(descriptor["/Ascent"]) == round(tt["hhea"].ascent * scale)
            widths = cid_font["/W"]
            for i in range(0, len(widths), 2):
                first, run = int(widths[i]), widths[i + 1]
                for offset, width in enumerate(run):
                    advance = tt["hmtx"][order[first + offset]][0]
                    assert int(width) == round(advance * scale), (path.name, first + offset)
                    checked += 1
    assert checked > 40


def test_the_page_rendered_for_a_person_to_read() -> None:
    """test-artifacts/screenshots/certification-page*.png: the page at 150 dpi, short and
    long names, to look at (the glyph checks above are what the suite asserts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, fields in (("certification-page-unsigned", SHORT), ("certification-page-long", LONG)):
        pdf = page_for(fields)
        doc = pypdfium2.PdfDocument(pdf)
        try:
            page = doc[len(doc) - 1]
            image = page.render(scale=150 / 72).to_pil()
            page.close()
        finally:
            doc.close()
        path = SCREENSHOTS / f"{name}.png"
        image.save(path)
        assert (
            abs(image.width - 595.28 * 150 / 72) < 2 and abs(image.height - 841.89 * 150 / 72) < 2
        )
        # Ink where the text is: the page is not blank.
        grey = image.convert("L")
        assert grey.getextrema()[0] < 64
