"""Preprocessing steps on synthetic pages (no OCR here)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageStat

from ocr.preprocess import (
    Steps,
    estimate_skew,
    flatten_background,
    ink_gray,
    prepare,
    turn,
)
from tests.ocr import corpus


def test_ink_gray_keeps_black_and_drops_coloured_ink() -> None:
    image = Image.new("RGB", (40, 10))
    colours = [(0, 0, 0), (210, 30, 40), (25, 55, 170), (228, 244, 232)]
    for i, colour in enumerate(colours):
        image.paste(colour, (i * 10, 0, i * 10 + 10, 10))
    gray = ink_gray(image)
    black, seal, ballpoint, paper = (gray.getpixel((i * 10 + 5, 5)) for i in range(4))
    assert black == 0
    assert seal == ballpoint == 255
    assert paper >= 250  # flattening takes the paper's own tone to white


def test_ink_gray_keeps_text_under_a_seal() -> None:
    # Inks multiply: black under red is still black.
    image = Image.new("RGB", (1, 1), (0, 0, 0))
    assert ink_gray(image).getpixel((0, 0)) == 0


def test_ink_gray_on_grey_input_is_plain_conversion() -> None:
    image = Image.new("L", (3, 3), 77)
    assert ink_gray(image).getpixel((1, 1)) == 77


def test_flatten_background_evens_out_light() -> None:
    page = corpus.uneven_light(corpus.typeset(corpus.CERTIFIED_COPY), darkest=120)
    flat = flatten_background(page)
    # The paper (the page's lightest tenth in each corner) comes out white everywhere.
    for box in [(0, 0, 200, 200), (page.width - 200, page.height - 200, page.width, page.height)]:
        assert ImageStat.Stat(flat.crop(box)).mean[0] > 245
    # The ink keeps its darkness.
    assert ImageStat.Stat(flat).extrema[0][0] < 40


@pytest.mark.parametrize("angle", [-2.6, -1.2, 1.5, 3.0])
def test_estimate_skew_recovers_the_angle(angle: float) -> None:
    page = corpus.skew(corpus.typeset(corpus.BIRTH_CERTIFICATE), angle)
    estimate = estimate_skew(page)
    assert not estimate.sideways
    assert estimate.angle == pytest.approx(-angle, abs=0.25)


@pytest.mark.parametrize("transpose", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270])
def test_estimate_skew_sees_a_page_on_its_side(transpose: Image.Transpose) -> None:
    page = corpus.typeset(corpus.BIRTH_CERTIFICATE).transpose(transpose)
    assert estimate_skew(page).sideways


def test_turn_is_clockwise() -> None:
    image = Image.new("L", (3, 2), 255)
    image.putpixel((0, 0), 0)  # top-left
    assert turn(image, 90).getpixel((1, 0)) == 0  # to top-right
    assert turn(image, 180).getpixel((2, 1)) == 0  # to bottom-right
    assert turn(image, 270).getpixel((0, 2)) == 0  # to bottom-left
    assert turn(image, 0) is image


def test_prepare_upscales_low_resolution_scans() -> None:
    page = corpus.rescale(corpus.typeset(corpus.CERTIFIED_COPY), 100)
    prepared = prepare(page, 100)
    assert prepared.dpi == 200
    assert prepared.scale == pytest.approx(2.0)
    assert prepared.size == (page.width * 2, page.height * 2)
    assert prepared.image.mode == "L"


def test_prepare_leaves_150_dpi_alone() -> None:
    # Measured: at 150 dpi Tesseract reads as well without upscaling (see ocr/preprocess.py).
    page = corpus.rescale(corpus.typeset(corpus.CERTIFIED_COPY), 150)
    assert prepare(page, 150).scale == 1.0


def test_prepare_leaves_300_dpi_alone() -> None:
    page = corpus.typeset(corpus.CERTIFIED_COPY)
    prepared = prepare(page, 300, Steps(flatten=False, crop=False))
    assert prepared.scale == 1.0 and prepared.skew == 0.0
    assert prepared.steps == ()
    assert prepared.image.size == prepared.size == page.size


def test_prepare_applies_exif_orientation() -> None:
    page = corpus.typeset(corpus.CERTIFIED_COPY).convert("RGB")
    # Stored turned 90° counter-clockwise with EXIF orientation 6 ("rotate 90 CW to view").
    stored = page.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    stored.save(out, "JPEG", exif=exif, quality=90)
    prepared = prepare(Image.open(out), 300)
    assert "exif" in prepared.steps
    assert prepared.size == page.size


def test_deskew_keeps_the_page_size() -> None:
    page = corpus.skew(corpus.typeset(corpus.CERTIFIED_COPY), 2.0)
    prepared = prepare(page, 300)
    assert prepared.size == page.size
    assert prepared.skew == pytest.approx(-2.0, abs=0.25)


def test_crop_to_the_text_with_a_margin() -> None:
    page = corpus.typeset(corpus.CERTIFIED_COPY)
    prepared = prepare(page, 300)
    left, top, right, bottom = prepared.box
    assert "crop" in prepared.steps
    assert prepared.image.size == (right - left, bottom - top)
    # Every dark pixel of the page is inside the box.
    ink = page.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert ink is not None
    assert left <= ink[0] and top <= ink[1] and right >= ink[2] and bottom >= ink[3]
    assert left > 0 and right < page.width  # the side margins are gone


def test_turning_starts_from_the_whole_page() -> None:
    page = corpus.typeset(corpus.CERTIFIED_COPY).rotate(180)
    turned = prepare(page, 300).turned(180, Steps())
    assert turned.size == page.size
    assert turned.box == prepare(page.rotate(180), 300).box


def test_sparse_page_is_not_called_sideways() -> None:
    page = Image.new("L", (2480, 3508), 255)
    ImageDraw.Draw(page).text((300, 300), "Trang 2", fill=0, font=corpus.font("body"))
    assert not estimate_skew(page).sideways


def test_table_rules_go_white_and_text_stays() -> None:
    from PIL import ImageDraw

    from ocr.preprocess import remove_rules
    from tests.ocr.corpus import font

    page = Image.new("L", (1200, 400), 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((50, 50, 1150, 350), outline=0, width=3)  # the frame
    draw.line((50, 200, 1150, 200), fill=0, width=3)  # a row rule
    draw.line((400, 50, 400, 350), fill=0, width=3)  # a column rule
    draw.text((80, 100), "Họ và tên", font=font("body"), fill=0)
    cleaned = remove_rules(page, 300)
    assert cleaned is not None
    assert cleaned.getpixel((700, 200)) == 255 and cleaned.getpixel((400, 300)) == 255
    text_ink = cleaned.crop((80, 100, 380, 180)).point(lambda v: 255 if v < 128 else 0)
    page_ink = page.crop((80, 100, 380, 180)).point(lambda v: 255 if v < 128 else 0)
    assert text_ink.histogram()[255] == page_ink.histogram()[255] > 500
    assert remove_rules(Image.new("L", (600, 400), 255), 300) is None
