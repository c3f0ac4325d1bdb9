"""Administration: an agency's administrator switching its officers and its agency systems
(OAuth2 clients) off and on. Only an officer with the administrator role, and only for their
own agency (PermissionDeniedError otherwise; NotFoundError for no such officer or client)."""

from __future__ import annotations

from typing import Literal

from vault_client._request import Call, api, parse_as, segment
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.auth import ClientStatus, OfficerStatus

Switch = Literal["disable", "enable"]


def _officer(username: str, switch: Switch) -> Call[OfficerStatus]:
    if not username:
        raise ValueError("name the officer (username)")
    # Setting a state: sending it again has the same effect.
    path = api(f"/officers/{segment(username)}/{switch}")
    return Call("POST", path, parse_as(OfficerStatus), idempotent=True)


def _client(client_id: str, switch: Switch) -> Call[ClientStatus]:
    if not client_id:
        raise ValueError("name the agency system (client_id)")
    path = api(f"/clients/{segment(client_id)}/{switch}")
    return Call("POST", path, parse_as(ClientStatus), idempotent=True)


class Admin(SyncResource):
    def disable_officer(self, username: str) -> OfficerStatus:
        """Disables an officer of your agency: their sign-in is refused, and every token
        issued to them (their own, and agency systems' acting for them) is revoked."""
        return self._client.execute(_officer(username, "disable"))

    def enable_officer(self, username: str) -> OfficerStatus:
        """Re-enables an officer of your agency and lifts a sign-in lockout. Tokens revoked
        when the officer was disabled stay revoked: they sign in again."""
        return self._client.execute(_officer(username, "enable"))

    def disable_client(self, client_id: str) -> ClientStatus:
        """Disables an agency system of your agency: no token is issued to it, and the
        ones issued are revoked. The officers it acted for are not affected."""
        return self._client.execute(_client(client_id, "disable"))

    def enable_client(self, client_id: str) -> ClientStatus:
        """Re-enables an agency system of your agency and lifts a lockout of its client id;
        it fetches new tokens (the revoked ones stay revoked)."""
        return self._client.execute(_client(client_id, "enable"))


class AsyncAdmin(AsyncResource):
    async def disable_officer(self, username: str) -> OfficerStatus:
        """Disables an officer of your agency: their sign-in is refused, and every token
        issued to them (their own, and agency systems' acting for them) is revoked."""
        return await self._client.execute(_officer(username, "disable"))

    async def enable_officer(self, username: str) -> OfficerStatus:
        """Re-enables an officer of your agency and lifts a sign-in lockout. Tokens revoked
        when the officer was disabled stay revoked: they sign in again."""
        return await self._client.execute(_officer(username, "enable"))

    async def disable_client(self, client_id: str) -> ClientStatus:
        """Disables an agency system of your agency: no token is issued to it, and the
        ones issued are revoked. The officers it acted for are not affected."""
        return await self._client.execute(_client(client_id, "disable"))

    async def enable_client(self, client_id: str) -> ClientStatus:
        """Re-enables an agency system of your agency and lifts a lockout of its client id;
        it fetches new tokens (the revoked ones stay revoked)."""
        return await self._client.execute(_client(client_id, "enable"))
