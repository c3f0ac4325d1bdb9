"""Exports: ask for a copy of your own warehouse, follow it, download it once (resumable).

    export = client.exports.request()
    export = client.exports.wait(export)          # until the background job has built it
    client.exports.download(export, "my-vault.zip")

Then check it offline: `vault_client.packages.verify_export("my-vault.zip", trust_roots=[...])`.
"""

from __future__ import annotations

import asyncio
import builtins
import time

from vault_client._downloads import DownloadTarget
from vault_client._request import Call, IdLike, api, id_of, parse_as, parse_none, segment
from vault_client._uploads import ProgressCallback
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.exports import Export, ExportDownload, ExportLink


def _request(include_superseded: bool) -> Call[Export]:
    return Call(
        "POST", api("/exports"), parse_as(Export), json={"include_superseded": include_superseded}
    )


def _list() -> Call[builtins.list[Export]]:
    return Call("GET", api("/exports"), parse_as(builtins.list[Export]), idempotent=True)


def _get(export: IdLike) -> Call[Export]:
    ident = id_of(export, "export")
    return Call("GET", api(f"/exports/{ident}"), parse_as(Export), idempotent=True)


def _link(export: IdLike) -> Call[ExportLink]:
    # Not retried by itself: each call replaces the previous token.
    return Call("POST", api(f"/exports/{id_of(export, 'export')}/link"), parse_as(ExportLink))


def _package(token: str) -> Call[None]:
    # The token is the credential: no bearer token goes with it.
    path = api(f"/export-downloads/{segment(token)}")
    return Call("GET", path, parse_none, idempotent=True, authenticated=False)


class Exports(SyncResource):
    def request(self, *, include_superseded: bool = False) -> Export:
        """Asks for an export of your own warehouse (owners only): every current paper
        (and superseded versions if asked), their metadata and SHA-256 in a sealed
        manifest, your dossiers, consents and access log. Built in the background."""
        return self._client.execute(_request(include_superseded))

    def list(self) -> builtins.list[Export]:
        """Your exports, newest first."""
        return self._client.execute(_list())

    def get(self, export: IdLike) -> Export:
        """One of your exports: its status, and once ready its size, SHA-256 and expiry."""
        return self._client.execute(_get(export))

    def wait(self, export: IdLike, *, timeout: float = 3600, poll: float = 2) -> Export:
        """Polls until the export is no longer pending (TimeoutError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.get(export)
            if current.finished:
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"export {current.id} is still being built")
            time.sleep(poll)

    def link(self, export: IdLike) -> ExportLink:
        """A one-time download link (an earlier one stops working)."""
        return self._client.execute(_link(export))

    def download(
        self,
        export: IdLike,
        to: DownloadTarget,
        *,
        on_progress: ProgressCallback | None = None,
        verify_checksum: bool = True,
    ) -> ExportDownload:
        """Takes a link and downloads the package to `to` (streamed; a lost connection is
        resumed with Range). Once it has all arrived the vault deletes the package."""
        link = self.link(export)
        done = self._client.download(
            _package(link.token), to, on_progress=on_progress, verify=verify_checksum
        )
        return ExportDownload(
            export_id=id_of(export, "export"),
            path=done.path,
            size=done.size,
            sha256=done.sha256,
            verified=done.verified,
        )


class AsyncExports(AsyncResource):
    async def request(self, *, include_superseded: bool = False) -> Export:
        """Asks for an export of your own warehouse (owners only); built in the background."""
        return await self._client.execute(_request(include_superseded))

    async def list(self) -> builtins.list[Export]:
        """Your exports, newest first."""
        return await self._client.execute(_list())

    async def get(self, export: IdLike) -> Export:
        """One of your exports: its status, and once ready its size, SHA-256 and expiry."""
        return await self._client.execute(_get(export))

    async def wait(self, export: IdLike, *, timeout: float = 3600, poll: float = 2) -> Export:
        """Polls until the export is no longer pending (TimeoutError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            current = await self.get(export)
            if current.finished:
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"export {current.id} is still being built")
            await asyncio.sleep(poll)

    async def link(self, export: IdLike) -> ExportLink:
        """A one-time download link (an earlier one stops working)."""
        return await self._client.execute(_link(export))

    async def download(
        self,
        export: IdLike,
        to: DownloadTarget,
        *,
        on_progress: ProgressCallback | None = None,
        verify_checksum: bool = True,
    ) -> ExportDownload:
        """Takes a link and downloads the package to `to` (streamed, resumed with Range);
        once it has all arrived the vault deletes the package."""
        link = await self.link(export)
        done = await self._client.download(
            _package(link.token), to, on_progress=on_progress, verify=verify_checksum
        )
        return ExportDownload(
            export_id=id_of(export, "export"),
            path=done.path,
            size=done.size,
            sha256=done.sha256,
            verified=done.verified,
        )
