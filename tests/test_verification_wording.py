"""The wording of verification reports (api.verification_wording): language negotiation, and
a sentence in both languages for every code the verifier reports."""

from __future__ import annotations

import pytest

from api.verification_wording import WORDS, negotiate, word
from signing.verify import ChangeKind, Indication, ProblemCode


@pytest.mark.parametrize(
    ("header", "default", "expected"),
    [
        (None, "en", "en"),
        ("", "vi", "vi"),
        ("vi", "en", "vi"),
        ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "en", "vi"),
        ("en-GB", "vi", "en"),
        ("fr-FR, fr;q=0.9", "en", "en"),  # neither: the default
        ("fr-FR, fr;q=0.9", "vi", "vi"),
        ("vi;q=0.3, en;q=0.8", "vi", "en"),  # by quality, not by order
        ("en;q=0, vi", "en", "vi"),  # q=0 means "not this one"
        ("en;q=0", "vi", "vi"),
        ("*", "vi", "vi"),
        ("en;q=abc, vi;q=0.1", "en", "vi"),  # a broken q-value counts as 0
        ("EN-us", "vi", "en"),
    ],
)
def test_negotiate(header: str | None, default: str, expected: str) -> None:
    assert negotiate(header, default) == expected  # type: ignore[arg-type]


def test_every_code_the_verifier_reports_is_worded_in_both_languages() -> None:
    needed = (
        [f"indication.{i.value}" for i in Indication]
        + [f"problem.{p.value}" for p in ProblemCode]
        + [f"change.{c.value}" for c in ChangeKind if c is not ChangeKind.NO_CHANGE]
    )
    assert [key for key in needed if key not in WORDS] == []
    for key, (vi, en) in WORDS.items():
        assert vi.strip() and en.strip(), key
        assert vi != en or key == "time.zone", key  # really translated


def test_words_take_their_values() -> None:
    assert word("record.identical", "en") == "The file is byte for byte the one on record."
    assert word("changes.benign", "vi", what="thêm chữ ký số") == (
        "Sau khi ký chỉ có: thêm chữ ký số (được phép, nội dung không đổi)."
    )
