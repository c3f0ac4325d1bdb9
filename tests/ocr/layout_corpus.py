"""Pages whose reading order matters, with the text in a person's order as ground truth: the
two-column header of a Vietnamese administrative paper (the agency on the left, the national
motto and the place and date on the right), a table read across its rows, a two-column
signature block, and a full-width line after it.

    page = layout_page(seed=1)            # a Sample of the clean tier
    page = layout_page(seed=1, tier="degraded")  # or "photo"
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from tests.ocr import corpus, photo_corpus
from tests.ocr.corpus import DPI, MARGIN, PAGE_WIDTH, Document, Line, font


@dataclass(frozen=True, slots=True)
class Columns:
    left: tuple[str, ...]
    right: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # share of the text width per column


Block = Line | Columns | Table


def blocks(seed: int) -> tuple[Block, ...]:
    rng = random.Random(seed)
    ward = rng.choice(("TÂN MAI", "LONG BÌNH", "TRẢNG DÀI", "HÒA BÌNH"))
    number = rng.randrange(10, 999)
    people = [
        (
            str(i + 1),
            f"{rng.choice(('Nguyễn', 'Trần', 'Lê', 'Phạm'))} {rng.choice(('Văn', 'Thị'))} "
            f"{rng.choice(('Hùng', 'Lan', 'Nam', 'Hương', 'Bảo'))}",
            f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 12):02d}/{rng.randrange(1960, 2005)}",
            f"075{rng.randrange(0, 2)}{rng.randrange(60, 99)}{rng.randrange(10**6):06d}",
        )
        for i in range(rng.randrange(3, 5))
    ]
    return (
        Columns(
            ("ỦY BAN NHÂN DÂN", f"PHƯỜNG {ward}", f"Số: {number}/QĐ-UBND"),
            (
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "Độc lập - Tự do - Hạnh phúc",
                f"Đồng Nai, ngày {rng.randrange(1, 28)} tháng {rng.randrange(1, 12)} năm 2025",
            ),
        ),
        Line("QUYẾT ĐỊNH", "heading", "center"),
        Line("Về việc công nhận danh sách hộ gia đình được hỗ trợ", "bold", "center"),
        Line("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;"),
        Line("Xét đề nghị của công chức Văn phòng - Thống kê phường,"),
        Line("QUYẾT ĐỊNH:", "bold", "center"),
        Line("Điều 1. Công nhận những người có tên sau đây được hỗ trợ:"),
        Table((("STT", "Họ và tên", "Ngày sinh", "Số định danh"), *people), (0.1, 0.35, 0.25, 0.3)),
        Line("Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
        Columns(
            ("Nơi nhận:", "- Như Điều 2;", "- Lưu: VT."),
            ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Văn Thành"),
        ),
        Line("Bản này được lưu tại bộ phận một cửa của phường."),
    )


def truth(page: tuple[Block, ...]) -> str:
    out: list[str] = []
    for block in page:
        if isinstance(block, Line):
            out.append(block.text)
        elif isinstance(block, Columns):
            out.extend((*block.left, *block.right))  # the left column, then the right
        else:
            out.extend(" ".join(row) for row in block.rows)  # across each row
    return "\n".join(out)


def typeset(page: tuple[Block, ...]) -> Image.Image:
    image = Image.new("L", (PAGE_WIDTH, 3508), 255)
    draw = ImageDraw.Draw(image)
    width = PAGE_WIDTH - 2 * MARGIN
    y = MARGIN
    body = font("body")
    pitch = round(body.size * 1.55)
    for block in page:
        if isinstance(block, Line):
            face = font(block.style)
            x = MARGIN
            if block.align == "center":
                x = round((PAGE_WIDTH - draw.textlength(block.text, font=face)) / 2)
            y += pitch // 3 if block.style == "heading" else 0
            draw.text((x, y), block.text, font=face, fill=0)
            y += round(face.size * 1.55)
        elif isinstance(block, Columns):
            # Each column centred in its half, as the header and signature of a paper are.
            half = width * 0.42
            for column, centre in (
                (block.left, MARGIN + half / 2),
                (block.right, PAGE_WIDTH - MARGIN - width * 0.29),
            ):
                for row, text in enumerate(column):
                    face = font("bold" if row < 2 else "body")
                    x = round(centre - draw.textlength(text, font=face) / 2)
                    draw.text((x, y + row * pitch), text, font=face, fill=0)
            y += pitch * max(len(block.left), len(block.right)) + pitch // 2
        else:
            lefts = [MARGIN + width * sum(block.widths[:i]) for i in range(len(block.widths))]
            y += pitch // 4
            top = y - pitch // 6
            for index, row in enumerate(block.rows):
                face = font("bold" if index == 0 else "body")
                for cell, left in zip(row, lefts, strict=True):
                    draw.text((left + 20, y), cell, font=face, fill=0)
                y += pitch
            # The table's rules: a frame, row lines and column lines.
            bottom = y - pitch // 6
            for k in range(len(block.rows) + 1):
                line_y = top + k * pitch
                draw.line((MARGIN, line_y, PAGE_WIDTH - MARGIN, line_y), fill=0, width=3)
            for left in [*lefts, PAGE_WIDTH - MARGIN]:
                draw.line((left, top, left, bottom), fill=0, width=3)
            y += pitch // 2
    return image


def layout_page(seed: int, tier: str = "clean") -> corpus.Sample:
    page = blocks(seed)
    image = typeset(page)
    document = Document(f"layout-{seed}", tuple(Line(t) for t in truth(page).split("\n")))
    if tier == "photo":
        return photo_corpus.photo_of(image, document, seed)
    if tier == "degraded":
        rng = random.Random(seed)
        dpi = 150
        scan = corpus.uneven_light(image.convert("RGB"), darkest=rng.randint(150, 175))
        scan = corpus.skew(scan, rng.choice((-1, 1)) * rng.uniform(1.0, 3.0))
        scan = corpus.add_noise(corpus.rescale(scan, dpi), sigma=rng.uniform(10, 16), seed=seed)
        data = corpus._encode(scan, "JPEG", dpi, quality=rng.randint(45, 60))
        return corpus.Sample(document.name, corpus.Tier.DEGRADED, document, data, "image/jpeg", dpi)
    data = corpus._encode(image, "PNG", DPI)
    return corpus.Sample(document.name, corpus.Tier.CLEAN, document, data, "image/png", DPI)
