"""Phone photos: the page is found on the desk, straightened and read like a scan."""

from __future__ import annotations

import io
import statistics
from dataclasses import replace

import pypdfium2
import pytest

from ocr.photo import find_page, rectify
from ocr.pipeline import OcrOptions, recognise
from ocr.preprocess import Steps
from tests.ocr import corpus, photo_corpus

OPTIONS = OcrOptions(searchable_pdf=False)


@pytest.mark.parametrize("seed", range(6))
def test_the_page_is_found_within_a_few_pixels(seed: int) -> None:
    sample = photo_corpus.photo(corpus.DOCUMENTS[seed % 4], seed)
    quad = find_page(sample.image())
    assert quad is not None
    for (x, y), (tx, ty) in zip(quad.corners, sample.corners, strict=True):
        # A photo is ~1800 px wide: 12 px is under 1 % of it.
        assert abs(x - tx) <= 12 and abs(y - ty) <= 12, (quad.corners, sample.corners)


@pytest.mark.parametrize(
    "sample",
    [
        corpus.clean(corpus.BIRTH_CERTIFICATE),
        *corpus.tier_samples(corpus.Tier.DEGRADED, 4),
        *corpus.tier_samples(corpus.Tier.HARD, 3),
    ],
    ids=lambda s: s.name,
)
def test_scans_are_not_taken_for_photos(sample: corpus.Sample) -> None:
    assert find_page(sample.image()) is None


def test_rectified_page_is_upright_at_a4_width() -> None:
    sample = photo_corpus.photo(corpus.MARRIAGE_CERTIFICATE, 4)
    quad = find_page(sample.image())
    assert quad is not None
    page, dpi = rectify(sample.image(), quad)
    assert dpi == 200 and page.width == 1654  # 210 mm at 200 dpi
    # Its height follows the page's true corners in the photo (known to the corpus), not
    # a fixed A4 shape: the proportion of the sides nearest the camera.
    tl, tr, br, bl = (complex(x, y) for x, y in sample.corners)
    true_ratio = max(abs(bl - tl), abs(br - tr)) / max(abs(tr - tl), abs(br - bl))
    assert abs(page.height / page.width - true_ratio) < 0.02 * true_ratio
    # No desk is left: every edge of the flattened page is paper.
    grey = page.convert("L")
    band = 20
    edges = [
        grey.crop((0, 0, page.width, band)),
        grey.crop((0, page.height - band, page.width, page.height)),
        grey.crop((0, 0, band, page.height)),
        grey.crop((page.width - band, 0, page.width, page.height)),
    ]
    assert all(statistics.median(edge.getdata()) > 150 for edge in edges)


def test_photo_cer_goal_and_what_finding_the_page_is_worth() -> None:
    samples = photo_corpus.photo_samples(3, seed=40)
    rates = []
    for sample in samples:
        result = recognise(sample.data, sample.media_type, options=OPTIONS)
        assert result.pages[0].steps[0] == "photo page"
        rates.append(corpus.cer(sample.truth, result.text))
    assert statistics.mean(rates) <= 0.015, rates
    unfound = OcrOptions(searchable_pdf=False, steps=replace(Steps(), photo=False))
    raw = corpus.cer(samples[0].truth, recognise(samples[0].data, options=unfound).text)
    assert raw > rates[0]


def test_the_searchable_pdf_of_a_photo_shows_the_page() -> None:
    sample = photo_corpus.photo(corpus.CERTIFIED_COPY, 9)
    result = recognise(sample.data, sample.media_type)
    assert result.searchable_pdf is not None
    pdf = pypdfium2.PdfDocument(io.BytesIO(result.searchable_pdf))
    try:
        width, height = pdf[0].get_size()
        # An A4 sheet (595 x 842 pt), not the desk around it.
        assert abs(width - 595) < 3 and 800 < height < 880
        text = pdf[0].get_textpage().get_text_range()
        assert "CHỨNG THỰC BẢN SAO" in text
    finally:
        pdf.close()
