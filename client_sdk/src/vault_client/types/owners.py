from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from vault_client.types._base import VaultModel
from vault_client.types.enums import OwnerKind


class Owner(VaultModel):
    """A citizen or an organisation with a warehouse in the vault."""

    id: uuid.UUID
    kind: OwnerKind
    # Personal data: kept out of repr() so that logging an Owner never logs an ID number.
    identifier: str = Field(repr=False)
    display_name: str
    created_at: datetime
