from datetime import date

import pytest

from vault import identifiers
from vault.errors import InvalidInput


@pytest.mark.parametrize("value", ["079203001234", "001099012345", " 096000000001 "])
def test_valid_personal_ids(value: str) -> None:
    assert identifiers.personal_id(value) == value.strip()


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("07920300123", "12 digits"),
        ("0792030012345", "12 digits"),
        ("07920300123A", "12 digits"),
        ("000203001234", "province"),
        ("097203001234", "province"),
        ("079399001234", "future"),  # born 2099
        ("", "12 digits"),
    ],
)
def test_malformed_personal_ids_name_the_problem(value: str, why: str) -> None:
    with pytest.raises(InvalidInput) as err:
        identifiers.personal_id(value, today=date(2026, 11, 28))
    assert err.value.field == "identifier"
    assert why in err.value.detail


def test_tax_codes() -> None:
    assert identifiers.tax_code("0312345678") == "0312345678"
    assert identifiers.tax_code("0312345678-001") == "0312345678-001"
    for bad in ["031234567", "0312345678-01", "0312345678001", "03123456780"]:
        with pytest.raises(InvalidInput):
            identifiers.tax_code(bad)


def test_agency_codes() -> None:
    assert identifiers.agency_code("000.00.15.H57") == "000.00.15.H57"
    for bad in ["000.00.15.h57", "00.00.15.H57", "000.00.15.H5", "000-00-15-H57"]:
        with pytest.raises(InvalidInput) as err:
            identifiers.agency_code(bad)
        assert err.value.field == "agency_code"


def test_dossier_code_parses_agency_and_day() -> None:
    code, agency, day = identifiers.dossier_code("000.00.15.H57-250115-0001")
    assert (code, agency, day) == ("000.00.15.H57-250115-0001", "000.00.15.H57", date(2025, 1, 15))


@pytest.mark.parametrize(
    "bad",
    [
        "000.00.15.H57-251315-0001",
        "000.00.15.H57-250230-0001",
        "000.00.15.H57-250115-0000",
        "000.00.15.H57-250115-001",
        "H57-250115-0001",
    ],
)
def test_malformed_dossier_codes(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        identifiers.dossier_code(bad)
    assert err.value.field == "dossier_code"


def test_procedure_codes() -> None:
    assert identifiers.procedure_code("1.001612") == "1.001612"
    assert identifiers.procedure_code("2.000889") == "2.000889"
    for bad in ["1.00161", "11.001612", "1-001612", "1.0016123"]:
        with pytest.raises(InvalidInput):
            identifiers.procedure_code(bad)
