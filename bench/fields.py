"""Key fields you can trust: field-level exact-match accuracy per field and tier.

Papers of tests/ocr/field_corpus.py (birth certificates, marriage certificates, criminal
record extracts with random people, personal numbers, dates, reference numbers), each page
in every tier (clean 300 dpi scans, degraded 150 dpi scans, the hard tier, phone photos),
read by `ocr.pipeline.recognise` and classified by `ocr.classify`. Each true field is one of:

- exact: read as the truth, not flagged;
- exact, flagged: right, but sent to review anyway (costs an officer a glance);
- wrong, flagged: a reading error the checks caught (`FieldSuggestion.needs_review`);
- wrong, unflagged: a reading error that would be accepted: the number that must be 0;
- missing: not found at all (the review form shows an empty field).

value    = exact-match accuracy (right value, flagged or not) on personal numbers and dates
           (id_number, date_of_birth, issue_date and the spouse's) on clean and degraded pages
           (the goal is >= 99 %, with 0 wrong unflagged values over all tiers);
baseline = none (there is no earlier extractor with checks to compare with).

    .venv/bin/python bench/fields.py [--quick]   # last line: RESULT fields value=...
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import log, print_result
from ocr.engine import limit_engine_threads
from ocr.pipeline import OcrOptions, recognise
from tests.ocr import field_corpus

NAME = "fields"
TIERS = ("clean", "degraded", "hard", "photo")
KEY = ("id_number", "date_of_birth", "issue_date")
OUTCOMES = ("exact", "exact, flagged", "wrong, flagged", "wrong, unflagged", "missing")


def measure(pages: int, seed: int) -> dict[str, dict[str, Counter[str]]]:
    """tier -> field -> outcome counts; the spouse's fields count with the first person's."""
    options = OcrOptions(searchable_pdf=False)
    counts: dict[str, dict[str, Counter[str]]] = {t: defaultdict(Counter) for t in TIERS}
    for tier in TIERS:
        start = time.perf_counter()
        for i in range(pages):
            page, labelled = field_corpus.sample(tier, seed + i)
            result = recognise(page.data, page.media_type, options=options)
            found = {f.name: f for f in result.classification().fields}
            for name, truth in labelled.fields.items():
                field = name.removeprefix("spouse_")
                got = found.get(name)
                if got is None:
                    outcome = "missing"
                elif got.value == truth:
                    outcome = "exact, flagged" if got.needs_review else "exact"
                else:
                    outcome = "wrong, flagged" if got.needs_review else "wrong, unflagged"
                    log(f"  {tier} #{seed + i} {name}: read {got.value!r} {got.problems}")
                counts[tier][field][outcome] += 1
        log(f"{tier}: {pages} pages in {time.perf_counter() - start:.1f} s (OCR and fields)")
    return counts


def report(counts: dict[str, dict[str, Counter[str]]]) -> tuple[float, int]:
    """Prints the table; returns (key-field accuracy on clean+degraded, unflagged errors)."""
    print(f"| tier | field | exact % | {' | '.join(OUTCOMES)} |")
    print(f"| --- | --- | --- | {' | '.join('---' for _ in OUTCOMES)} |")
    right = total = unflagged = 0
    for tier, fields in counts.items():
        for field, outcome in sorted(fields.items()):
            n = sum(outcome.values())
            exact = outcome["exact"] + outcome["exact, flagged"]
            cells = " | ".join(str(outcome[o]) for o in OUTCOMES)
            print(f"| {tier} | {field} | {exact / n:.1%} | {cells} |")
            unflagged += outcome["wrong, unflagged"]
            if tier in ("clean", "degraded") and field in KEY:
                right += exact
                total += n
    flagged = sum(o["exact, flagged"] for f in counts.values() for o in f.values())
    fields_total = sum(sum(o.values()) for f in counts.values() for o in f.values())
    log(f"right values sent to review anyway: {flagged} of {fields_total}")
    log(f"wrong values not flagged (goal 0): {unflagged}")
    return right / total * 100, unflagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 papers per tier, not 30")
    parser.add_argument("--pages", type=int, help="papers per tier (overrides --quick)")
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    limit_engine_threads()
    counts = measure(args.pages or (3 if args.quick else 30), args.seed)
    accuracy, _ = report(counts)
    print_result(NAME, accuracy, "%", None, None)


if __name__ == "__main__":
    main()
