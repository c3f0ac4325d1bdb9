from __future__ import annotations

from pydantic import Field

from vault_client.types._base import VaultModel


class PaperType(VaultModel):
    code: str
    name_vi: str
    name_en: str
    default_validity_days: int | None


class Requirement(VaultModel):
    """A paper type a procedure needs, and the result codes that may replace it."""

    paper_type: str
    component_name: str
    replacing_result_codes: list[str] = Field(default_factory=list)


class Procedure(VaultModel):
    """An administrative procedure (thủ tục hành chính) and the papers it needs."""

    code: str
    name_vi: str
    returns_result: bool = True
    requirements: list[Requirement]


class Indicator(VaultModel):
    code: str
    name: str
    numerator: int
    denominator: int
    percent: float | None


class Indicators(VaultModel):
    """The Decision 766 digitisation indicators of an agency for a month."""

    agency_code: str
    month: str
    dossiers_received: int
    indicators: list[Indicator]

    def get(self, code: str) -> Indicator:
        """The indicator with this code (e.g. "4.3"); KeyError when there is none."""
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)
