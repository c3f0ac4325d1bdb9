"""The owner's own consents: letting an agency read some paper types for a purpose."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from vault_client._request import Call, IdLike, api, id_of, parse_as
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.consents import Consent, ConsentReceipt


def _create(agency_code: str, paper_types: Sequence[str], purpose: str, days: int) -> Call[Consent]:
    if isinstance(paper_types, str):
        raise TypeError("paper_types is a list of paper type codes, not one string")
    body = {
        "agency_code": agency_code,
        "paper_types": list(paper_types),
        "purpose": purpose,
        "days": days,
    }
    # Not idempotent: each call gives a new consent, so a lost response is not retried.
    return Call("POST", api("/me/consents"), parse_as(Consent), json=body)


def _list() -> Call[list[Consent]]:
    return Call("GET", api("/me/consents"), parse_as(list[Consent]), idempotent=True)


def _revoke(consent: IdLike) -> Call[Consent]:
    path = api(f"/me/consents/{id_of(consent, 'consent')}/revoke")
    return Call("POST", path, parse_as(Consent), idempotent=True)


def _receipt(consent: IdLike) -> Call[ConsentReceipt]:
    path = api(f"/me/consents/{id_of(consent, 'consent')}/receipt")
    return Call("GET", path, parse_as(ConsentReceipt), idempotent=True)


class Consents(SyncResource):
    """For an owner's token (a citizen or organisation signed in): officers get 403."""

    def create(
        self, *, agency_code: str, paper_types: Sequence[str], purpose: str, days: int = 90
    ) -> Consent:
        """Lets the agency read the owner's papers of `paper_types` for `purpose`, for
        `days` (1 to 366). Every read under it shows in the owner's access log."""
        return self._client.execute(_create(agency_code, paper_types, purpose, days))

    def list(self) -> builtins.list[Consent]:
        """The owner's consents, newest first, with whether each is active now."""
        return self._client.execute(_list())

    def revoke(self, consent: IdLike) -> Consent:
        """Withdraws a consent, at once. Revoking twice is harmless."""
        return self._client.execute(_revoke(consent))

    def receipt(self, consent: IdLike) -> ConsentReceipt:
        """A receipt to keep, signed by the vault (verify the JWS with `auth.jwks()`)."""
        return self._client.execute(_receipt(consent))


class AsyncConsents(AsyncResource):
    """For an owner's token (a citizen or organisation signed in): officers get 403."""

    async def create(
        self, *, agency_code: str, paper_types: Sequence[str], purpose: str, days: int = 90
    ) -> Consent:
        """Lets the agency read the owner's papers of `paper_types` for `purpose`, for
        `days` (1 to 366). Every read under it shows in the owner's access log."""
        return await self._client.execute(_create(agency_code, paper_types, purpose, days))

    async def list(self) -> builtins.list[Consent]:
        """The owner's consents, newest first, with whether each is active now."""
        return await self._client.execute(_list())

    async def revoke(self, consent: IdLike) -> Consent:
        """Withdraws a consent, at once. Revoking twice is harmless."""
        return await self._client.execute(_revoke(consent))

    async def receipt(self, consent: IdLike) -> ConsentReceipt:
        """A receipt to keep, signed by the vault (verify the JWS with `auth.jwks()`)."""
        return await self._client.execute(_receipt(consent))
