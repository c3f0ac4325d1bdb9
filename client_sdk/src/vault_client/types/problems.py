"""RFC 9457 problem details, as the vault answers every error."""

from __future__ import annotations

from pydantic import Field

from vault_client.types._base import VaultModel


class FieldError(VaultModel):
    """One invalid field of a request: `field` is dotted (`requirements.0.paper_type`)."""

    field: str
    detail: str


class Problem(VaultModel):
    type: str = "about:blank"
    title: str = ""
    status: int | None = None
    detail: str = ""
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
