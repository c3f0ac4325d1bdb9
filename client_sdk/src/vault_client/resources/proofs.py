"""Proof bundles: one file a receiving agency checks without the vault.

data = client.proofs.bundle(document)            # the zip's bytes (a few MB at most)
report = vault_client.packages.verify_bundle(data, trust_roots=["root.pem"])
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from vault_client._request import Call, IdLike, api, id_of, parse_as, parse_bytes
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.proofs import ProofStatus


def _bundle(document: IdLike) -> Call[bytes]:
    ident = id_of(document, "document")
    return Call("GET", api(f"/documents/{ident}/proof-bundle"), parse_bytes, idempotent=True)


def _status(document: IdLike) -> Call[ProofStatus]:
    ident: uuid.UUID = id_of(document, "document")
    path = api(f"/public/proof-status/{ident}")
    return Call("GET", path, parse_as(ProofStatus), idempotent=True, authenticated=False)


def _save(data: bytes, to: str | os.PathLike[str] | None) -> bytes:
    if to is not None:
        Path(to).write_bytes(data)
    return data


class Proofs(SyncResource):
    def bundle(self, document: IdLike, to: str | os.PathLike[str] | None = None) -> bytes:
        """The proof bundle of a signed result or certified copy you may read (its PDF with
        long-term validation data, and the vault's sealed record statement); also written
        to `to` when given. ConflictError for a paper that is not signed."""
        return _save(self._client.execute(_bundle(document)), to)

    def status(self, document: IdLike) -> ProofStatus:
        """What the vault says now of the paper a bundle names (public: no sign-in)."""
        return self._client.execute(_status(document))


class AsyncProofs(AsyncResource):
    async def bundle(self, document: IdLike, to: str | os.PathLike[str] | None = None) -> bytes:
        """The proof bundle of a signed result or certified copy you may read; also
        written to `to` when given."""
        return _save(await self._client.execute(_bundle(document)), to)

    async def status(self, document: IdLike) -> ProofStatus:
        """What the vault says now of the paper a bundle names (public: no sign-in)."""
        return await self._client.execute(_status(document))
