"""Key fields you can trust: every check, and the labelled corpus read by real Tesseract:
each personal number and date read exactly, and any wrong value flagged for review."""

from __future__ import annotations

from datetime import date

import pytest

from ocr import validate
from ocr.classify import REVIEW_CONFIDENCE, FieldSuggestion, classify, extract_fields
from ocr.pipeline import OcrOptions, recognise
from tests.ocr import corpus, field_corpus

TODAY = date(2025, 6, 30)
OPTIONS = OcrOptions(searchable_pdf=False)


@pytest.mark.parametrize(
    ("number", "problems"),
    [
        ("075324001234", ()),  # Đồng Nai, female, born 2024
        ("001090004567", ()),
        ("000324001234", ("province_code",)),
        ("097324001234", ("province_code",)),
        ("075334001234", ("century_code",)),  # born 2034: in the future
        ("075824001234", ("century_code",)),  # the 1800s: nobody living
        ("075624001234", ("century_code",)),  # the 2200s
        ("07532400123", ("id_length",)),
    ],
)
def test_personal_number_codes(number: str, problems: tuple[str, ...]) -> None:
    assert validate.personal_number(number, today=TODAY) == problems


def test_personal_number_against_the_holders_birth_date_and_sex() -> None:
    number = "075324001234"  # female, 2024
    assert validate.against_birth_date(number, date(2024, 3, 15), True) == ()
    assert validate.against_birth_date(number, date(2014, 3, 15), True) == ("birth_year",)
    assert validate.against_birth_date(number, date(2024, 3, 15), False) == ("sex_code",)


@pytest.mark.parametrize(
    ("ymd", "problems"),
    [
        ((2024, 2, 29), ()),
        ((2023, 2, 29), ("calendar",)),
        ((2024, 13, 1), ("calendar",)),
        ((2024, 4, 31), ("calendar",)),
        ((2026, 1, 1), ("date_range",)),
        ((1899, 12, 31), ("date_range",)),
    ],
)
def test_dates_against_the_calendar(ymd: tuple[int, int, int], problems: tuple[str, ...]) -> None:
    assert validate.calendar_date(*ymd, today=TODAY)[1] == problems


@pytest.mark.parametrize(
    ("reference", "problems"),
    [
        ("45/2025", ()),
        ("1520/2025/LLTP", ()),
        ("123/2024/TP-KS", ()),
        ("215/2025/ĐT", ()),
        ("766/QĐ-TTg", ()),
        ("45/2020/NĐ-CP", ()),
        ("01/2018/TT-VPCP", ()),
        ("123", ("reference_form",)),
        ("12a/2024", ("reference_form",)),
        ("45/2025/", ("reference_form",)),
        ("45/2031/LLTP", ("reference_year",)),
        ("45/1925", ("reference_year",)),
    ],
)
def test_reference_forms(reference: str, problems: tuple[str, ...]) -> None:
    assert validate.reference_number(reference, today=TODAY) == problems


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("NGUYỄN THỊ HƯƠNG", True),
        ("Lê Thị Ngọc Ánh", True),
        ("NGUYỄN THỊ HƯ0NG", False),  # a digit read for a letter
        ("NGUYỄN", False),
        ("NGUYỄN Thị hƯƠNG", False),
    ],
)
def test_name_form(name: str, ok: bool) -> None:
    assert (validate.person_name(name) == ()) is ok


def test_issuer_form() -> None:
    assert validate.issuer("Ủy ban nhân dân phường Tân Mai") == ()
    assert validate.issuer("SỞ TƯ PHÁP TỈNH ĐỒNG NAI") == ()
    assert validate.issuer("Bệnh viện Đa khoa Đồng Nai") == ()
    assert validate.issuer("Giới tính: Nữ") == ("issuer_form",)


def test_a_misread_birth_year_digit_is_flagged() -> None:
    text = corpus.BIRTH_CERTIFICATE.truth.replace("075324001234", "075314001234")
    found = classify(text, today=TODAY).field("id_number")
    assert found is not None and found.value == "075314001234"
    assert "birth_year" in found.problems and found.needs_review


def test_a_misread_sex_digit_is_flagged() -> None:
    # The husband's number read with an odd (female) digit 4.
    text = corpus.MARRIAGE_CERTIFICATE.truth.replace("075094012345", "075194012345")
    fields = {f.name: f for f in extract_fields(text, "marriage_certificate", today=TODAY)}
    assert fields["id_number"].problems == ("sex_code",)
    assert fields["spouse_id_number"].problems == ()


def test_unsure_words_flag_the_field_they_are_in() -> None:
    text = "GIẤY KHAI SINH\nNgày, tháng, năm sinh: 15/03/2024\nSố định danh cá nhân: 075324001234"
    sure = [0.95] * len(text.split())
    unsure = list(sure)
    unsure[-1] = 0.4  # the engine was unsure of the number
    fields = {f.name: f for f in classify(text, 0.95, unsure, today=TODAY).fields}
    assert fields["id_number"].problems == ("low_confidence",)
    assert fields["id_number"].confidence < REVIEW_CONFIDENCE
    assert not fields["date_of_birth"].needs_review
    assert not any(f.needs_review for f in classify(text, 0.95, sure, today=TODAY).fields)


def test_needs_review() -> None:
    assert not FieldSuggestion("id_number", "075324001234", 0.9, "").needs_review
    assert FieldSuggestion("id_number", "075324001234", 0.5, "").needs_review
    assert FieldSuggestion("id_number", "075324001234", 0.9, "", ("province_code",)).needs_review


def test_the_labelled_corpus_is_valid() -> None:
    """The generated truth passes every check: a flagged value is then a reading error."""
    for seed in range(30):
        labelled = field_corpus.paper(seed)
        fields = classify(labelled.document.truth, today=field_corpus.TODAY).fields
        got = {f.name: f for f in fields}
        assert {name: got[name].value for name in labelled.fields} == labelled.fields
        assert not [f for f in fields if f.needs_review], seed


@pytest.mark.parametrize(
    ("tier", "seed"),
    [("clean", 101), ("degraded", 102), ("degraded", 103), ("hard", 104), ("photo", 105)],
)
def test_fields_read_from_pages(tier: str, seed: int) -> None:
    page, labelled = field_corpus.sample(tier, seed)
    result = recognise(page.data, page.media_type, options=OPTIONS)
    fields = {f.name: f for f in result.classification().fields}
    for name, truth in labelled.fields.items():
        got = fields.get(name)
        assert got is not None, name
        if name.removeprefix("spouse_") in ("id_number", "date_of_birth", "issue_date"):
            assert got.value == truth, (name, got)
        # Nothing wrong goes unflagged.
        assert got.value == truth or got.needs_review, (name, got)
