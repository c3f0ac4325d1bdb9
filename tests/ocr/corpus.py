"""A Vietnamese administrative page corpus with ground truth, made here with Pillow.

Pages are typeset with the Debian fonts (Noto Serif from fonts-noto-core, DejaVu Serif as the
fallback) at 300 dpi, then degraded the way real one-stop-shop scans are, in three tiers:

- clean: 300 dpi, straight, black on white;
- degraded: 150 dpi, skewed 1-3°, sensor noise, uneven light, JPEG artefacts;
- hard: 120 dpi, turned 90°/180°/270°, a red seal and a blue signature over the text,
  tinted guilloche certificate paper.

Everything is seeded: the same call gives the same pixels. The ground truth is the text as
drawn, line by line; `cer` compares it with OCR output on whitespace-normalised text.
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

DPI = 300
PAGE_WIDTH = 2480  # A4 at 300 dpi: 210 mm
MARGIN = 190  # 16 mm
FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu"))


class Tier(StrEnum):
    CLEAN = "clean"
    DEGRADED = "degraded"
    HARD = "hard"


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    style: str = "body"  # body | bold | heading | small
    align: str = "left"  # left | center


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    lines: tuple[Line, ...]

    @property
    def truth(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True, slots=True)
class Sample:
    """One corpus page: the encoded file as a scanner would hand it over, and its truth."""

    name: str
    tier: Tier
    document: Document
    data: bytes
    media_type: str  # image/png | image/jpeg | image/tiff
    dpi: int

    @property
    def truth(self) -> str:
        return self.document.truth

    def image(self) -> Image.Image:
        return Image.open(io.BytesIO(self.data))


# -- documents ---------------------------------------------------------------------------

_NATIONAL = (
    Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold", "center"),
    Line("Độc lập - Tự do - Hạnh phúc", "bold", "center"),
)

BIRTH_CERTIFICATE = Document(
    "birth_certificate",
    (
        *_NATIONAL,
        Line("GIẤY KHAI SINH", "heading", "center"),
        Line("Số: 123/2024/TP-KS   Quyển số: 01/2024", "body", "center"),
        Line("Họ, chữ đệm, tên: NGUYỄN THỊ HƯƠNG"),
        Line("Ngày, tháng, năm sinh: 15/03/2024"),
        Line("Giới tính: Nữ   Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line("Nơi sinh: Bệnh viện Đa khoa Đồng Nai, tỉnh Đồng Nai"),
        Line("Quê quán: xã Hòa Bình, huyện Trảng Bom, tỉnh Đồng Nai"),
        Line("Số định danh cá nhân: 075324001234"),
        Line("Họ, chữ đệm, tên người mẹ: TRẦN THỊ MAI"),
        Line("Năm sinh: 1995   Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line("Họ, chữ đệm, tên người cha: NGUYỄN VĂN HÙNG"),
        Line("Năm sinh: 1992   Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line("Nơi cư trú: phường Tân Mai, thành phố Biên Hòa, tỉnh Đồng Nai"),
        Line("Nơi đăng ký: Ủy ban nhân dân phường Tân Mai"),
        Line("Đồng Nai, ngày 20 tháng 03 năm 2024", "body", "center"),
        Line("NGƯỜI KÝ GIẤY KHAI SINH", "bold", "center"),
        Line("Phó Chủ tịch Lê Văn Thành", "body", "center"),
    ),
)

MARRIAGE_CERTIFICATE = Document(
    "marriage_certificate",
    (
        *_NATIONAL,
        Line("GIẤY CHỨNG NHẬN KẾT HÔN", "heading", "center"),
        Line("Số: 45/2025   Quyển số: 01/2025", "body", "center"),
        Line("Họ, chữ đệm, tên người chồng: PHẠM QUỐC BẢO"),
        Line("Ngày, tháng, năm sinh: 02/09/1994"),
        Line("Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line("Số định danh cá nhân: 075094012345"),
        Line("Nơi cư trú: xã Phước Thiền, huyện Nhơn Trạch, tỉnh Đồng Nai"),
        Line("Họ, chữ đệm, tên người vợ: LÊ THỊ NGỌC ÁNH"),
        Line("Ngày, tháng, năm sinh: 21/11/1997"),
        Line("Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line("Số định danh cá nhân: 075197006789"),
        Line("Nơi cư trú: phường Long Bình, thành phố Biên Hòa, tỉnh Đồng Nai"),
        Line("Nơi đăng ký kết hôn: Ủy ban nhân dân xã Phước Thiền"),
        Line("Ngày đăng ký: ngày 15 tháng 01 năm 2025"),
        Line("TM. ỦY BAN NHÂN DÂN", "bold", "center"),
        Line("Chủ tịch Đỗ Minh Đức", "body", "center"),
    ),
)

CRIMINAL_RECORD_EXTRACT = Document(
    "criminal_record_extract",
    (
        Line("SỞ TƯ PHÁP TỈNH ĐỒNG NAI", "bold", "left"),
        Line("Số: 1520/2025/LLTP", "body", "left"),
        Line("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", "heading", "center"),
        Line("Căn cứ Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009;", "small"),
        Line("Họ và tên: VÕ THANH TÙNG"),
        Line("Giới tính: Nam"),
        Line("Ngày, tháng, năm sinh: 08/07/1990"),
        Line("Nơi sinh: huyện Long Thành, tỉnh Đồng Nai"),
        Line("Quốc tịch: Việt Nam   Dân tộc: Kinh"),
        Line("Nơi cư trú: khu phố 4, phường Trảng Dài, thành phố Biên Hòa"),
        Line("Số định danh cá nhân: 075090004567"),
        Line("Tình trạng án tích: Không có án tích."),
        Line("Thông tin về việc cấm đảm nhiệm chức vụ: Không bị cấm."),
        Line("Biên Hòa, ngày 15 tháng 01 năm 2025", "body", "center"),
        Line("KT. GIÁM ĐỐC", "bold", "center"),
        Line("PHÓ GIÁM ĐỐC Nguyễn Hữu Phước", "body", "center"),
    ),
)

CERTIFIED_COPY = Document(
    "certified_copy",
    (
        Line("ỦY BAN NHÂN DÂN PHƯỜNG TÂN MAI", "bold", "center"),
        Line("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", "heading", "center"),
        Line("Số chứng thực: 215/2025/ĐT   Quyển số: 02 SCT/BS", "body", "center"),
        Line("Bản sao của: Giấy khai sinh của bà Nguyễn Thị Hương", "body", "center"),
        Line("Ngày 15 tháng 01 năm 2025", "body", "center"),
        Line("NGƯỜI THỰC HIỆN CHỨNG THỰC", "bold", "center"),
        Line("Công chức Tư pháp - Hộ tịch", "body", "center"),
        Line("Phạm Thị Lan", "body", "center"),
    ),
)

DOCUMENTS = (BIRTH_CERTIFICATE, MARRIAGE_CERTIFICATE, CRIMINAL_RECORD_EXTRACT, CERTIFIED_COPY)


# -- typesetting -------------------------------------------------------------------------


@cache
def font(style: str, family: str = "NotoSerif") -> ImageFont.FreeTypeFont:
    """A TrueType font at the size a style has on a 300 dpi page (12 pt body, 15 pt heading)."""
    weight = "Bold" if style in {"bold", "heading"} else "Regular"
    points = {"body": 12.5, "bold": 12.5, "heading": 16, "small": 11}[style]
    names = [f"{family}-{weight}.ttf", f"DejaVuSerif{'-Bold' if weight == 'Bold' else ''}.ttf"]
    for name in names:
        for folder in FONT_DIRS:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), round(points * DPI / 72))
    raise FileNotFoundError(f"no font for {style}: install fonts-noto-core or fonts-dejavu-core")


def typeset(document: Document, family: str = "NotoSerif") -> Image.Image:
    """The document at 300 dpi, black on white, A4 width, as tall as its text needs."""
    spacing = 1.55  # line pitch as a multiple of the font size, as on printed forms
    heights = [round(font(line.style, family).size * spacing) for line in document.lines]
    height = MARGIN * 2 + sum(heights) + 60
    page = Image.new("L", (PAGE_WIDTH, height), 255)
    draw = ImageDraw.Draw(page)
    y = MARGIN
    for line, pitch in zip(document.lines, heights, strict=True):
        face = font(line.style, family)
        text = unicodedata.normalize("NFC", line.text)
        if line.align == "center":
            width = draw.textlength(text, font=face)
            x = (PAGE_WIDTH - width) / 2
        else:
            x = MARGIN
        # Headings are spaced before, like the title block of a form.
        if line.style == "heading":
            y += pitch // 3
        draw.text((x, y), text, font=face, fill=0)
        y += pitch
    return page


# -- degradations ------------------------------------------------------------------------


def _encode(image: Image.Image, fmt: str, dpi: int, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, dpi=(dpi, dpi), **params)
    return out.getvalue()


def rescale(image: Image.Image, dpi: int) -> Image.Image:
    if dpi == DPI:
        return image
    factor = dpi / DPI
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.LANCZOS)


def skew(image: Image.Image, degrees: float) -> Image.Image:
    fill: int | tuple[int, ...] = 255 if image.mode == "L" else (255,) * len(image.getbands())
    return image.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def add_noise(image: Image.Image, sigma: float, seed: int) -> Image.Image:
    """Zero-mean sensor noise of standard deviation ~`sigma`, the same for the same seed
    (Pillow's effect_noise draws from C's rand(), which no Python seed reaches)."""
    rng = random.Random(seed)
    uniform = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    # Uniform 0-255 has a standard deviation of 73.9; scale it about 128.
    noise = uniform.point(lambda v: round(128 + (v - 128) * sigma / 73.9))
    if image.mode == "L":
        return ImageChops.add(image, noise, 1.0, -128)
    bands = [ImageChops.add(band, noise, 1.0, -128) for band in image.split()]
    return Image.merge(image.mode, bands)


def uneven_light(image: Image.Image, darkest: int) -> Image.Image:
    """A lamp off to one corner: brightness falls from 255 to `darkest` across the page."""
    down = Image.linear_gradient("L")  # 0 at the top, 255 at the bottom
    across = down.transpose(Image.Transpose.ROTATE_90)  # 0 on the right... 255 on the left
    ramp = ImageChops.add(down, across, scale=2.0)  # diagonal, corner to corner
    ramp = ramp.resize(image.size, Image.Resampling.BILINEAR)
    ramp = ramp.point(lambda v: 255 - (255 - darkest) * v // 255)
    if image.mode != "L":
        ramp = Image.merge(image.mode, [ramp] * len(image.getbands()))
    return ImageChops.multiply(image, ramp)


def jpeg_artefacts(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert(image.mode)


def certificate_paper(size: tuple[int, int], tint: tuple[int, int, int]) -> Image.Image:
    """Tinted paper with a guilloche (interlaced sine waves) background, as certificates have."""
    paper = Image.new("RGB", size, tint)
    draw = ImageDraw.Draw(paper)
    width, height = size
    ink = tuple(max(0, c - 45) for c in tint)
    for k in range(0, height, 38):
        for phase in (0.0, math.pi):
            points = [
                (x, k + 14 * math.sin(x / 55 + phase + k / 90)) for x in range(0, width + 20, 20)
            ]
            draw.line(points, fill=ink, width=2)
    return paper


def red_seal(diameter: int) -> Image.Image:
    """A round red seal (con dấu): two rings, a star and the agency name, on transparent."""
    seal = Image.new("RGBA", (diameter, diameter), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    red = (210, 30, 40, 215)
    r = diameter // 2
    draw.ellipse((4, 4, diameter - 4, diameter - 4), outline=red, width=diameter // 40)
    inner = diameter // 5
    draw.ellipse((inner, inner, diameter - inner, diameter - inner), outline=red, width=5)
    star = [
        (
            r + (0.16 if i % 2 == 0 else 0.065) * diameter * math.sin(i * math.pi / 5),
            r - (0.16 if i % 2 == 0 else 0.065) * diameter * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    face = ImageFont.truetype(font("bold").path, diameter // 14)
    label = "ỦY BAN NHÂN DÂN * TỈNH ĐỒNG NAI * "
    for i, char in enumerate(label):
        angle = 2 * math.pi * i / len(label) - math.pi / 2
        x = r + (r - diameter * 0.13) * math.cos(angle)
        y = r + (r - diameter * 0.13) * math.sin(angle)
        glyph = Image.new("RGBA", (diameter // 10, diameter // 10), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((0, 0), char, font=face, fill=red)
        glyph = glyph.rotate(-math.degrees(angle) - 90, expand=True)
        seal.alpha_composite(glyph, (int(x - glyph.width / 2), int(y - glyph.height / 2)))
    return seal


def blue_signature(size: tuple[int, int], seed: int) -> Image.Image:
    """A looping ballpoint signature in blue ink, on transparent."""
    rng = random.Random(seed)
    sig = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(sig)
    width, height = size
    points = []
    for i in range(160):
        t = i / 159
        x = width * (0.05 + 0.9 * t)
        y = height * (0.5 + 0.35 * math.sin(t * 19 + rng.random() * 0.3) * (1 - t * 0.4))
        points.append((x, y))
    draw.line(points, fill=(25, 55, 170, 235), width=7, joint="curve")
    draw.line(
        [(width * 0.1, height * 0.8), (width * 0.95, height * 0.55)],
        fill=(25, 55, 170, 235),
        width=6,
    )
    return sig


def stamp_over(page: Image.Image, overlay: Image.Image, center: tuple[int, int]) -> Image.Image:
    """Ink over ink: multiply, so black text under a seal stays black (as on paper)."""
    layer = Image.new("RGB", page.size, (255, 255, 255))
    white = Image.new("RGBA", overlay.size, (255, 255, 255, 255))
    white.alpha_composite(overlay)
    box = (center[0] - overlay.width // 2, center[1] - overlay.height // 2)
    layer.paste(white.convert("RGB"), box, overlay)
    return ImageChops.multiply(page.convert("RGB"), layer)


def _line_centre(document: Document, index: int, page: Image.Image) -> int:
    """The y of the middle of line `index` in a typeset page (same arithmetic as typeset)."""
    y = MARGIN
    for i, line in enumerate(document.lines):
        pitch = round(font(line.style).size * 1.55)
        if line.style == "heading":
            y += pitch // 3
        if i == index:
            return y + pitch // 3
        y += pitch
    raise IndexError(index)


# -- tiers -------------------------------------------------------------------------------


def clean(document: Document, *, fmt: str = "PNG") -> Sample:
    page = typeset(document)
    media = "image/png" if fmt == "PNG" else "image/tiff"
    return Sample(
        f"{document.name}-clean", Tier.CLEAN, document, _encode(page, fmt, DPI), media, DPI
    )


def degraded(document: Document, seed: int) -> Sample:
    rng = random.Random(seed)
    dpi = 150
    angle = rng.choice((-1, 1)) * rng.uniform(1.0, 3.0)
    page = typeset(document).convert("RGB")
    page = uneven_light(page, darkest=rng.randint(150, 175))
    page = skew(page, angle)
    page = rescale(page, dpi)
    page = add_noise(page, sigma=rng.uniform(10, 16), seed=seed)
    data = _encode(page, "JPEG", dpi, quality=rng.randint(45, 60))
    return Sample(
        f"{document.name}-degraded-{angle:+.1f}deg",
        Tier.DEGRADED,
        document,
        data,
        "image/jpeg",
        dpi,
    )


def hard(document: Document, seed: int, turn: int | None = None) -> Sample:
    """120 dpi, tinted guilloche paper, a red seal and a blue signature over the signer's
    lines, turned by `turn` degrees (90, 180 or 270; chosen from the seed when None)."""
    rng = random.Random(seed)
    dpi = 120
    turn = turn if turn is not None else rng.choice((90, 180, 270))
    text = typeset(document)
    tint = rng.choice(((250, 236, 220), (228, 244, 232), (246, 232, 240)))
    paper = certificate_paper(text.size, tint)
    page = ImageChops.multiply(paper, text.convert("RGB"))
    last = len(document.lines) - 1
    sig_y = _line_centre(document, last, text)
    page = stamp_over(page, blue_signature((700, 260), seed), (PAGE_WIDTH // 2 + 60, sig_y - 20))
    seal = red_seal(560)
    page = stamp_over(page, seal, (PAGE_WIDTH // 2 - 330, _line_centre(document, last - 1, text)))
    page = skew(page, rng.uniform(-1.5, 1.5))
    page = rescale(page, dpi)
    page = add_noise(page, sigma=8, seed=seed)
    transpose = {
        90: Image.Transpose.ROTATE_90,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_270,
    }[turn]
    page = page.transpose(transpose)
    data = _encode(page, "JPEG", dpi, quality=80)
    return Sample(f"{document.name}-hard-turn{turn}", Tier.HARD, document, data, "image/jpeg", dpi)


def low_resolution(document: Document, seed: int, dpi: int = 100) -> Sample:
    """A plain page scanned at a low resolution (100-120 dpi): black on white, a little skew
    and noise. Not a tier: it isolates what upscaling does."""
    rng = random.Random(seed)
    page = skew(typeset(document).convert("RGB"), rng.uniform(-2.0, 2.0))
    page = add_noise(rescale(page, dpi), sigma=8, seed=seed)
    data = _encode(page, "JPEG", dpi, quality=70)
    return Sample(f"{document.name}-{dpi}dpi", Tier.DEGRADED, document, data, "image/jpeg", dpi)


def tier_samples(tier: Tier, count: int, seed: int = 7) -> list[Sample]:
    """`count` pages of a tier, cycling through the documents."""
    out = []
    for i in range(count):
        document = DOCUMENTS[i % len(DOCUMENTS)]
        if tier is Tier.CLEAN:
            out.append(clean(document))
        elif tier is Tier.DEGRADED:
            out.append(degraded(document, seed + i))
        else:
            out.append(hard(document, seed + i, turn=(90, 180, 270)[i % 3]))
    return out


# -- measuring ---------------------------------------------------------------------------


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance (insert, delete, substitute at cost 1), two rows of memory."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(truth: str, recognised: str) -> float:
    """Character error rate: edits to turn the OCR text into the truth, over the truth length."""
    expected = normalise(truth)
    return edit_distance(expected, normalise(recognised)) / max(1, len(expected))


# -- files -------------------------------------------------------------------------------


def image_pdf(pages: Sequence[Sample]) -> bytes:
    """A scanned-style PDF: each sample's image on a page of its physical size, no text.
    JPEG samples go in as their own bytes, others as bitmaps (what scanner software does)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument.new()
    try:
        for sample in pages:
            image = sample.image()
            width, height = image.width / sample.dpi * 72, image.height / sample.dpi * 72
            page = pdf.new_page(width, height)
            obj = pypdfium2.PdfImage.new(pdf)
            if sample.media_type == "image/jpeg":
                obj.load_jpeg(io.BytesIO(sample.data), inline=False)
            else:
                obj.set_bitmap(pypdfium2.PdfBitmap.from_pil(image.convert("L")))
            obj.set_matrix(pypdfium2.PdfMatrix().scale(width, height))
            page.insert_obj(obj)
            page.gen_content()
            page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def multipage_tiff(pages: Sequence[Sample]) -> bytes:
    images = [s.image().convert("L") for s in pages]
    out = io.BytesIO()
    images[0].save(
        out,
        "TIFF",
        save_all=True,
        append_images=images[1:],
        compression="tiff_deflate",
        dpi=(pages[0].dpi, pages[0].dpi),
    )
    return out.getvalue()


def signed_pdf(pdf: bytes, folder: Path) -> bytes:
    """`pdf` signed by pyHanko (PAdES baseline, a throwaway self-signed certificate)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Phạm Thị Lan")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
    assert signer is not None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer)
    return out.getvalue()
