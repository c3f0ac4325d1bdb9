"""The Decision 766/QĐ-TTg digitisation indicators of an agency for a month."""

from __future__ import annotations

from datetime import date

from vault_client._request import Call, api, parse_as, parse_text
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.catalogue import Indicators


def _month(month: str | date) -> str:
    return f"{month:%Y-%m}" if isinstance(month, date) else month


def _monthly(agency_code: str, month: str | date) -> Call[Indicators]:
    params = {"agency_code": agency_code, "month": _month(month)}
    return Call("GET", api("/indicators"), parse_as(Indicators), params=params, idempotent=True)


def _csv(agency_code: str, month: str | date) -> Call[str]:
    params = {"agency_code": agency_code, "month": _month(month), "format": "csv"}
    headers = {"Accept": "text/csv"}
    return Call(
        "GET", api("/indicators"), parse_text, params=params, headers=headers, idempotent=True
    )


class IndicatorsResource(SyncResource):
    def monthly(self, *, agency_code: str, month: str | date) -> Indicators:
        """The indicators (4.1 … 4.5) for the agency and month ("2025-01", or any date in
        it). The agency's own officers and auditors may ask."""
        return self._client.execute(_monthly(agency_code, month))

    def monthly_csv(self, *, agency_code: str, month: str | date) -> str:
        """The same indicators as CSV text, as the provincial dashboard imports them."""
        return self._client.execute(_csv(agency_code, month))


class AsyncIndicatorsResource(AsyncResource):
    async def monthly(self, *, agency_code: str, month: str | date) -> Indicators:
        """The indicators (4.1 … 4.5) for the agency and month ("2025-01", or any date in
        it). The agency's own officers and auditors may ask."""
        return await self._client.execute(_monthly(agency_code, month))

    async def monthly_csv(self, *, agency_code: str, month: str | date) -> str:
        """The same indicators as CSV text, as the provincial dashboard imports them."""
        return await self._client.execute(_csv(agency_code, month))
