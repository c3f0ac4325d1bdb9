"""Batch import: separator sheets, scanned batches and their progress, the review queue.

pdf = client.imports.separator_sheets([{"owner_id": owner.id, "paper_type": "birth_certificate"}])
batch = client.imports.submit(Path("scan-0001.pdf"))   # the same file again: the same batch
batch = client.imports.wait(batch.id)                  # polls until read
for part in client.imports.parts(batch_id=batch.id):
    client.imports.approve(part.id, fields={"full_name": "Nguyễn Thị Hương"})
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vault_client._request import Call, api, parse_as, parse_bytes, segment
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.imports import ImportBatch, ImportPart, SeparatorSheet

_MEDIA = {b"%PDF": "application/pdf", b"II*\x00": "image/tiff", b"MM\x00*": "image/tiff"}


def _sheets(sheets: Sequence[SeparatorSheet]) -> Call[bytes]:
    def opt(value: uuid.UUID | str | None) -> str | None:
        return str(value) if value is not None else None

    body = {
        "sheets": [
            {
                "owner_id": str(s.owner_id),
                "paper_type": s.paper_type,
                "dossier_id": opt(s.dossier_id),
                "result_reference": s.result_reference,
            }
            for s in sheets
        ]
    }
    return Call("POST", api("/separator-sheets"), parse_bytes, json=body)


def _submit(file: bytes | Path, file_name: str | None) -> Call[ImportBatch]:
    data = file.read_bytes() if isinstance(file, Path) else file
    name = file_name or (file.name if isinstance(file, Path) else "batch")
    media = _MEDIA.get(data[:4], "application/octet-stream")
    # Safe to send again: the server knows a file it has seen by its SHA-256.
    return Call(
        "POST",
        api("/import-batches"),
        parse_as(ImportBatch),
        params={"file_name": name},
        body=data,
        headers={"Content-Type": media},
        idempotent=True,
    )


def _batch(batch_id: uuid.UUID | str) -> Call[ImportBatch]:
    path = api(f"/import-batches/{segment(str(batch_id))}")
    return Call("GET", path, parse_as(ImportBatch), idempotent=True)


def _batches() -> Call[list[ImportBatch]]:
    return Call("GET", api("/import-batches"), parse_as(list[ImportBatch]), idempotent=True)


def _parts(batch_id: uuid.UUID | str | None, status: str | None) -> Call[list[ImportPart]]:
    params: dict[str, str] = {}
    if batch_id is not None:
        params["batch_id"] = str(batch_id)
    if status is not None:
        params["status"] = status
    return Call(
        "GET", api("/import-parts"), parse_as(list[ImportPart]), params=params, idempotent=True
    )


def _part_path(part_id: uuid.UUID | str, action: str = "") -> str:
    return api(f"/import-parts/{segment(str(part_id))}{action}")


def _part(part_id: uuid.UUID | str) -> Call[ImportPart]:
    return Call("GET", _part_path(part_id), parse_as(ImportPart), idempotent=True)


def _page(part_id: uuid.UUID | str, index: int) -> Call[bytes]:
    return Call("GET", _part_path(part_id, f"/pages/{int(index)}"), parse_bytes, idempotent=True)


def _review(
    owner_id: uuid.UUID | str | None, paper_type: str | None, fields: Mapping[str, str] | None
) -> dict[str, Any]:
    return {
        "owner_id": str(owner_id) if owner_id is not None else None,
        "paper_type": paper_type,
        "fields": dict(fields) if fields is not None else None,
    }


def _correct(part_id: uuid.UUID | str, review: dict[str, Any]) -> Call[ImportPart]:
    return Call("PATCH", _part_path(part_id), parse_as(ImportPart), json=review)


def _approve(part_id: uuid.UUID | str, review: dict[str, Any]) -> Call[ImportPart]:
    return Call("POST", _part_path(part_id, "/approve"), parse_as(ImportPart), json=review)


def _reject(part_id: uuid.UUID | str, reason: str) -> Call[ImportPart]:
    path = _part_path(part_id, "/reject")
    return Call("POST", path, parse_as(ImportPart), json={"reason": reason})


def _rotate(part_id: uuid.UUID | str, degrees: int) -> Call[ImportPart]:
    path = _part_path(part_id, "/rotate")
    return Call("POST", path, parse_as(ImportPart), json={"degrees": degrees})


def _split(part_id: uuid.UUID | str, at: int) -> Call[list[ImportPart]]:
    path = _part_path(part_id, "/split")
    return Call("POST", path, parse_as(list[ImportPart]), json={"at": at})


def _merge(part_id: uuid.UUID | str) -> Call[ImportPart]:
    return Call("POST", _part_path(part_id, "/merge"), parse_as(ImportPart))


class Imports(SyncResource):
    def separator_sheets(self, sheets: Sequence[SeparatorSheet]) -> bytes:
        """A PDF of A4 separator sheets, one per item, to put before each paper."""
        return self._client.execute(_sheets(sheets))

    def submit(self, file: bytes | Path, *, file_name: str | None = None) -> ImportBatch:
        """Submits a scanned batch (a PDF or TIFF); the same file again returns the batch it
        made the first time."""
        return self._client.execute(_submit(file, file_name))

    def get(self, batch_id: uuid.UUID | str) -> ImportBatch:
        """A batch and its progress (pages, parts, errors, rate, ETA)."""
        return self._client.execute(_batch(batch_id))

    def batches(self) -> list[ImportBatch]:
        """Your agency's batches, newest first."""
        return self._client.execute(_batches())

    def wait(
        self, batch_id: uuid.UUID | str, *, poll_seconds: float = 2.0, timeout: float = 3600
    ) -> ImportBatch:
        """Polls the batch until it is done or failed (TimeoutError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            batch = self.get(batch_id)
            if batch.finished:
                return batch
            if time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch_id} is still {batch.status}")
            time.sleep(poll_seconds)

    def parts(
        self, *, batch_id: uuid.UUID | str | None = None, status: str | None = "pending"
    ) -> list[ImportPart]:
        """The review queue (pending parts by default) of your agency's batches."""
        return self._client.execute(_parts(batch_id, status))

    def part(self, part_id: uuid.UUID | str) -> ImportPart:
        """One part of a batch (NotFoundError for another agency's)."""
        return self._client.execute(_part(part_id))

    def page_image(self, part_id: uuid.UUID | str, index: int) -> bytes:
        """Page `index` (from 1) of a part as a PNG."""
        return self._client.execute(_page(part_id, index))

    def correct(
        self,
        part_id: uuid.UUID | str,
        *,
        owner_id: uuid.UUID | str | None = None,
        paper_type: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> ImportPart:
        """Keeps corrections on the part (and as training data for the field extractor)."""
        return self._client.execute(_correct(part_id, _review(owner_id, paper_type, fields)))

    def approve(
        self,
        part_id: uuid.UUID | str,
        *,
        owner_id: uuid.UUID | str | None = None,
        paper_type: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> ImportPart:
        """Publishes the part to its owner's warehouse as a digitised paper."""
        return self._client.execute(_approve(part_id, _review(owner_id, paper_type, fields)))

    def reject(self, part_id: uuid.UUID | str, reason: str) -> ImportPart:
        """Rejects the part: nothing is published; the reason stays on it."""
        return self._client.execute(_reject(part_id, reason))

    def rotate(self, part_id: uuid.UUID | str, degrees: int = 90) -> ImportPart:
        """Turns every page of the part clockwise (90, 180 or 270)."""
        return self._client.execute(_rotate(part_id, degrees))

    def split(self, part_id: uuid.UUID | str, at: int) -> list[ImportPart]:
        """Cuts the part before its page `at` (from 2): the two parts."""
        return self._client.execute(_split(part_id, at))

    def merge(self, part_id: uuid.UUID | str) -> ImportPart:
        """Joins the next pending part of the batch onto this one."""
        return self._client.execute(_merge(part_id))


class AsyncImports(AsyncResource):
    async def separator_sheets(self, sheets: Sequence[SeparatorSheet]) -> bytes:
        """A PDF of A4 separator sheets, one per item, to put before each paper."""
        return await self._client.execute(_sheets(sheets))

    async def submit(self, file: bytes | Path, *, file_name: str | None = None) -> ImportBatch:
        """Submits a scanned batch (a PDF or TIFF); the same file again returns the batch it
        made the first time."""
        return await self._client.execute(_submit(file, file_name))

    async def get(self, batch_id: uuid.UUID | str) -> ImportBatch:
        """A batch and its progress (pages, parts, errors, rate, ETA)."""
        return await self._client.execute(_batch(batch_id))

    async def batches(self) -> list[ImportBatch]:
        """Your agency's batches, newest first."""
        return await self._client.execute(_batches())

    async def wait(
        self, batch_id: uuid.UUID | str, *, poll_seconds: float = 2.0, timeout: float = 3600
    ) -> ImportBatch:
        """Polls the batch until it is done or failed (TimeoutError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            batch = await self.get(batch_id)
            if batch.finished:
                return batch
            if time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch_id} is still {batch.status}")
            await asyncio.sleep(poll_seconds)

    async def parts(
        self, *, batch_id: uuid.UUID | str | None = None, status: str | None = "pending"
    ) -> list[ImportPart]:
        """The review queue (pending parts by default) of your agency's batches."""
        return await self._client.execute(_parts(batch_id, status))

    async def part(self, part_id: uuid.UUID | str) -> ImportPart:
        """Page `index` (from 1) of a part as a PNG."""
        return await self._client.execute(_part(part_id))

    async def page_image(self, part_id: uuid.UUID | str, index: int) -> bytes:
        """Page `index` (from 1) of a part as a PNG."""
        return await self._client.execute(_page(part_id, index))

    async def correct(
        self,
        part_id: uuid.UUID | str,
        *,
        owner_id: uuid.UUID | str | None = None,
        paper_type: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> ImportPart:
        """Keeps corrections on the part (and as training data for the field extractor)."""
        return await self._client.execute(_correct(part_id, _review(owner_id, paper_type, fields)))

    async def approve(
        self,
        part_id: uuid.UUID | str,
        *,
        owner_id: uuid.UUID | str | None = None,
        paper_type: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> ImportPart:
        """Publishes the part to its owner's warehouse as a digitised paper."""
        return await self._client.execute(_approve(part_id, _review(owner_id, paper_type, fields)))

    async def reject(self, part_id: uuid.UUID | str, reason: str) -> ImportPart:
        """Cuts the part before its page `at` (from 2): the two parts."""
        return await self._client.execute(_reject(part_id, reason))

    async def rotate(self, part_id: uuid.UUID | str, degrees: int = 90) -> ImportPart:
        """Turns every page of the part clockwise (90, 180 or 270)."""
        return await self._client.execute(_rotate(part_id, degrees))

    async def split(self, part_id: uuid.UUID | str, at: int) -> list[ImportPart]:
        """Cuts the part before its page `at` (from 2): the two parts."""
        return await self._client.execute(_split(part_id, at))

    async def merge(self, part_id: uuid.UUID | str) -> ImportPart:
        """Joins the next pending part of the batch onto this one."""
        return await self._client.execute(_merge(part_id))
