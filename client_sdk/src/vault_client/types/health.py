from __future__ import annotations

from vault_client.types._base import VaultModel


class Health(VaultModel):
    status: str


class Readiness(VaultModel):
    """`status` is "ready" or "unavailable"; `checks` says which dependency answered."""

    status: str
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return self.status == "ready"
