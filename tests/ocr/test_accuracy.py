"""Character error rate goals on a small sample of each corpus tier, with real Tesseract.

Goals: CER <= 1% on clean 300 dpi pages, <= 3% on degraded scans, <= 5% on hard ones (turned
pages with a red seal and a blue signature over the text, on patterned paper, at 120 dpi).
`bench/ocr.py` measures more pages per tier; this is the sample the test suite can afford.
"""

from __future__ import annotations

import statistics

import pytest

from ocr.engine import TesseractEngine
from ocr.pipeline import OcrOptions, recognise
from tests.ocr import corpus

GOALS = {corpus.Tier.CLEAN: 0.01, corpus.Tier.DEGRADED: 0.03, corpus.Tier.HARD: 0.05}
OPTIONS = OcrOptions(searchable_pdf=False)


def sample(tier: corpus.Tier) -> list[corpus.Sample]:
    if tier is corpus.Tier.CLEAN:
        return [corpus.clean(corpus.BIRTH_CERTIFICATE), corpus.clean(corpus.CERTIFIED_COPY)]
    if tier is corpus.Tier.DEGRADED:
        return [
            corpus.degraded(corpus.MARRIAGE_CERTIFICATE, seed=11),
            corpus.degraded(corpus.CRIMINAL_RECORD_EXTRACT, seed=12),
        ]
    return [
        corpus.hard(corpus.BIRTH_CERTIFICATE, seed=21, turn=90),
        corpus.hard(corpus.MARRIAGE_CERTIFICATE, seed=22, turn=180),
        corpus.hard(corpus.CRIMINAL_RECORD_EXTRACT, seed=23, turn=270),
    ]


@pytest.mark.parametrize("tier", list(corpus.Tier), ids=[t.value for t in corpus.Tier])
def test_cer_goal(tier: corpus.Tier) -> None:
    rates = {}
    for page in sample(tier):
        result = recognise(page.data, options=OPTIONS)
        rates[page.name] = corpus.cer(page.truth, result.text)
    assert statistics.mean(rates.values()) <= GOALS[tier], rates


def test_raw_tesseract_fails_where_the_pipeline_does_not() -> None:
    """The hard tier is hard: Tesseract alone, on the page as scanned, reads mostly noise."""
    page = corpus.hard(corpus.MARRIAGE_CERTIFICATE, seed=22, turn=180)
    raw = TesseractEngine().recognise(page.image(), dpi=page.dpi)
    assert corpus.cer(page.truth, raw.text) > 0.5
    assert corpus.cer(page.truth, recognise(page.data, options=OPTIONS).text) <= 0.05


def test_cer_counts_edits_over_the_truth() -> None:
    assert corpus.cer("Đồng Nai", "Đồng Nai") == 0
    assert corpus.cer("Đồng Nai", "Dồng Nai") == pytest.approx(1 / 8)
    assert corpus.cer("Hương  Đồng\nNai", "Hương Đồng Nai") == 0  # whitespace-normalised
    assert corpus.edit_distance("kitten", "sitting") == 3
