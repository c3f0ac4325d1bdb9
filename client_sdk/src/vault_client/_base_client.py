"""The transport: builds requests from Calls, signs them, retries, and maps errors.

SyncAPIClient and AsyncAPIClient are the same loop written twice (once with await); the
decisions they make (retry or not, how long to wait, which exception) live in _retry and
_exceptions so that the two cannot disagree.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import httpx

from vault_client._credentials import AsyncTokenCache, TokenCache
from vault_client._downloads import DownloadTarget, Outcome, Sink, sha256_of_etag
from vault_client._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    status_error,
)
from vault_client._request import Call
from vault_client._retry import RetryPolicy
from vault_client._uploads import ProgressCallback
from vault_client._version import __version__

T = TypeVar("T")

log = logging.getLogger("vault_client")

USER_AGENT = f"citizen-vault-client/{__version__} python/{platform.python_version()}"


def connection_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(request)
    return APIConnectionError(request, f"Connection error: {error}")


def _request_of(error: httpx.TransportError, fallback: httpx.Request) -> httpx.Request:
    try:
        return error.request
    except RuntimeError:  # raised before a request was attached
        return fallback


class _Resume:
    """The state of a download between attempts: what to ask for next."""

    def __init__(self) -> None:
        self.etag: str | None = None
        self.media_type = "application/octet-stream"
        self.total: int | None = None
        self.resumable = False

    def first(self, response: httpx.Response) -> None:
        self.etag = response.headers.get("etag")
        self.media_type = response.headers.get("content-type", self.media_type)
        length = response.headers.get("content-length")
        self.total = int(length) if length and length.isdigit() else None
        self.resumable = self.etag is not None and response.headers.get("accept-ranges") == "bytes"

    def headers(self, written: int) -> dict[str, str]:
        assert self.etag is not None
        # If-Range: the rest of *this* content, or all of it again if it changed.
        return {"Range": f"bytes={written}-", "If-Range": self.etag}

    @staticmethod
    def continues_at(response: httpx.Response, written: int) -> bool:
        content_range = response.headers.get("content-range", "")
        return response.status_code == 206 and content_range.startswith(f"bytes {written}-")


class _Base:
    def __init__(
        self,
        *,
        base_url: str,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry

    def _headers(self, call: Call[Any], token: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **call.headers}
        if call.upload is not None:
            headers.update(call.upload.headers())
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    @staticmethod
    def _replayable(call: Call[Any]) -> bool:
        # A stream that cannot be rewound is sent once: a retry would send a truncated file.
        return call.upload is None or call.upload.rewindable

    def _budget(self, call: Call[Any]) -> int:
        return self.retry.max_retries if self._replayable(call) else 0

    @staticmethod
    def _presented(request: httpx.Request) -> str | None:
        """The bearer token a request carried."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return token if scheme == "Bearer" and token else None

    def _log_retry(self, call: Call[Any], why: str, delay: float, attempt: int) -> None:
        log.info(
            "retrying %s %s after %s in %.2fs (retry %d)",
            call.method,
            call.path,
            why,
            delay,
            attempt,
        )


class SyncAPIClient(_Base):
    def __init__(
        self,
        *,
        base_url: str,
        http: httpx.Client,
        tokens: TokenCache | None,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout, retry=retry)
        self.http = http
        self.tokens = tokens

    # -- sending ---------------------------------------------------------------------------

    def _build(
        self, call: Call[Any], token: str | None, extra: Mapping[str, str] | None
    ) -> httpx.Request:
        headers = self._headers(call, token)
        if extra:
            headers.update(extra)
        return self.http.build_request(
            call.method,
            self.base_url + call.path,
            params=call.params,
            headers=headers,
            json=call.json,
            data=call.form,
            content=iter(call.upload) if call.upload is not None else call.body,
            timeout=self.timeout,
        )

    def _token(self, call: Call[Any]) -> str | None:
        if not call.authenticated or self.tokens is None:
            return None
        return self.tokens.get(self.execute)

    def send(
        self, call: Call[Any], *, stream: bool = False, extra: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """The response to `call`, after retries; raises for an error status. With
        `stream`, the body is not read yet: the caller must close the response."""
        budget = self._budget(call)
        retries = 0
        reauthenticated = False
        while True:
            token = self._token(call)
            request = self._build(call, token, extra)
            try:
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = self.retry.after_error(
                    exc, idempotent=call.idempotent, retries_done=retries
                )
                if delay is None or retries >= budget:
                    raise connection_error(exc, _request_of(exc, request)) from exc
                self._log_retry(call, type(exc).__name__, delay, retries + 1)
                time.sleep(delay)
                retries += 1
                continue
            if response.is_success or response.status_code in call.accept:
                return response
            if stream:
                response.read()
            if (
                response.status_code == 401
                and token is not None
                and self.tokens is not None
                and self.tokens.credentials.refreshable
                and not reauthenticated
                and call.reauthenticate
                and self._replayable(call)
            ):
                # Expired early, a rotated key, a server restarted with a fresh key: one
                # new token, and the same request again.
                response.close()
                self.tokens.invalidate(token)
                reauthenticated = True
                continue
            delay = self.retry.after_response(
                response, idempotent=call.idempotent, retries_done=retries
            )
            if delay is None or retries >= budget:
                raise status_error(response)
            response.close()
            self._log_retry(call, str(response.status_code), delay, retries + 1)
            time.sleep(delay)
            retries += 1

    def execute(self, call: Call[T]) -> T:
        response = self.send(call)
        return call.parse(response)

    def sign_out(self, call: Call[None]) -> None:
        """Sends a sign-out, then drops the token it presented from the cache: the vault
        refuses it from now on (also when it answers 401: that token was no good already)."""
        try:
            response = self.send(call)
        except APIStatusError as exc:
            if exc.status_code == 401:
                self._drop(exc.response.request)
            raise
        self._drop(response.request)

    def _drop(self, request: httpx.Request) -> None:
        token = self._presented(request)
        if token is not None and self.tokens is not None:
            self.tokens.invalidate(token)

    @contextmanager
    def stream(
        self, call: Call[Any], extra: Mapping[str, str] | None = None
    ) -> Iterator[httpx.Response]:
        response = self.send(call, stream=True, extra=extra)
        try:
            yield response
        finally:
            response.close()

    def download(
        self,
        call: Call[Any],
        target: DownloadTarget,
        *,
        on_progress: ProgressCallback | None,
        verify: bool,
    ) -> Outcome:
        """Streams the body of `call` into `target`. A connection lost mid-body is resumed
        from the last byte received (Range + If-Range), within the retry budget."""
        sink = Sink(target)
        state = _Resume()
        extra: dict[str, str] | None = None
        retries = 0
        try:
            while True:
                with self.stream(call, extra) as response:
                    if extra is None:
                        state.first(response)
                    elif not _Resume.continues_at(response, sink.written):
                        # The vault sent it all again (If-Range did not match): start over.
                        if not sink.restartable:
                            raise APIConnectionError(
                                response.request, "the download broke and cannot be resumed"
                            )
                        sink.restart()
                        state.first(response)
                    if on_progress is not None:
                        on_progress(sink.written, state.total)
                    try:
                        for chunk in response.iter_bytes():
                            sink.write(chunk)
                            if on_progress is not None:
                                on_progress(sink.written, state.total)
                    except httpx.TransportError as exc:
                        delay = self.retry.after_error(exc, idempotent=True, retries_done=retries)
                        if delay is None or not state.resumable:
                            raise connection_error(exc, response.request) from exc
                        self._log_retry(call, f"{type(exc).__name__} mid-body", delay, retries + 1)
                        time.sleep(delay)
                        retries += 1
                        extra = state.headers(sink.written)
                        continue
                break
            sha256, verified = sink.finish(sha256_of_etag(state.etag), verify=verify)
        except BaseException:
            sink.abort()
            raise
        return Outcome(sink.path, sink.written, state.media_type, sha256, verified)


class AsyncAPIClient(_Base):
    def __init__(
        self,
        *,
        base_url: str,
        http: httpx.AsyncClient,
        tokens: AsyncTokenCache | None,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout, retry=retry)
        self.http = http
        self.tokens = tokens

    def _build(
        self, call: Call[Any], token: str | None, extra: Mapping[str, str] | None
    ) -> httpx.Request:
        headers = self._headers(call, token)
        if extra:
            headers.update(extra)
        return self.http.build_request(
            call.method,
            self.base_url + call.path,
            params=call.params,
            headers=headers,
            json=call.json,
            data=call.form,
            content=call.upload.__aiter__() if call.upload is not None else call.body,
            timeout=self.timeout,
        )

    async def _token(self, call: Call[Any]) -> str | None:
        if not call.authenticated or self.tokens is None:
            return None
        return await self.tokens.get(self.execute)

    async def send(
        self, call: Call[Any], *, stream: bool = False, extra: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """As SyncAPIClient.send."""
        budget = self._budget(call)
        retries = 0
        reauthenticated = False
        while True:
            token = await self._token(call)
            request = self._build(call, token, extra)
            try:
                response = await self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = self.retry.after_error(
                    exc, idempotent=call.idempotent, retries_done=retries
                )
                if delay is None or retries >= budget:
                    raise connection_error(exc, _request_of(exc, request)) from exc
                self._log_retry(call, type(exc).__name__, delay, retries + 1)
                await asyncio.sleep(delay)
                retries += 1
                continue
            if response.is_success or response.status_code in call.accept:
                return response
            if stream:
                await response.aread()
            if (
                response.status_code == 401
                and token is not None
                and self.tokens is not None
                and self.tokens.credentials.refreshable
                and not reauthenticated
                and call.reauthenticate
                and self._replayable(call)
            ):
                await response.aclose()
                self.tokens.invalidate(token)
                reauthenticated = True
                continue
            delay = self.retry.after_response(
                response, idempotent=call.idempotent, retries_done=retries
            )
            if delay is None or retries >= budget:
                raise status_error(response)
            await response.aclose()
            self._log_retry(call, str(response.status_code), delay, retries + 1)
            await asyncio.sleep(delay)
            retries += 1

    async def execute(self, call: Call[T]) -> T:
        response = await self.send(call)
        return call.parse(response)

    async def sign_out(self, call: Call[None]) -> None:
        """As SyncAPIClient.sign_out."""
        try:
            response = await self.send(call)
        except APIStatusError as exc:
            if exc.status_code == 401:
                self._drop(exc.response.request)
            raise
        self._drop(response.request)

    def _drop(self, request: httpx.Request) -> None:
        token = self._presented(request)
        if token is not None and self.tokens is not None:
            self.tokens.invalidate(token)

    @asynccontextmanager
    async def stream(
        self, call: Call[Any], extra: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        response = await self.send(call, stream=True, extra=extra)
        try:
            yield response
        finally:
            await response.aclose()

    async def download(
        self,
        call: Call[Any],
        target: DownloadTarget,
        *,
        on_progress: ProgressCallback | None,
        verify: bool,
    ) -> Outcome:
        """As SyncAPIClient.download. Writes to the target block the loop briefly per
        chunk, as local file writes do."""
        sink = Sink(target)
        state = _Resume()
        extra: dict[str, str] | None = None
        retries = 0
        try:
            while True:
                async with self.stream(call, extra) as response:
                    if extra is None:
                        state.first(response)
                    elif not _Resume.continues_at(response, sink.written):
                        # The vault sent it all again (If-Range did not match): start over.
                        if not sink.restartable:
                            raise APIConnectionError(
                                response.request, "the download broke and cannot be resumed"
                            )
                        sink.restart()
                        state.first(response)
                    if on_progress is not None:
                        on_progress(sink.written, state.total)
                    try:
                        async for chunk in response.aiter_bytes():
                            sink.write(chunk)
                            if on_progress is not None:
                                on_progress(sink.written, state.total)
                    except httpx.TransportError as exc:
                        delay = self.retry.after_error(exc, idempotent=True, retries_done=retries)
                        if delay is None or not state.resumable:
                            raise connection_error(exc, response.request) from exc
                        self._log_retry(call, f"{type(exc).__name__} mid-body", delay, retries + 1)
                        await asyncio.sleep(delay)
                        retries += 1
                        extra = state.headers(sink.written)
                        continue
                break
            sha256, verified = sink.finish(sha256_of_etag(state.etag), verify=verify)
        except BaseException:
            sink.abort()
            raise
        return Outcome(sink.path, sink.written, state.media_type, sha256, verified)
