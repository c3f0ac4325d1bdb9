"""A document's content as an open HTTP stream, for callers that pipe it somewhere
themselves (a web response, a scanner queue) rather than to a file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx


class _Common:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        """200 for the whole content, 206 for a part of it."""
        return self._response.status_code

    @property
    def media_type(self) -> str:
        value: str = self._response.headers.get("content-type", "application/octet-stream")
        return value

    @property
    def length(self) -> int | None:
        """Bytes in this response."""
        value = self._response.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    @property
    def total_size(self) -> int | None:
        """Bytes in the whole content (from Content-Range for a part)."""
        content_range = self._response.headers.get("content-range")
        if content_range and "/" in content_range:
            total = content_range.rsplit("/", 1)[1]
            return int(total) if total.isdigit() else None
        return self.length

    @property
    def etag(self) -> str | None:
        value: str | None = self._response.headers.get("etag")
        return value


class ContentStream(_Common):
    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The content, piece by piece as it arrives (or in `chunk_size` pieces)."""
        return self._response.iter_bytes(chunk_size)


class AsyncContentStream(_Common):
    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The content, piece by piece as it arrives (or in `chunk_size` pieces)."""
        return self._response.aiter_bytes(chunk_size)
