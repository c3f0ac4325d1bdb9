"""OCR throughput: pages/min through `ocr.pipeline` vs the bare `tesseract` CLI, and CER per tier.

value    = clean 300 dpi pages per minute through `ocr.pipeline.recognise` (bytes in; sniffing,
           preprocessing, the orientation check, OCR and the searchable PDF out), one page at
           a time in this process (workers=1);
baseline = the same pages per minute through `tesseract PAGE OUT -l vie --oem 1` with
           OMP_THREAD_LIMIT=1 (text output only), one process at a time;
ratio    = value / baseline (the goal is >= 0.9).

Both sides read the same pages in the same run, one page at a time: page by page, the sides
take turns to go first, so load from other work on this shared machine falls on both alike;
the value is the median over rounds. Before it, the engine binding (pytesseract, which the
engine uses) against a direct `subprocess` call of the binary: pages/min and CER of each. After
it, the character error rate of the pipeline on each corpus tier (clean, degraded, hard, and
phone photos of tests/ocr/photo_corpus.py) against its goal, and of raw Tesseract on the hard
tier.

    .venv/bin/python bench/ocr.py [--quick]   # last line: RESULT ocr value=... ratio=...
    .venv/bin/python bench/ocr.py --steps     # the preprocessing table in ocr/preprocess.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

# The repo root first: this file's own folder is on the path too, and its name is `ocr`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from bench._common import log, print_result
from ocr.engine import Recognition, TesseractEngine, limit_engine_threads, recognition
from ocr.pipeline import OcrOptions, recognise
from ocr.preprocess import Steps
from tests.ocr import corpus, layout_corpus, photo_corpus

NAME = "ocr"


@dataclass(frozen=True)
class Plan:
    rounds: int
    pages: int  # clean pages per round, per side
    tier_pages: int  # pages per tier for the CER


QUICK = Plan(rounds=2, pages=4, tier_pages=3)
FULL = Plan(rounds=4, pages=8, tier_pages=8)


def cli_page(path: Path, out_dir: Path) -> float:
    """Seconds for the tesseract CLI to read one page (text output)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.perf_counter()
    subprocess.run(
        ["tesseract", str(path), str(out_dir / "cli"), "-l", "vie", "--oem", "1"],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def pipeline_page(sample: corpus.Sample, options: OcrOptions) -> float:
    """Seconds for the pipeline to read one page, from its bytes to text and searchable PDF."""
    start = time.perf_counter()
    result = recognise(sample.data, sample.media_type, options=options)
    elapsed = time.perf_counter() - start
    assert result.text and (result.searchable_pdf or not options.searchable_pdf)
    return elapsed


def tier_cer(samples: list[corpus.Sample], options: OcrOptions) -> tuple[float, float]:
    """(mean CER, worst CER) of the pipeline over the samples."""
    rates = [
        corpus.cer(s.truth, recognise(s.data, s.media_type, options=options).text) for s in samples
    ]
    return statistics.mean(rates), max(rates)


def raw_cer(samples: list[corpus.Sample]) -> float:
    """Tesseract alone on the file as scanned: no preprocessing, no orientation."""
    engine = TesseractEngine()
    rates = []
    for s in samples:
        image = s.image()
        rates.append(corpus.cer(s.truth, engine.recognise(image, dpi=s.dpi).text))
    return statistics.mean(rates)


class DirectTesseractEngine(TesseractEngine):
    """The engine call before pytesseract: `tesseract` run with subprocess, OMP_THREAD_LIMIT
    in the child's environment only. Kept here to measure the binding against."""

    def recognise(self, image: Image.Image, *, dpi: int, text_layer: bool = False) -> Recognition:
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            source = Path(tmp) / "page.pgm"
            image.convert("L").save(source, "PPM")
            base = Path(tmp) / "out"
            args = [
                *(str(source), str(base), "-l", self.lang, "--oem", "1", "--psm", str(self.psm)),
                *("--dpi", str(dpi), *(("-c", "textonly_pdf=1") if text_layer else ())),
                "tsv",
                *(("pdf",) if text_layer else ()),
            ]
            env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
            subprocess.run(
                [self.binary, *args], env=env, capture_output=True, check=True, timeout=60
            )
            tsv = base.with_suffix(".tsv").read_text(encoding="utf-8")
            pdf = base.with_suffix(".pdf").read_bytes() if text_layer else None
        return recognition(tsv, pdf)


def binding_report(plan: Plan) -> None:
    """pytesseract (the engine) against the direct subprocess call: the same pages through
    the same pipeline, the two taking turns; seconds and CER of each."""
    samples = [
        *corpus.tier_samples(corpus.Tier.CLEAN, plan.tier_pages),
        *corpus.tier_samples(corpus.Tier.DEGRADED, plan.tier_pages),
    ]
    engines: dict[str, TesseractEngine] = {
        "pytesseract": TesseractEngine(),
        "direct call": DirectTesseractEngine(),
    }
    seconds = dict.fromkeys(engines, 0.0)
    rates: dict[str, list[float]] = {name: [] for name in engines}
    options = OcrOptions()
    for i, sample in enumerate(samples * plan.rounds):
        order = list(engines) if i % 2 == 0 else list(reversed(engines))
        for name in order:
            start = time.perf_counter()
            result = recognise(
                sample.data, sample.media_type, options=options, engine=engines[name]
            )
            seconds[name] += time.perf_counter() - start
            rates[name].append(corpus.cer(sample.truth, result.text))
    for name in engines:
        pages = len(rates[name])
        log(
            f"binding {name:12}: {pages / seconds[name] * 60:.1f} pages/min, "
            f"mean CER {statistics.mean(rates[name]):.2%} over {pages} page reads"
        )


def throughput(plan: Plan) -> tuple[float, float]:
    samples = [corpus.clean(corpus.DOCUMENTS[i % len(corpus.DOCUMENTS)]) for i in range(plan.pages)]
    options = OcrOptions()
    cli_rates: list[float] = []
    pipe_rates: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        folder = Path(tmp)
        paths = []
        for i, sample in enumerate(samples):
            path = folder / f"page-{i}.png"
            path.write_bytes(sample.data)
            paths.append(path)
        # Warm-up: the page cache and the traineddata, for both sides alike.
        cli_page(paths[0], folder)
        pipeline_page(samples[0], options)
        for number in range(plan.rounds):
            # Page by page, the two sides taking turns to go first: load from other work on
            # this shared machine then falls on both sides alike.
            cli_seconds = pipe_seconds = 0.0
            for i, (sample, path) in enumerate(zip(samples, paths, strict=True)):
                if (number + i) % 2 == 0:
                    cli_seconds += cli_page(path, folder)
                    pipe_seconds += pipeline_page(sample, options)
                else:
                    pipe_seconds += pipeline_page(sample, options)
                    cli_seconds += cli_page(path, folder)
            cli_rates.append(len(samples) / cli_seconds * 60)
            pipe_rates.append(len(samples) / pipe_seconds * 60)
            log(
                f"round {number + 1}/{plan.rounds}: pipeline {pipe_rates[-1]:.1f} pages/min, "
                f"tesseract CLI {cli_rates[-1]:.1f} pages/min"
            )
    return statistics.median(pipe_rates), statistics.median(cli_rates)


GOALS = {"clean": 0.005, "degraded": 0.005, "hard": 0.01, "photo": 0.015}


def tier_sets(pages: int) -> dict[str, list[corpus.Sample]]:
    sets: dict[str, list[corpus.Sample]] = {
        tier.value: corpus.tier_samples(tier, pages) for tier in corpus.Tier
    }
    sets["photo"] = list(photo_corpus.photo_samples(pages))
    return sets


def cer_report(plan: Plan) -> None:
    options = OcrOptions(searchable_pdf=False)
    sets = tier_sets(plan.tier_pages)
    for tier, samples in sets.items():
        mean, worst = tier_cer(samples, options)
        verdict = "meets" if mean <= GOALS[tier] else "MISSES"
        log(
            f"CER {tier:8}: mean {mean:.2%}, worst {worst:.2%} over {len(samples)} pages "
            f"({verdict} the goal of {GOALS[tier]:.1%})"
        )
    for tier in ("clean", "degraded", "photo"):
        pages = [layout_corpus.layout_page(seed, tier) for seed in range(plan.tier_pages)]
        mean, worst = tier_cer(pages, options)
        log(
            f"CER reading order ({tier} two-column header, table, signature block): "
            f"mean {mean:.2%}, worst {worst:.2%} over {len(pages)} pages"
        )
    flat = replace(options, steps=replace(Steps(), photo=False))
    log(f"CER photo without finding the page: {tier_cer(sets['photo'], flat)[0]:.2%}")
    log(f"CER hard, raw Tesseract (no preprocessing, no orientation): {raw_cer(sets['hard']):.2%}")


# -- preprocessing steps: one change at a time -------------------------------------------

VARIANTS: dict[str, Steps | None] = {
    "defaults": Steps(),
    "no colour drop (plain grey)": replace(Steps(), drop_colour=False),
    "colour drop without spreading chroma": replace(Steps(), spread_colour=False),
    "no background flattening": replace(Steps(), flatten=False),
    "white point 255 (none)": replace(Steps(), white_point=255),
    "white point 230": replace(Steps(), white_point=230),
    "white point 200": replace(Steps(), white_point=200),
    "no upscaling": replace(Steps(), upscale_below=0),
    "upscaling below 250 dpi": replace(Steps(), upscale_below=250),
    "upscaling to 300 dpi": replace(Steps(), upscale_to=300),
    "no deskew": replace(Steps(), deskew=False),
    "with 3x3 median denoise": replace(Steps(), denoise=True),
    "no cropping to the text": replace(Steps(), crop=False),
    "no photo page finding": replace(Steps(), photo=False),
    "no table rule removal": replace(Steps(), remove_rules=False),
    "no orientation check": None,  # defaults, but the orientation gate off
}


def steps_table(pages: int, only: list[str] | None = None) -> None:
    sets = tier_sets(pages)
    # Plain pages at 100 and 120 dpi: what upscaling is for, without seals or tints.
    sets["100-120 dpi"] = [
        corpus.low_resolution(doc, seed=40 + i, dpi=(100, 120)[i % 2])
        for i, doc in enumerate(corpus.DOCUMENTS)
    ]
    print(f"| variant | {' | '.join(sets)} |")
    print(f"| --- | {' | '.join('---' for _ in sets)} |")
    if not only:
        cells = " | ".join(f"{raw_cer(samples):.2%}" for samples in sets.values())
        print(f"| raw Tesseract | {cells} |", flush=True)
    for name, steps in VARIANTS.items():
        if only and not any(word in name for word in only):
            continue
        if steps is None:
            options = OcrOptions(searchable_pdf=False, orientation_gate=0.0)
        else:
            options = OcrOptions(searchable_pdf=False, steps=steps)
        cells = [f"{tier_cer(samples, options)[0]:.2%}" for samples in sets.values()]
        print(f"| {name} | {' | '.join(cells)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run (about a minute)")
    parser.add_argument(
        "--steps", action="store_true", help="print the CER table of the preprocessing steps"
    )
    parser.add_argument("--pages", type=int, default=6, help="pages per tier for --steps")
    parser.add_argument("--only", nargs="*", help="--steps: only variants naming these words")
    args = parser.parse_args()
    if args.steps:
        steps_table(args.pages, args.only)
        return
    plan = QUICK if args.quick else FULL
    limit_engine_threads()
    binding_report(plan)
    value, baseline = throughput(plan)
    cer_report(plan)
    print_result(NAME, value, "pages/min", baseline, value / baseline)


if __name__ == "__main__":
    main()
