"""Vietnamese identifiers: parse, validate, and raise `InvalidInput` naming the field.

References: Circular 59/2021/TT-BCA (personal identification number), QCVN 102:2016/BTTTT
(agency codes), Circular 01/2018/TT-VPCP art. 19 (dossier codes), the National Database on
Administrative Procedures (procedure codes).
"""

from __future__ import annotations

import re
from datetime import date

from vault.errors import InvalidInput

_PERSONAL_ID = re.compile(r"\d{12}")
_TAX_CODE = re.compile(r"\d{10}(-\d{3})?")
_AGENCY_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_DOSSIER_CODE = re.compile(
    r"(?P<agency>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(?P<day>\d{6})-(?P<seq>\d{4})"
)
_PROCEDURE_CODE = re.compile(r"\d\.\d{6}")

# Free text (titles, names, reference numbers, notes) takes no control character but the
# whitespace ones (tab, line feed, carriage return), which the services fold into spaces:
# SQLite would store a NUL as is while PostgreSQL refuses it at the driver, and C1 controls
# and lone surrogates are never text a person typed. The same class, as JSON Schema pattern
# (lone surrogates cannot cross JSON into a valid string, so the pattern need not name them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_FREE_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"

# Province codes of birth registration run 001-096 (with gaps, but every code in range is
# syntactically acceptable; the population database is the authority on existence).
_MAX_PROVINCE = 96
# Digit 4: sex and century. 0/1 = 1900s, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s, 8/9 = 1800s.
_CENTURY_BY_DIGIT = {
    0: 1900,
    1: 1900,
    2: 2000,
    3: 2000,
    4: 2100,
    5: 2100,
    6: 2200,
    7: 2200,
    8: 1800,
    9: 1800,
}


def _clean(value: str) -> str:
    return value.strip()


def control_character(value: str) -> str | None:
    """The first control character in `value` (other than tab, LF, CR), or None."""
    found = _CONTROL.search(value)
    return found.group() if found else None


def plain_text(value: str, field: str) -> str:
    """Refuses free text holding a control character, naming it by code point."""
    found = control_character(value)
    if found is not None:
        raise InvalidInput(field, f"control character U+{ord(found):04X} is not allowed here")
    return value


def personal_id(value: str, field: str = "identifier", *, today: date | None = None) -> str:
    """Số định danh cá nhân: 12 digits, province 001-096, a birth year not in the future."""
    v = _clean(value)
    if not _PERSONAL_ID.fullmatch(v):
        raise InvalidInput(field, "a personal identification number is exactly 12 digits")
    province = int(v[:3])
    if not 1 <= province <= _MAX_PROVINCE:
        raise InvalidInput(field, "digits 1-3 must be a province code between 001 and 096")
    birth_year = _CENTURY_BY_DIGIT[int(v[3])] + int(v[4:6])
    if birth_year > (today or date.today()).year:
        raise InvalidInput(field, "digits 4-6 give a birth year in the future")
    return v


def tax_code(value: str, field: str = "identifier") -> str:
    """Mã số doanh nghiệp / mã số thuế: 10 digits, or `NNNNNNNNNN-NNN` for a branch."""
    v = _clean(value)
    if not _TAX_CODE.fullmatch(v):
        raise InvalidInput(field, "a tax code is 10 digits, or 10 digits, a hyphen and 3 digits")
    return v


def agency_code(value: str, field: str = "agency_code") -> str:
    """Mã định danh cơ quan: `V1V2V3.Z1Z2.Y1Y2.MX1X2`, e.g. `000.00.15.H57`."""
    v = _clean(value)
    if not _AGENCY_CODE.fullmatch(v):
        raise InvalidInput(field, "an agency code looks like 000.00.15.H57")
    return v


def procedure_code(value: str, field: str = "procedure_code") -> str:
    """Mã thủ tục hành chính: a digit, a dot, six digits, e.g. `1.001612`."""
    v = _clean(value)
    if not _PROCEDURE_CODE.fullmatch(v):
        raise InvalidInput(
            field, "a procedure code is a digit, a dot and six digits, e.g. 1.001612"
        )
    return v


def dossier_code(value: str, field: str = "dossier_code") -> tuple[str, str, date]:
    """Mã hồ sơ `<agency code>-YYMMDD-XXXX`: returns (code, receiving agency code, day received)."""
    v = _clean(value)
    m = _DOSSIER_CODE.fullmatch(v)
    if not m:
        raise InvalidInput(field, "a dossier code looks like 000.00.15.H57-250115-0001")
    day = m["day"]
    try:
        received = date(2000 + int(day[:2]), int(day[2:4]), int(day[4:6]))
    except ValueError as exc:
        raise InvalidInput(field, f"{day} is not a valid YYMMDD date") from exc
    if m["seq"] == "0000":
        raise InvalidInput(field, "the sequence number within the day starts at 0001")
    return v, m["agency"], received
