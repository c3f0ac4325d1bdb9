"""Owners: citizens and organisations with a warehouse. An identification number travels
only in request bodies, never in a URL (URLs end up in logs)."""

from __future__ import annotations

from vault_client._request import Call, IdLike, api, id_of, parse_as
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.enums import OwnerKind, OwnerKindLike
from vault_client.types.owners import Owner


def _create(kind: OwnerKindLike, identifier: str, display_name: str) -> Call[Owner]:
    body = {"kind": OwnerKind(kind).value, "identifier": identifier, "display_name": display_name}
    # Idempotent on the identifier: registering twice answers the same owner.
    return Call("POST", api("/owners"), parse_as(Owner), json=body, idempotent=True)


def _lookup(identifier: str) -> Call[Owner]:
    body = {"identifier": identifier}
    return Call("POST", api("/owners/lookup"), parse_as(Owner), json=body, idempotent=True)


def _get(owner: IdLike) -> Call[Owner]:
    path = api(f"/owners/{id_of(owner, 'owner')}")
    return Call("GET", path, parse_as(Owner), idempotent=True)


class Owners(SyncResource):
    def create(self, *, kind: OwnerKindLike, identifier: str, display_name: str) -> Owner:
        """Registers an owner, or returns the one already registered with `identifier`.

        `identifier` is the 12-digit personal identification number of a citizen, or the
        enterprise/tax code (10 digits, or `NNNNNNNNNN-NNN`) of an organisation.
        Raises BadRequestError (with `field_errors`) for a malformed identifier.
        """
        return self._client.execute(_create(kind, identifier, display_name))

    def lookup(self, identifier: str) -> Owner:
        """The owner with exactly this identifier; NotFoundError when there is none."""
        return self._client.execute(_lookup(identifier))

    def get(self, owner: IdLike) -> Owner:
        """An owner by its opaque id (a UUID, its text, or an Owner)."""
        return self._client.execute(_get(owner))


class AsyncOwners(AsyncResource):
    async def create(self, *, kind: OwnerKindLike, identifier: str, display_name: str) -> Owner:
        """Registers an owner, or returns the one already registered with `identifier`.

        `identifier` is the 12-digit personal identification number of a citizen, or the
        enterprise/tax code (10 digits, or `NNNNNNNNNN-NNN`) of an organisation.
        Raises BadRequestError (with `field_errors`) for a malformed identifier.
        """
        return await self._client.execute(_create(kind, identifier, display_name))

    async def lookup(self, identifier: str) -> Owner:
        """The owner with exactly this identifier; NotFoundError when there is none."""
        return await self._client.execute(_lookup(identifier))

    async def get(self, owner: IdLike) -> Owner:
        """An owner by its opaque id (a UUID, its text, or an Owner)."""
        return await self._client.execute(_get(owner))
