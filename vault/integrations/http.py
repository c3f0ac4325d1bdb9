"""One HTTP call to an outside system, with timeouts, retries and nothing personal in logs.

Rules every adapter gets from here:

- connect, read and write timeouts on each attempt, and a deadline over the whole call
  (retries and waits included, the body read too);
- retries only for a call that is safe to repeat (a GET, or a POST that carries an
  Idempotency-Key header, which the peer uses to count a repeated delivery once), and only
  after a connection error, a timeout, or 429/502/503/504; the peer's Retry-After is honoured
  (a wait past the deadline ends the call at once);
- a 4xx is a definitive refusal (IntegrationRefused, with the peer's problem detail) and is
  never retried; other failures end as IntegrationUnavailable;
- log lines name the system, the operation, the method, the status and the timing: never the
  URL (its path may hold references), a header, a body or a token. Personal identifiers go
  in request bodies, never in URLs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from vault.integrations.base import (
    ClientAuth,
    IntegrationProtocolError,
    IntegrationRefused,
    IntegrationUnavailable,
    RetryPolicy,
    Timeouts,
)

log = logging.getLogger("vault.integrations")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# A JSON answer larger than this is not read into memory (documents are streamed instead).
MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_PROBLEM_BYTES = 16 * 1024


class _Retryable(Exception):
    """One attempt failed in a way the next attempt may not."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _problem(body: bytes) -> dict[str, Any]:
    """The peer's problem detail (RFC 9457) from a refusal, {} when it sent none."""
    try:
        problem = json.loads(body[:MAX_PROBLEM_BYTES])
    except ValueError:
        return {}
    return problem if isinstance(problem, dict) else {}


class HttpCaller:
    """Calls one outside system at `base_url`. Keeps one connection pool; `close()` it."""

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        timeouts: Timeouts | None = None,
        policy: RetryPolicy | None = None,
        auth: ClientAuth | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system
        self.timeouts = timeouts or Timeouts()
        self.policy = policy or RetryPolicy()
        self.auth = auth
        self._sleep = sleep
        # No redirects: a peer that moves must be re-configured, not followed with our token.
        self._client = httpx.Client(base_url=base_url.rstrip("/"), follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpCaller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the calls adapters make ---------------------------------------------------------

    def get_json(self, path: str, *, operation: str) -> Any:
        _, body = self._call("GET", path, operation=operation, repeatable=True)
        return self._json(body, operation)

    def post_json(
        self, path: str, body: Any, *, operation: str, idempotency_key: str | None = None
    ) -> Any:
        """POSTs `body` as JSON; repeated on transient failures only with an idempotency key."""
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        _, answer = self._call(
            "POST",
            path,
            operation=operation,
            repeatable=idempotency_key is not None,
            headers=headers,
            content=json.dumps(body, ensure_ascii=False).encode(),
        )
        return self._json(answer, operation)

    def post_form(self, path: str, form: dict[str, str], *, operation: str) -> Any:
        """A form POST without client authentication headers (an OAuth token request, whose
        credential is in the form): tried once, it carries no idempotency key."""
        _, body = self._call(
            "POST", path, operation=operation, repeatable=False, data=form, use_auth=False
        )
        return self._json(body, operation)

    def open_stream(
        self,
        path: str,
        *,
        operation: str,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """GETs `path` (or POSTs `body` as JSON: a download whose request names a purpose,
        repeated only with an idempotency key) and returns the response with its body not
        yet read (iterate it with `read_stream`, which closes it). Retries cover getting the
        headers; a body that breaks off later raises IntegrationUnavailable from
        `read_stream`: each read waits at most the read timeout, the whole body is not
        bounded by the call's deadline."""
        if body is None:
            response, _ = self._call("GET", path, operation=operation, repeatable=True, stream=True)
            return response
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        response, _ = self._call(
            "POST",
            path,
            operation=operation,
            repeatable=idempotency_key is not None,
            headers=headers,
            stream=True,
            content=json.dumps(body, ensure_ascii=False).encode(),
        )
        return response

    def read_stream(self, response: httpx.Response, chunk_size: int) -> Iterator[bytes]:
        try:
            yield from response.iter_bytes(chunk_size)
        except httpx.TransportError as exc:
            raise IntegrationUnavailable(
                self.system, f"the download broke off ({type(exc).__name__})"
            ) from exc
        finally:
            response.close()

    # -- the attempt loop ----------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        repeatable: bool,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        use_auth: bool = True,
        **request: Any,
    ) -> tuple[httpx.Response, bytes]:
        """The response and its body (b"" when `stream`: then the caller reads and closes)."""
        policy = self.policy
        deadline = time.monotonic() + policy.deadline
        attempts = policy.attempts if repeatable else 1
        attempt = 0
        last = _Retryable("no attempt was made")
        while attempt < attempts:
            attempt += 1
            try:
                return self._attempt(
                    method,
                    path,
                    operation=operation,
                    attempt=attempt,
                    deadline=deadline,
                    headers=dict(headers or {}),
                    stream=stream,
                    use_auth=use_auth,
                    request=request,
                )
            except _Retryable as failure:
                last = failure
                log.warning(
                    "%s %s: attempt %d/%d failed: %s",
                    self.system,
                    operation,
                    attempt,
                    attempts,
                    failure.reason,
                )
            if attempt == attempts:
                break
            wait = last.retry_after if last.retry_after is not None else policy.backoff(attempt)
            if time.monotonic() + wait >= deadline:
                log.warning(
                    "%s %s: the next attempt would start after the call's deadline",
                    self.system,
                    operation,
                )
                break
            self._sleep(wait)
        raise IntegrationUnavailable(
            self.system,
            f"{operation} failed after {attempt} attempt(s): {last.reason}",
            retry_after=last.retry_after,
        )

    def _attempt(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        attempt: int,
        deadline: float,
        headers: dict[str, str],
        stream: bool,
        use_auth: bool,
        request: dict[str, Any],
    ) -> tuple[httpx.Response, bytes]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Retryable("the call's deadline passed")
        t = self.timeouts
        timeout = httpx.Timeout(
            connect=min(t.connect, remaining),
            read=min(t.read, remaining),
            write=min(t.write, remaining),
            pool=min(t.connect, remaining),
        )
        if use_auth and self.auth is not None:
            try:
                headers.update(self.auth.headers())
            except IntegrationUnavailable as exc:
                raise _Retryable("no access token: the token endpoint failed") from exc
        begun = time.monotonic()
        try:
            built = self._client.build_request(
                method, path, headers=headers, timeout=timeout, **request
            )
            response = self._client.send(built, stream=True)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__})") from exc
        status = response.status_code
        log.info(
            "%s %s: %s -> %d in %.0f ms (attempt %d)",
            self.system,
            operation,
            method,
            status,
            (time.monotonic() - begun) * 1000,
            attempt,
        )
        if 200 <= status < 300:
            if stream:
                return response, b""
            return response, self._read_body(response, deadline, MAX_JSON_BYTES)
        # A failure's body matters only as a problem detail: read a bounded part and close.
        body = self._read_body(response, deadline, MAX_PROBLEM_BYTES, strict=False)
        if status in RETRYABLE_STATUSES:
            raise _Retryable(
                f"the peer answered {status}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status == 401 and use_auth and self.auth is not None:
            self.auth.invalidate()
        if 400 <= status < 500:
            raise IntegrationRefused(self.system, status, _problem(body))
        if status >= 500:
            raise IntegrationUnavailable(self.system, f"{operation}: the peer answered {status}")
        raise IntegrationProtocolError(self.system, f"{operation}: unexpected status {status}")

    def _read_body(
        self, response: httpx.Response, deadline: float, limit: int, *, strict: bool = True
    ) -> bytes:
        """Reads the body within the call's deadline and `limit` bytes, and closes the
        response. With `strict`, a body over the limit is a protocol error; else it is cut."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    if strict:
                        raise IntegrationProtocolError(
                            self.system, f"the answer is over {limit} bytes"
                        )
                    break
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _Retryable("the answer outlasted the call's deadline")
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out reading the answer ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"the answer broke off ({type(exc).__name__})") from exc
        finally:
            response.close()
        return b"".join(chunks)

    def _json(self, body: bytes, operation: str) -> Any:
        try:
            return json.loads(body)
        except ValueError as exc:
            raise IntegrationProtocolError(
                self.system, f"{operation}: the answer is not JSON"
            ) from exc
