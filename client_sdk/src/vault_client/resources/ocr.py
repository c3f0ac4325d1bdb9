"""What OCR made of a document: its status and suggestions, its text page by page, and the
searchable PDF copy (the original pages under an invisible text layer)."""

from __future__ import annotations

import asyncio
import time

from vault_client._downloads import DownloadTarget, Outcome
from vault_client._request import Call, IdLike, api, id_of, parse_as, parse_none
from vault_client._uploads import ProgressCallback
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.documents import Download
from vault_client.types.search import DocumentText, OcrReport, OcrStatus

# The states after which waiting longer changes nothing.
_SETTLED = frozenset({OcrStatus.DONE, OcrStatus.FAILED, OcrStatus.NONE})


def _status(document: IdLike) -> Call[OcrReport]:
    path = api(f"/documents/{id_of(document, 'document')}/ocr")
    return Call("GET", path, parse_as(OcrReport), idempotent=True)


def _text(document: IdLike) -> Call[DocumentText]:
    path = api(f"/documents/{id_of(document, 'document')}/text")
    return Call("GET", path, parse_as(DocumentText), idempotent=True)


def _searchable_copy(document: IdLike) -> Call[None]:
    path = api(f"/documents/{id_of(document, 'document')}/searchable-copy")
    headers = {"Accept": "application/pdf"}
    return Call("GET", path, parse_none, headers=headers, idempotent=True)


def _check_wait(timeout: float, interval: float) -> None:
    if timeout < 0 or interval <= 0:
        raise ValueError("timeout must be 0 or more and interval more than 0")


def _download(document: IdLike, done: Outcome) -> Download:
    return Download(
        document_id=id_of(document, "document"),
        path=done.path,
        size=done.size,
        media_type=done.media_type,
        sha256=done.sha256,
        verified=done.verified,
    )


class Ocr(SyncResource):
    def status(self, document: IdLike) -> OcrReport:
        """The document's OCR: its state (pending, running, done, failed with the error,
        or none for a paper stored before OCR), the mean and per-page confidence, whether
        a searchable copy exists, and the paper type and key fields read from the text:
        suggestions for the officer, never applied to the document by the vault. Under the
        same access rules as the document."""
        return self._client.execute(_status(document))

    def wait(self, document: IdLike, *, timeout: float = 120.0, interval: float = 1.0) -> OcrReport:
        """Polls `status()` every `interval` seconds until the OCR is done, failed, or not
        planned (status none), and returns that report; TimeoutError after `timeout`
        seconds. OCR runs in the vault's workers, usually seconds per page."""
        _check_wait(timeout, interval)
        deadline = time.monotonic() + timeout
        while True:
            report = self.status(document)
            if report.state.status in _SETTLED:
                return report
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"OCR still {report.state.status} after {timeout:g} s")
            time.sleep(min(interval, left))

    def text(self, document: IdLike) -> DocumentText:
        """The text extracted from the document, page by page, with each page's confidence
        and source (recognised, or the PDF's own text layer); `.text` joins the pages.
        NotFoundError until OCR is done."""
        return self._client.execute(_text(document))

    def download_searchable_copy(
        self,
        document: IdLike,
        to: DownloadTarget,
        *,
        on_progress: ProgressCallback | None = None,
        verify_checksum: bool = True,
    ) -> Download:
        """Downloads the searchable PDF made by OCR (the original pages under an invisible
        text layer) to `to`: a path, or a writable binary stream. The original is
        unchanged (`documents.download()`). Streamed and checked as `documents.download()`
        is: a path is written beside it and moved into place once complete, the SHA-256
        compared with the vault's unless `verify_checksum=False`. NotFoundError when there
        is no copy (OCR not done, or every page had its own text)."""
        done = self._client.download(
            _searchable_copy(document), to, on_progress=on_progress, verify=verify_checksum
        )
        return _download(document, done)


class AsyncOcr(AsyncResource):
    async def status(self, document: IdLike) -> OcrReport:
        """The document's OCR: its state (pending, running, done, failed with the error,
        or none for a paper stored before OCR), the mean and per-page confidence, whether
        a searchable copy exists, and the paper type and key fields read from the text:
        suggestions for the officer, never applied to the document by the vault. Under the
        same access rules as the document."""
        return await self._client.execute(_status(document))

    async def wait(
        self, document: IdLike, *, timeout: float = 120.0, interval: float = 1.0
    ) -> OcrReport:
        """Polls `status()` every `interval` seconds until the OCR is done, failed, or not
        planned (status none), and returns that report; TimeoutError after `timeout`
        seconds. OCR runs in the vault's workers, usually seconds per page."""
        _check_wait(timeout, interval)
        deadline = time.monotonic() + timeout
        while True:
            report = await self.status(document)
            if report.state.status in _SETTLED:
                return report
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"OCR still {report.state.status} after {timeout:g} s")
            await asyncio.sleep(min(interval, left))

    async def text(self, document: IdLike) -> DocumentText:
        """The text extracted from the document, page by page, with each page's confidence
        and source (recognised, or the PDF's own text layer); `.text` joins the pages.
        NotFoundError until OCR is done."""
        return await self._client.execute(_text(document))

    async def download_searchable_copy(
        self,
        document: IdLike,
        to: DownloadTarget,
        *,
        on_progress: ProgressCallback | None = None,
        verify_checksum: bool = True,
    ) -> Download:
        """Downloads the searchable PDF made by OCR (the original pages under an invisible
        text layer) to `to`: a path, or a writable binary stream. The original is
        unchanged (`documents.download()`). Streamed and checked as `documents.download()`
        is: a path is written beside it and moved into place once complete, the SHA-256
        compared with the vault's unless `verify_checksum=False`. NotFoundError when there
        is no copy (OCR not done, or every page had its own text)."""
        done = await self._client.download(
            _searchable_copy(document), to, on_progress=on_progress, verify=verify_checksum
        )
        return _download(document, done)
