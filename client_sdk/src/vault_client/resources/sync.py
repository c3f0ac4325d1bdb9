"""The dossier sync to the National Public Service Portal: the queue, dead letters and their
replay (administrators; auditors read), and the reconciliation (auditors, administrators and
the agency's own officers)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from vault_client._request import Call, api, parse_as
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.sync import Reconciliation, SyncEvent, SyncStatus


def _status() -> Call[SyncStatus]:
    return Call("GET", api("/sync/status"), parse_as(SyncStatus), idempotent=True)


def _dead(agency_code: str | None, limit: int) -> Call[list[SyncEvent]]:
    params: dict[str, str | int] = {"limit": limit}
    if agency_code:
        params["agency_code"] = agency_code
    return Call(
        "GET",
        api("/sync/dead-letters"),
        parse_as(list[SyncEvent]),
        params=params,
        idempotent=True,
    )


def _replay(event_ids: Sequence[uuid.UUID | str] | None) -> Call[int]:
    body = {"event_ids": [str(e) for e in event_ids] if event_ids is not None else None}
    # Safe to repeat: a replayed event is no longer dead, so a second call finds nothing.
    return Call(
        "POST",
        api("/sync/dead-letters/replay"),
        lambda response: int(response.json()["replayed"]),
        json=body,
        idempotent=True,
    )


def _reconciliation(agency_code: str, month: str | date) -> Call[Reconciliation]:
    params = {
        "agency_code": agency_code,
        "month": f"{month:%Y-%m}" if isinstance(month, date) else month,
    }
    return Call(
        "GET",
        api("/sync/reconciliation"),
        parse_as(Reconciliation),
        params=params,
        idempotent=True,
    )


class PortalSyncResource(SyncResource):
    def status(self) -> SyncStatus:
        """How many events wait, went, are dead, or are held behind a dead one."""
        return self._client.execute(_status())

    def dead_letters(self, *, agency_code: str | None = None, limit: int = 100) -> list[SyncEvent]:
        """Events the portal refused or that ran out of attempts, newest first."""
        return self._client.execute(_dead(agency_code, limit))

    def replay(self, event_ids: Sequence[uuid.UUID | str] | None = None) -> int:
        """Sends dead letters again (these, or every one); how many were queued."""
        return self._client.execute(_replay(event_ids))

    def reconciliation(self, *, agency_code: str, month: str | date) -> Reconciliation:
        """The portal's acknowledged facts against the vault's, with the 766 indicators
        cross-checked and the differences listed dossier by dossier."""
        return self._client.execute(_reconciliation(agency_code, month))


class AsyncPortalSyncResource(AsyncResource):
    async def status(self) -> SyncStatus:
        """How many events wait, went, are dead, or are held behind a dead one."""
        return await self._client.execute(_status())

    async def dead_letters(
        self, *, agency_code: str | None = None, limit: int = 100
    ) -> list[SyncEvent]:
        """Events the portal refused or that ran out of attempts, newest first."""
        return await self._client.execute(_dead(agency_code, limit))

    async def replay(self, event_ids: Sequence[uuid.UUID | str] | None = None) -> int:
        """Sends dead letters again (these, or every one); how many were queued."""
        return await self._client.execute(_replay(event_ids))

    async def reconciliation(self, *, agency_code: str, month: str | date) -> Reconciliation:
        """The portal's acknowledged facts against the vault's, with the 766 indicators
        cross-checked and the differences listed dossier by dossier."""
        return await self._client.execute(_reconciliation(agency_code, month))
