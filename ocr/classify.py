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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ocr import validate
from ocr.folding import fold

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


def classify(
    text: str,
    ocr_confidence: float = 1.0,
    word_confidences: Sequence[float] = (),
    *,
    today: date | None = None,
) -> Classification:
    """Type suggestions, certified-copy marker and, when a type is suggested, its fields.
    `ocr_confidence` (the page's mean word confidence) scales every confidence; a field's
    own is that of its least sure word when `word_confidences` gives them."""
    types = suggest_types(text, ocr_confidence)
    marker = _best_match(_lines(text), CERTIFIED_COPY_MARKERS)
    certified = marker[0] * ocr_confidence if marker[0] >= MIN_SIMILARITY else 0.0
    fields = (
        extract_fields(text, types[0].paper_type, ocr_confidence, word_confidences, today=today)
        if types
        else ()
    )
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
_SEX_LABEL = re.compile(r"\bgioi\s*tinh\s*:\s*(nam|nu)\b")
_ISSUER_LABEL = re.compile(r"\bnoi\s+dang\s+ky[^:\n]{0,12}:")
_REFERENCE = re.compile(r"(?m)^\s*so\s*:\s*")
_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_WORDY_DATE = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_PLACE_DATE = re.compile(r"(?m)^[^\n:]{2,40},\s*ngay\s+\d")
_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1"})
_REFERENCE_VALUE = re.compile(r"[0-9OIl]+(?:\s*/\s*[0-9A-Za-zĐđ.\-]+)+")
# Headings above the title that name the issuing body (folded): "SỞ TƯ PHÁP TỈNH ĐỒNG NAI".
_HEADER_LINES = 4
_NATIONAL_MOTTO = ("cong hoa xa hoi chu nghia", "doc lap - tu do", "doc lap")


class _Reader:
    """The page text, its folded copy (same offsets) and, when known, the engine's confidence
    in each whitespace-separated word of the text."""

    def __init__(self, text: str, ocr_confidence: float, word_confidences: Sequence[float]):
        self.text = unicodedata.normalize("NFC", text)
        self.folded = _fold_aligned(self.text)
        self.page = ocr_confidence
        spans = [m.span() for m in re.finditer(r"\S+", self.text)]
        # Words and tokens line up when the text was built from the words (ocr.engine).
        self.tokens = spans if len(spans) == len(word_confidences) else []
        self.confidences = list(word_confidences) if self.tokens else []

    def confidence(self, start: int, end: int) -> float:
        """The engine's confidence in the least sure word of text[start:end]."""
        found = [
            c
            for (a, b), c in zip(self.tokens, self.confidences, strict=True)
            if a < end and b > start
        ]
        return min(found) if found else self.page


def extract_fields(
    text: str,
    paper_type: str,
    ocr_confidence: float = 1.0,
    word_confidences: Sequence[float] = (),
    *,
    today: date | None = None,
) -> tuple[FieldSuggestion, ...]:
    """Key fields of a paper of the given type, first person first, each checked
    (`ocr.validate`): a field that fails a check or was read with low confidence carries
    the problems that send it to review.

    `word_confidences`: the engine's confidence in each whitespace-separated word of `text`
    (`ocr.pipeline.OcrResult.word_confidences`); without it, the page's mean confidence
    stands for every word."""
    page = _Reader(text, ocr_confidence, word_confidences)
    text, folded = page.text, page.folded
    two = paper_type in _TWO_PARTIES
    found: list[FieldSuggestion] = []

    def add(
        name: str,
        value: str,
        certainty: float,
        span: tuple[int, int],
        rank: int,
        problems: tuple[str, ...] = (),
    ) -> None:
        if rank > (1 if two else 0):
            return
        prefix = "spouse_" if rank == 1 else ""
        confidence = certainty * page.confidence(*span)
        if "repaired" in problems:
            confidence *= 0.85
        if set(problems) - {"repaired"}:
            confidence = min(confidence, 0.5)  # failed a check: as good as a guess
        confidence = round(confidence, 3)
        if confidence < REVIEW_CONFIDENCE and problems == ():
            problems = (*problems, "low_confidence")
        evidence = text[span[0] : span[1]].strip()
        found.append(FieldSuggestion(prefix + name, value, confidence, evidence, problems))

    # People, in the order the paper names them; their sex when the label or a line says.
    sexes: list[bool | None] = []
    rank = 0
    for match in _NAME_LABEL.finditer(folded):
        label = match.group(1)
        # "tên người mẹ", "tên người cha": parents are not the paper's subject.
        if re.search(r"\b(me|cha)\b", label):
            continue
        start, end = _line_span(text, match.end())
        value = " ".join(text[start:end].strip(" .;").split())
        if value:
            sexes.append(True if "vo" in label.split() else False if "chong" in label else None)
            add("full_name", value, 0.95, (start, end), rank, validate.person_name(value))
            rank += 1
    for index, said in enumerate(_SEX_LABEL.finditer(folded)):
        if index < len(sexes) and sexes[index] is None:
            sexes[index] = said.group(1) == "nu"
    births: list[date | None] = []
    for rank, match in enumerate(_DOB_LABEL.finditer(folded)):
        start, end = _line_span(text, match.end())
        parsed = _read_date(text[start:end], today)
        born = None
        if parsed is not None:
            value, born, certainty, problems = parsed
            add("date_of_birth", value, certainty, (start, end), rank, problems)
        births.append(born)
    for rank, match in enumerate(_ID_LABEL.finditer(folded)):
        start, end = _line_span(text, match.end())
        number = _id_number(text[start:end], today)
        if number:
            digits, certainty, problems = number
            born = births[rank] if rank < len(births) else None
            sex = sexes[rank] if rank < len(sexes) else None
            problems = (*problems, *validate.against_birth_date(digits, born, sex))
            add("id_number", digits, certainty, (start, end), rank, problems)
    reference = _reference(text, folded, today)
    if reference:
        add("reference_number", *reference[:3], rank=0, problems=reference[3])
    issued = _issue_date(text, folded, today)
    if issued:
        add("issue_date", *issued[:3], rank=0, problems=issued[3])
    issuer = _issuer(text, folded)
    if issuer:
        add("issuer", *issuer, rank=0, problems=validate.issuer(issuer[0]))
    return tuple(found)


def _line_span(text: str, start: int) -> tuple[int, int]:
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def _id_number(raw: str, today: date | None) -> tuple[str, float, tuple[str, ...]] | None:
    candidate = re.search(r"[0-9OoIl|][0-9OoIl|\s.]{7,20}", raw)
    if candidate is None:
        return None
    read = re.sub(r"[\s.]", "", candidate.group())
    digits = read.translate(_DIGITISH)
    if not re.fullmatch(r"\d{9,14}", digits):
        return None
    problems = validate.personal_number(digits, today=today)
    if digits != read:
        problems = (*problems, "repaired")
    return digits, 0.95, problems


def _read_date(
    raw: str, today: date | None
) -> tuple[str, date | None, float, tuple[str, ...]] | None:
    """(ISO value, the date when it is one, certainty, problems) of the first date in `raw`.
    A date that is not in the calendar keeps its digits (2024-02-31) and the problem."""
    folded = _fold_aligned(raw)
    match = _WORDY_DATE.search(folded) or _DMY.search(folded)
    problems: tuple[str, ...] = ()
    if match is None:
        # Letters read for digits ("15/O3/2024"): only where the date stands alone.
        repaired = folded.translate(_DIGITISH)
        match = _DMY.search(repaired)
        if match is None:
            return None
        problems = ("repaired",)
    day, month, year = (int(g) for g in match.groups())
    value, checks = validate.calendar_date(year, month, day, today=today)
    iso = value.isoformat() if value else f"{year:04d}-{month:02d}-{day:02d}"
    return iso, value, 0.95, (*problems, *checks)


def _reference(
    text: str, folded: str, today: date | None
) -> tuple[str, float, tuple[int, int], tuple[str, ...]] | None:
    for match in _REFERENCE.finditer(folded):
        start, end = _line_span(text, match.end())
        value = _REFERENCE_VALUE.match(text, start, end)
        if value is None:
            continue
        number = re.sub(r"\s+", "", value.group())
        head, _, tail = number.partition("/")
        repaired = head.translate(_DIGITISH)
        number = repaired + "/" + tail
        problems = validate.reference_number(number, today=today)
        if repaired != head:
            problems = (*problems, "repaired")
        return number, 0.95, value.span(), problems
    return None


def _issue_date(
    text: str, folded: str, today: date | None
) -> tuple[str, float, tuple[int, int], tuple[str, ...]] | None:
    # "Đồng Nai, ngày 20 tháng 03 năm 2024": place and date above the signature.
    for match in _PLACE_DATE.finditer(folded):
        start, end = _line_span(text, text.rfind("\n", 0, match.start()) + 1)
        parsed = _read_date(text[start:end], today)
        if parsed:
            return parsed[0], parsed[2], (start, end), parsed[3]
    # Else a labelled registration date, else the last date written out in words.
    labelled = re.search(r"ngay\s+dang\s+ky\s*:", folded)
    if labelled:
        start, end = _line_span(text, labelled.end())
        parsed = _read_date(text[start:end], today)
        if parsed:
            return parsed[0], parsed[2] * 0.9, (start, end), parsed[3]
    dates = list(_WORDY_DATE.finditer(folded))
    if dates:
        last = dates[-1]
        parsed = _read_date(text[last.start() : last.end()], today)
        if parsed:
            return parsed[0], 0.5, last.span(), parsed[3]
    return None


def _issuer(text: str, folded: str) -> tuple[str, float, tuple[int, int]] | None:
    """The issuing body: a labelled place of registration ("Nơi đăng ký: Ủy ban nhân dân
    phường Tân Mai"), else the agency heading at the top of the page."""
    labelled = _ISSUER_LABEL.search(folded)
    if labelled:
        start, end = _line_span(text, labelled.end())
        value = " ".join(text[start:end].strip(" .;").split())
        if value:
            return value, 0.95, (start, end)
    offset = 0
    for index, line in enumerate(text.split("\n")):
        if index >= _HEADER_LINES:
            break
        flat = " ".join(fold(line).split())
        if flat and not flat.startswith(_NATIONAL_MOTTO) and not validate.issuer(line):
            return " ".join(line.split()).strip(" .;,"), 0.9, (offset, offset + len(line))
        offset += len(line) + 1
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


def _upper_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0
