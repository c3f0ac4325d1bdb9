"""Checks on key fields read from a page: a value that fails one is flagged for an officer,
never accepted silently. A character error rate of 1 % still turns one digit in ten
12-digit numbers, so every field is checked against what it can be.

Each check returns machine codes (stable, for the review queue and its statistics):

| code | the value |
| --- | --- |
| `id_length` | a personal number that is not 12 digits |
| `province_code` | digits 1-3 of a personal number are not a province code (001-096) |
| `century_code` | digit 4 gives no living person's century, or a birth year to come |
| `birth_year` | digits 4-6 disagree with the same person's date of birth on the page |
| `sex_code` | digit 4 (odd: female) disagrees with the person's sex on the page |
| `calendar` | a date that is not in the calendar (31/02, month 13) |
| `date_range` | a date in the future, or before 1900 |
| `reference_form` | a reference number (số ký hiệu) not of the forms in DOMAIN.md |
| `reference_year` | the year in a reference number is in the future or before 1945 |
| `name_form` | a name with digits, punctuation or a word that is not a Vietnamese syllable |
| `issuer_form` | an issuer that does not name an agency (ủy ban, sở, bộ, công an ...) |
| `repaired` | characters were put back (O read for 0, I for 1): probably right, but check |
| `low_confidence` | the engine was unsure of the words the value was read from |
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from ocr.folding import fold

# Province codes of birth registration: 001-096 (Circular 59/2021/TT-BCA, DOMAIN.md).
MAX_PROVINCE = 96
# Digit 4: sex (even male, odd female) and century: 0/1 1900s, 2/3 2000s, 4/5 2100s ...
_CENTURY = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200}
OLDEST_BIRTH_YEAR = 1900
EARLIEST_DATE = date(1900, 1, 1)

# Số ký hiệu, as DOMAIN.md and the papers write them: a number, then an optional year, then
# an optional kind-and-issuer code: 45/2025, 1520/2025/LLTP, 123/2024/TP-KS, 215/2025/ĐT,
# 766/QĐ-TTg, 45/2020/NĐ-CP, 59/2021/TT-BCA, 01/2018/TT-VPCP.
_CODE = r"[A-ZĐ][A-ZĐa-zđ0-9]*"
REFERENCE_FORM = re.compile(
    rf"(?P<number>\d{{1,6}})(?:/(?P<year>\d{{4}}))?(?:/{_CODE}(?:-{_CODE})*)?"
)
EARLIEST_REFERENCE_YEAR = 1945

# Words an issuing body's name starts with (folded).
_AGENCY_WORDS = (
    "uy ban nhan dan",
    "ubnd",
    "so ",
    "bo ",
    "cuc ",
    "chi cuc",
    "phong ",
    "cong an",
    "toa an",
    "vien kiem sat",
    "truong ",
    "dai hoc",
    "hoc vien",
    "benh vien",
    "van phong",
    "trung tam",
    "ban quan ly",
    "tm.",
    "tm ",
)
# A Vietnamese syllable: letters only, at most 7 of them ("nghiêng").
_SYLLABLE = re.compile(r"[^\W\d_]{1,7}")


def personal_number(digits: str, *, today: date | None = None) -> tuple[str, ...]:
    """Problems of a personal identification number (số định danh cá nhân), read as digits."""
    if not re.fullmatch(r"\d{12}", digits):
        return ("id_length",)
    problems = []
    if not 1 <= int(digits[:3]) <= MAX_PROVINCE:
        problems.append("province_code")
    year = birth_year(digits)
    if year is None or not OLDEST_BIRTH_YEAR <= year <= (today or date.today()).year:
        problems.append("century_code")
    return tuple(problems)


def birth_year(digits: str) -> int | None:
    """The birth year digits 4-6 of a personal number give, or None for an unused digit 4."""
    century = _CENTURY.get(int(digits[3]))
    return None if century is None else century + int(digits[4:6])


def is_female(digits: str) -> bool:
    return int(digits[3]) % 2 == 1


def against_birth_date(digits: str, born: date | None, female: bool | None) -> tuple[str, ...]:
    """Cross-checks of a personal number with the same person's date of birth and sex."""
    if not re.fullmatch(r"\d{12}", digits):
        return ()
    problems = []
    if born is not None and birth_year(digits) != born.year:
        problems.append("birth_year")
    if female is not None and is_female(digits) != female:
        problems.append("sex_code")
    return tuple(problems)


def calendar_date(
    year: int, month: int, day: int, *, today: date | None = None
) -> tuple[date | None, tuple[str, ...]]:
    """The date and its problems: not in the calendar, or out of the range papers have."""
    try:
        value = date(year, month, day)
    except ValueError:
        return None, ("calendar",)
    if not EARLIEST_DATE <= value <= (today or date.today()):
        return value, ("date_range",)
    return value, ()


def reference_number(value: str, *, today: date | None = None) -> tuple[str, ...]:
    match = REFERENCE_FORM.fullmatch(value)
    if match is None or "/" not in value:
        return ("reference_form",)
    year = match.group("year")
    if year and not EARLIEST_REFERENCE_YEAR <= int(year) <= (today or date.today()).year:
        return ("reference_year",)
    return ()


def person_name(value: str) -> tuple[str, ...]:
    words = unicodedata.normalize("NFC", value).split()
    if len(words) < 2 or not all(_SYLLABLE.fullmatch(w) for w in words):
        return ("name_form",)
    # Written either in capitals or with each word capitalised, never mixed inside a word.
    if not all(w.isupper() or (w[0].isupper() and w[1:].islower()) for w in words):
        return ("name_form",)
    return ()


def issuer(value: str) -> tuple[str, ...]:
    folded = " ".join(fold(value).split()) + " "
    if not folded.startswith(_AGENCY_WORDS) or re.search(r"\d", value):
        return ("issuer_form",)
    return ()
