"""The base of every response model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class VaultModel(BaseModel):
    """Immutable, and lenient about fields it does not know: a newer server may add fields
    without breaking clients already deployed at agencies."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
