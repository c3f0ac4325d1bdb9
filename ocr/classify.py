"""Suggestions from recognised text: the paper type, whether it is a certified copy, and key
fields (full name, date of birth, ID number, reference number, issue date).

Suggestions only, each with a confidence in 0..1: an officer confirms them. Matching is on
folded text (`ocr.folding.fold`: no diacritics, đ → d, lower case), so "GIAY KHAI SINH" or
"Giấy khai sinh" both match, and tolerant of OCR errors: headings match approximately (edit
distance), digits read as letters (O, I, l) are put back in numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ocr.folding import fold
from vault.errors import InvalidInput
from vault.identifiers import personal_id

# Paper type codes (vault seed data) and the headings that name them, folded.
HEADINGS: dict[str, tuple[str, ...]] = {
    "birth_certificate": ("giay khai sinh", "trich luc khai sinh"),
    "chip_id_card": ("can cuoc cong dan", "citizen identity card", "the can cuoc"),
    "marriage_certificate": ("giay chung nhan ket hon", "trich luc ket hon"),
    "marital_status_certificate": ("giay xac nhan tinh trang hon nhan",),
    "diploma": ("bang tot nghiep", "bang cu nhan", "bang thac si", "bang tien si", "bang ky su"),
    "land_use_right_certificate": ("giay chung nhan quyen su dung dat",),
    "business_registration_certificate": ("giay chung nhan dang ky doanh nghiep",),
    "household_business_registration": ("giay chung nhan dang ky ho kinh doanh",),
    "driving_licence": ("giay phep lai xe", "driver's license", "driving licence"),
    "health_certificate": ("giay kham suc khoe", "giay chung nhan suc khoe"),
    "criminal_record_extract": ("phieu ly lich tu phap",),
    "procedure_result": ("quyet dinh", "giay phep", "ket qua giai quyet thu tuc hanh chinh"),
}
# Generic headings ("QUYẾT ĐỊNH") say less about the paper than a form's own title.
_TYPE_WEIGHT = {"procedure_result": 0.7}
CERTIFIED_COPY_MARKERS = ("chung thuc ban sao dung voi ban chinh", "chung thuc ban sao")
# Papers that name two people: the second one's fields get the prefix "spouse_".
_TWO_PARTIES = {"marriage_certificate"}

MIN_SIMILARITY = 0.8


@dataclass(frozen=True, slots=True)
class TypeSuggestion:
    paper_type: str  # a paper type code, e.g. "birth_certificate"
    confidence: float
    evidence: str  # the line that matched, as read


# Below this confidence a field goes to an officer even when it passes every check.
REVIEW_CONFIDENCE = 0.8


@dataclass(frozen=True, slots=True)
class FieldSuggestion:
    """One key field as read. `problems` holds machine codes of the checks it failed
    ("province_code", "century_code", "calendar", "reference_form", "low_confidence", ...);
    a field with any problem, or read with low confidence, needs an officer's review."""

    name: str  # full_name | date_of_birth | id_number | reference_number | issue_date | issuer
    value: str  # normalised: dates ISO 8601, ID numbers digits only, names as read
    confidence: float
    evidence: str  # the text it was read from
    problems: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        return bool(self.problems) or self.confidence < REVIEW_CONFIDENCE


@dataclass(frozen=True, slots=True)
class Classification:
    types: tuple[TypeSuggestion, ...]  # best first; empty when nothing matched
    certified_copy: float  # confidence that the page carries a certified-copy statement
    fields: tuple[FieldSuggestion, ...]

    @property
    def paper_type(self) -> TypeSuggestion | None:
        return self.types[0] if self.types else None

    def field(self, name: str) -> FieldSuggestion | None:
        return next((f for f in self.fields if f.name == name), None)


def classify(text: str, ocr_confidence: float = 1.0) -> Classification:
    """Type suggestions, certified-copy marker and, when a type is suggested, its fields.
    `ocr_confidence` (the page's mean word confidence) scales every confidence."""
    types = suggest_types(text, ocr_confidence)
    marker = _best_match(_lines(text), CERTIFIED_COPY_MARKERS)
    certified = marker[0] * ocr_confidence if marker[0] >= MIN_SIMILARITY else 0.0
    fields = extract_fields(text, types[0].paper_type, ocr_confidence) if types else ()
    return Classification(types, round(certified, 3), fields)


def suggest_types(text: str, ocr_confidence: float = 1.0) -> tuple[TypeSuggestion, ...]:
    lines = _lines(text)
    suggestions = []
    for code, headings in HEADINGS.items():
        similarity, index = _best_match(lines, headings)
        if similarity < MIN_SIMILARITY:
            continue
        raw = lines[index]
        # A title is set in capitals near the top; the same words in a sentence ("bản sao
        # của Giấy khai sinh ...") say less.
        caps = _upper_share(raw)
        weight = _TYPE_WEIGHT.get(code, 1.0) * (1.0 if caps > 0.8 else 0.6)
        weight *= 1.0 if index < max(8, len(lines) // 3) else 0.8
        confidence = round(similarity * weight * ocr_confidence, 3)
        suggestions.append(TypeSuggestion(code, confidence, raw.strip()))
    return tuple(sorted(suggestions, key=lambda s: -s.confidence))


# -- fields ------------------------------------------------------------------------------

_NAME_LABEL = re.compile(r"\bho\s*[,.]?\s*(?:chu\s*dem\s*[,.]?\s*)?(?:va\s+)?ten\b([^:\n]*):")
_DOB_LABEL = re.compile(r"\bngay\s*[,.]?\s*thang\s*[,.]?\s*nam\s+sinh\s*:")
_ID_LABEL = re.compile(r"(?:dinh\s*danh|can\s*cuoc|cccd|cmnd)[^:\n]{0,20}:")
_REFERENCE = re.compile(r"(?m)^\s*so\s*:\s*")
_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_WORDY_DATE = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_PLACE_DATE = re.compile(r"(?m)^[^\n:]{2,40},\s*ngay\s+\d")
_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1"})
_REFERENCE_VALUE = re.compile(r"[0-9OIl]+(?:\s*/\s*[0-9A-Za-zĐđ.\-]+)+")
_REFERENCE_SHAPE = re.compile(r"\d+/(?:\d{4}/)?[0-9A-ZĐ][0-9A-ZĐa-z.\-]*")


def extract_fields(
    text: str, paper_type: str, ocr_confidence: float = 1.0
) -> tuple[FieldSuggestion, ...]:
    """Key fields of a paper of the given type, first person first."""
    text = unicodedata.normalize("NFC", text)
    folded = _fold_aligned(text)
    two = paper_type in _TWO_PARTIES
    found: list[FieldSuggestion] = []

    def add(name: str, value: str, confidence: float, evidence: str, rank: int) -> None:
        if rank > (1 if two else 0):
            return
        prefix = "spouse_" if rank == 1 else ""
        found.append(
            FieldSuggestion(prefix + name, value, round(confidence * ocr_confidence, 3), evidence)
        )

    rank = 0
    for match in _NAME_LABEL.finditer(folded):
        # "tên người mẹ", "tên người cha": parents are not the paper's subject.
        if re.search(r"\b(me|cha)\b", match.group(1)):
            continue
        value = _rest_of_line(text, match.end()).strip(" .;")
        if value:
            name = " ".join(value.split())
            add("full_name", name, 0.9 if _upper_share(name) > 0.8 else 0.7, name, rank)
            rank += 1
    for rank, match in enumerate(_DOB_LABEL.finditer(folded)):
        raw = _rest_of_line(text, match.end())
        iso = _parse_date(_fold_aligned(raw))
        if iso:
            add("date_of_birth", iso, 0.9, raw.strip(), rank)
    for rank, match in enumerate(_ID_LABEL.finditer(folded)):
        raw = _rest_of_line(text, match.end())
        number = _id_number(raw)
        if number:
            add("id_number", number[0], number[1], raw.strip(), rank)
    reference = _reference(text, folded)
    if reference:
        add("reference_number", *reference, rank=0)
    issued = _issue_date(text, folded)
    if issued:
        add("issue_date", *issued, rank=0)
    return tuple(found)


def _id_number(raw: str) -> tuple[str, float] | None:
    candidate = re.search(r"[0-9OoIl|][0-9OoIl|\s.]{10,20}", raw)
    if candidate is None:
        return None
    digits = re.sub(r"[\s.]", "", candidate.group().translate(_DIGITISH))
    if not re.fullmatch(r"\d{12}", digits):
        return None
    repaired = digits != re.sub(r"[\s.]", "", candidate.group())
    try:
        personal_id(digits)
        confidence = 0.95
    except InvalidInput:
        confidence = 0.5  # twelve digits, but not a valid number (province, century, year)
    return digits, confidence - (0.15 if repaired else 0.0)


def _reference(text: str, folded: str) -> tuple[str, float, str] | None:
    for match in _REFERENCE.finditer(folded):
        raw = _rest_of_line(text, match.end())
        value = _REFERENCE_VALUE.match(raw)
        if value is None:
            continue
        number = re.sub(r"\s+", "", value.group())
        head, _, tail = number.partition("/")
        number = head.translate(_DIGITISH) + "/" + tail
        confidence = 0.9 if _REFERENCE_SHAPE.fullmatch(number) else 0.6
        return number, confidence, raw.strip()
    return None


def _issue_date(text: str, folded: str) -> tuple[str, float, str] | None:
    # "Đồng Nai, ngày 20 tháng 03 năm 2024": place and date above the signature.
    for match in _PLACE_DATE.finditer(folded):
        start = text.rfind("\n", 0, match.start()) + 1
        raw = _rest_of_line(text, start)
        iso = _parse_date(_fold_aligned(raw))
        if iso:
            return iso, 0.9, raw.strip()
    # Else a labelled registration date, else the last date written out in words.
    labelled = re.search(r"ngay\s+dang\s+ky\s*:", folded)
    if labelled:
        raw = _rest_of_line(text, labelled.end())
        iso = _parse_date(_fold_aligned(raw))
        if iso:
            return iso, 0.8, raw.strip()
    dates = list(_WORDY_DATE.finditer(folded))
    if dates:
        last = dates[-1]
        iso = _parse_date(last.group())
        if iso:
            return iso, 0.5, text[last.start() : last.end()]
    return None


def _parse_date(folded: str) -> str | None:
    match = _WORDY_DATE.search(folded) or _DMY.search(folded)
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


# -- matching ----------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line for line in unicodedata.normalize("NFC", text).splitlines() if line.strip()]


def _best_match(lines: list[str], patterns: tuple[str, ...]) -> tuple[float, int]:
    """(similarity, line index) of the best approximate occurrence of any pattern."""
    best = (0.0, -1)
    for index, line in enumerate(lines):
        folded = " ".join(fold(line).split())
        for pattern in patterns:
            if pattern in folded:
                similarity = 1.0
            elif len(folded) < len(pattern) * 0.6 or not any(
                # Cheap filter: OCR rarely garbles every word of a heading.
                word in folded
                for word in pattern.split()
                if len(word) >= 3
            ):
                continue
            else:
                distance = _substring_distance(pattern, folded)
                # Short headings ("bang ky su") tolerate one error only: two would match
                # ordinary words.
                if distance > (1 if len(pattern) < 12 else len(pattern) // 5):
                    continue
                similarity = 1 - distance / len(pattern)
            if similarity > best[0]:
                best = (similarity, index)
    return best


def _substring_distance(pattern: str, text: str) -> int:
    """Edit distance from `pattern` to its closest substring of `text` (Sellers, 1980): the
    Levenshtein recurrence with a free start and end in `text`."""
    previous = [0] * (len(text) + 1)
    for i, pc in enumerate(pattern, 1):
        current = [i]
        for j, tc in enumerate(text, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (pc != tc)))
        previous = current
    return min(previous)


def _fold_aligned(text: str) -> str:
    """`fold` one character at a time, so offsets in the result are offsets in `text`."""
    return "".join((fold(ch) or ch)[:1] for ch in text)


def _rest_of_line(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def _upper_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0
