"""Retries, backoff, Retry-After, timeouts, token renewal and idempotent uploads, against the
real API made to fail: a fault-injecting proxy in front of it (tests/sdk/faults.py), a port
nothing listens on, and the server's own rate limiter. The SDK's transport is not mocked."""

from __future__ import annotations

import email.utils
import hashlib
import io
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import vault_client._credentials
from vault_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncVaultClient,
    AuthenticationError,
    ContentIntegrityError,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    VaultClient,
)
from vault_client.types import Document, Owner

from api import create_app
from tests.conftest import Backend
from tests.factories import CITIZEN_ID, padded_pdf, pdf_bytes, png_bytes
from tests.people import AGENCY, People
from tests.sdk.conftest import FAST_RETRY, AgencySystem
from tests.sdk.faults import FaultProxy
from tests.support.live import free_port, serve
from vault.runtime import Vault

sqlite_only = pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)

ME = r"^/api/v1/me$"
TOKEN = r"^/api/v1/oauth/token$"
UPLOAD = r"^/api/v1/owners/[^/]+/documents$"
CONTENT = r"/content$"
VIETNAM = timezone(timedelta(hours=7))


@pytest.fixture
def via(proxy: FaultProxy, system: AgencySystem) -> Iterator[VaultClient]:
    """The agency system acting for `clerk`, through the fault proxy."""
    with VaultClient(
        proxy.url,
        client_id=system.client_id,
        client_secret=system.client_secret,
        officer="clerk",
        retry=FAST_RETRY,
    ) as client:
        yield client


def owner_of(client: VaultClient) -> Owner:
    return client.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")


def issue(client: VaultClient, owner: Owner, content: object, **kw: object) -> Document:
    """A result AGENCY issued, stored by its officer (who may read it back)."""
    fields: dict[str, object] = {
        "paper_type": "birth_certificate",
        "title": "Giấy khai sinh",
        "origin": "issued_result",
        **kw,
    }
    return client.documents.upload(owner, content, **fields)  # type: ignore[arg-type]


# -- status codes ----------------------------------------------------------------------


@sqlite_only
def test_a_read_answered_503_is_retried(via: VaultClient, proxy: FaultProxy) -> None:
    proxy.fail(ME, 503, times=2)
    assert via.auth.me().agency_code == AGENCY
    assert [s.faulted for s in proxy.requests(ME)] == ["status", "status", None]


@sqlite_only
def test_retries_run_out_into_the_error_with_its_problem_details(
    via: VaultClient, proxy: FaultProxy
) -> None:
    proxy.fail(ME, 503, times=10)
    with pytest.raises(ServiceUnavailableError) as raised:
        via.auth.me()
    assert len(proxy.requests(ME)) == 1 + FAST_RETRY.max_retries
    problem = raised.value.problem
    assert problem.status == 503 and problem.instance == "/api/v1/me"
    assert problem.detail == "the fault proxy answered 503"
    assert str(raised.value) == "503 Injected fault: the fault proxy answered 503"


@sqlite_only
def test_a_non_idempotent_post_is_not_repeated_after_a_5xx(
    via: VaultClient, proxy: FaultProxy, sdk: VaultClient
) -> None:
    owner = owner_of(sdk)
    dossier = sdk.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0001",
        procedure_code="1.001193",
        owner=owner,
        received_at=datetime(2025, 1, 15, 9, tzinfo=VIETNAM),
    )
    result = issue(sdk, owner, pdf_bytes(), paper_type="procedure_result")
    proxy.fail(r"/results$", 500, forward=True)
    with pytest.raises(InternalServerError):
        via.dossiers.add_result(dossier, document=result, result_code="KQ.G15.000031")
    # The server did act: repeating it blindly would have been a second request, not a retry.
    assert len(proxy.requests(r"/results$")) == 1
    assert [a.result_code for a in sdk.dossiers.attachments(dossier)] == ["KQ.G15.000031"]


@sqlite_only
def test_429_is_retried_whatever_the_method(via: VaultClient, proxy: FaultProxy) -> None:
    proxy.fail(r"^/api/v1/owners$", 429, retry_after="0", method="POST")
    owner = owner_of(via)
    assert len(proxy.requests(r"^/api/v1/owners$")) == 2
    assert owner.display_name == "Hương"


@sqlite_only
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_waited_out(via: VaultClient, proxy: FaultProxy, form: str) -> None:
    via.auth.me()  # the token first, so that only the retry is timed
    when = datetime.now(UTC) + timedelta(seconds=2)
    value = "1" if form == "seconds" else email.utils.format_datetime(when, usegmt=True)
    proxy.fail(ME, 429, retry_after=value)
    start = time.monotonic()
    via.auth.me()
    assert time.monotonic() - start >= 0.9  # not FAST_RETRY's few milliseconds


@sqlite_only
def test_a_retry_after_too_long_is_raised_at_once(via: VaultClient, proxy: FaultProxy) -> None:
    via.auth.me()
    proxy.fail(ME, 429, retry_after="120")
    start = time.monotonic()
    with pytest.raises(RateLimitError) as raised:
        via.auth.me()
    assert time.monotonic() - start < 1
    assert raised.value.retry_after == 120
    assert len(proxy.requests(ME)) == 2  # the first call, and this one's only attempt


@sqlite_only
def test_the_servers_own_rate_limit_is_waited_out(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vault_client")
    settings = backend.settings.model_copy(update={"rate_limit_per_minute": 120})
    vault = Vault.from_settings(settings, blobs=backend.store)
    people = People.make(vault)
    try:
        with serve(create_app(vault=vault)) as url:
            client = VaultClient(url, access_token=people.token("clerk"))  # default policy
            for _ in range(16):  # a burst of 12 is allowed, then 2 per second
                client.auth.me()
            client.close()
    finally:
        vault.close()
    assert "retrying GET /api/v1/me after 429 in 1.00s" in caplog.text  # its Retry-After


# -- transport failures --------------------------------------------------------------------


def test_connection_refused_is_a_connection_error() -> None:
    client = VaultClient(f"http://127.0.0.1:{free_port()}", retry=FAST_RETRY)
    with pytest.raises(APIConnectionError) as raised:
        client.health.alive()
    assert not isinstance(raised.value, APITimeoutError)
    assert raised.value.request.url.path == "/healthz"


@sqlite_only
def test_timeouts_are_retried_then_raised(via: VaultClient, proxy: FaultProxy) -> None:
    via.auth.me()
    impatient = via.with_options(timeout=0.3)
    proxy.stall(ME, 1.0, times=1)
    assert impatient.auth.me().agency_code == AGENCY  # the retry got through
    proxy.stall(ME, 1.0, times=5)
    with pytest.raises(APITimeoutError):
        impatient.auth.me()


# -- uploads: an idempotency key per logical upload -------------------------------------------


def test_a_lost_upload_response_is_retried_and_stored_once(
    via: VaultClient, proxy: FaultProxy, sdk: VaultClient
) -> None:
    owner = owner_of(sdk)
    proxy.drop(UPLOAD, method="POST")  # stored, but the client never hears
    doc = issue(via, owner, png_bytes())
    attempts = proxy.requests(UPLOAD, "POST")
    assert [a.faulted for a in attempts] == ["drop_after_forward", None]
    keys = {a.headers["idempotency-key"] for a in attempts}
    assert len(keys) == 1 and len(next(iter(keys))) == 36  # one UUID4, sent twice
    assert [d.id for d in sdk.documents.list(owner=owner)] == [doc.id]

    # A reissue whose response is replaced by a gateway's 502: one version 2, not two.
    proxy.fail(r"/versions$", 502, forward=True, method="POST")
    v2 = via.documents.new_version(
        doc,
        pdf_bytes(),
        paper_type="birth_certificate",
        title="Cấp lại",
        origin="issued_result",
    )
    assert [v.version for v in sdk.documents.versions(v2)] == [1, 2]
    # A key the caller keeps (a job that restarts) makes a second call a replay too.
    again = issue(via, owner, png_bytes(color="red"), idempotency_key="job-42/scan-1")
    same = issue(via, owner, png_bytes(color="red"), idempotency_key="job-42/scan-1")
    assert same.id == again.id
    assert len(list(sdk.documents.list(owner=owner))) == 2


@sqlite_only
def test_an_upload_from_a_stream_that_cannot_rewind_is_sent_once(
    via: VaultClient, proxy: FaultProxy, sdk: VaultClient
) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            return self._data.read(n)

    owner = owner_of(sdk)
    # Unknown length: sent chunked, and accepted.
    doc = issue(via, owner, Pipe(pdf_bytes()))
    assert doc.content.size == len(pdf_bytes())
    proxy.fail(UPLOAD, 503, method="POST")
    with pytest.raises(ServiceUnavailableError):
        issue(via, owner, Pipe(pdf_bytes()))
    assert len(proxy.requests(UPLOAD, "POST")) == 2  # one each: no retry of the second


# -- downloads ---------------------------------------------------------------------------------


@sqlite_only
def test_a_download_cut_short_resumes_where_it_stopped(
    via: VaultClient, proxy: FaultProxy, tmp_path: Path
) -> None:
    owner = owner_of(via)
    content = padded_pdf(700_000)
    doc = issue(via, owner, content)
    proxy.cut(CONTENT, after_bytes=300_000)
    target = tmp_path / "paper.pdf"
    seen: list[int] = []
    result = via.documents.download(doc, target, on_progress=lambda n, _t: seen.append(n))
    assert result.verified and target.read_bytes() == content
    first, second = proxy.requests(CONTENT)
    assert first.faulted == "cut_body" and "range" not in first.headers
    assert second.headers["range"].startswith("bytes=")
    resumed_at = int(second.headers["range"][len("bytes=") : -1])
    assert 0 < resumed_at <= 300_000
    assert second.headers["if-range"] == f'"{hashlib.sha256(content).hexdigest()}"'
    assert seen[-1] == len(content)


@sqlite_only
def test_a_corrupted_download_raises_and_leaves_nothing_behind(
    via: VaultClient, proxy: FaultProxy, tmp_path: Path
) -> None:
    owner = owner_of(via)
    doc = issue(via, owner, pdf_bytes())
    proxy.corrupt(CONTENT)
    folder = tmp_path / "downloads"
    folder.mkdir()
    with pytest.raises(ContentIntegrityError):
        via.documents.download(doc, folder / "paper.pdf")
    assert list(folder.iterdir()) == []  # neither the file nor its temporary
    proxy.corrupt(CONTENT)
    sink = io.BytesIO()
    unchecked = via.documents.download(doc, sink, verify_checksum=False)
    assert not unchecked.verified and sink.getvalue() != pdf_bytes()


# -- tokens ------------------------------------------------------------------------------------


@sqlite_only
def test_a_refused_token_is_renewed_once(via: VaultClient, proxy: FaultProxy) -> None:
    via.auth.me()
    proxy.fail(ME, 401)
    assert via.auth.me().agency_code == AGENCY
    assert len(proxy.requests(TOKEN)) == 2
    proxy.fail(ME, 401, times=2)
    with pytest.raises(AuthenticationError):
        via.auth.me()
    assert len(proxy.requests(TOKEN)) == 3  # one renewal per call, not a loop


@sqlite_only
def test_a_token_is_renewed_before_it_expires(
    via: VaultClient, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Clock:
        offset = 0.0

        @staticmethod
        def monotonic() -> float:
            return time.monotonic() + Clock.offset

    monkeypatch.setattr(vault_client._credentials, "time", Clock)
    token = via.auth.client_credentials(
        client_id=via._config.credentials.client_id,  # type: ignore[union-attr]
        client_secret=via._config.credentials.client_secret,  # type: ignore[union-attr]
        officer="clerk",
    )
    fetched = len(proxy.requests(TOKEN))
    via.auth.me()
    via.auth.me()
    assert len(proxy.requests(TOKEN)) == fetched + 1  # cached between calls
    Clock.offset = token.expires_in - 5  # inside the renewal margin, not yet expired
    via.auth.me()
    assert len(proxy.requests(TOKEN)) == fetched + 2
    assert [s.faulted for s in proxy.requests(ME)] == [None, None, None]  # never a 401


@sqlite_only
def test_secrets_and_tokens_are_never_printed(
    via: VaultClient, proxy: FaultProxy, system: AgencySystem, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    proxy.fail(ME, 503)
    via.auth.me()
    token = proxy.requests(ME)[-1].headers["authorization"].removeprefix("Bearer ")
    proxy.fail(ME, 503, times=5)
    with pytest.raises(ServiceUnavailableError) as raised:
        via.auth.me()
    printed = [
        repr(via),
        str(via._config.credentials),
        repr(raised.value),
        str(raised.value),
        repr(raised.value.request),
        caplog.text,
    ]
    for text in printed:
        assert system.client_secret not in text and token not in text
    assert "retrying GET /api/v1/me after 503" in caplog.text
    assert repr(via).startswith(f"VaultClient(base_url='{proxy.url}', credentials=ClientCred")


# -- the async client, the same way -----------------------------------------------------------


@sqlite_only
@pytest.mark.anyio
async def test_async_retries_uploads_downloads_and_timeouts(
    proxy: FaultProxy, system: AgencySystem, tmp_path: Path
) -> None:
    async with AsyncVaultClient(
        proxy.url,
        client_id=system.client_id,
        client_secret=system.client_secret,
        officer="clerk",
        retry=RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.05),
    ) as client:
        proxy.fail(ME, 503, times=3)
        assert (await client.auth.me()).agency_code == AGENCY
        proxy.fail(ME, 401)
        await client.auth.me()
        assert len(proxy.requests(TOKEN)) == 2

        owner = await client.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="H")
        proxy.drop(UPLOAD, method="POST")
        content = padded_pdf(500_000)
        doc = await client.documents.upload(
            owner, content, paper_type="birth_certificate", title="GKS", origin="issued_result"
        )
        assert [d.id async for d in client.documents.list(owner=owner)] == [doc.id]

        proxy.cut(CONTENT, after_bytes=100_000)
        target = tmp_path / "paper.pdf"
        assert (await client.documents.download(doc, target)).verified
        assert target.read_bytes() == content

        proxy.corrupt(CONTENT)
        with pytest.raises(ContentIntegrityError):
            await client.documents.download(doc, tmp_path / "bad.pdf")
        assert not (tmp_path / "bad.pdf").exists()

        proxy.stall(ME, 1.0, times=2)
        with pytest.raises(APITimeoutError):
            await client.with_options(timeout=0.2, max_retries=1).auth.me()
        proxy.fail(ME, 429, retry_after="120")
        with pytest.raises(RateLimitError):
            await client.auth.me()
    with pytest.raises(APIConnectionError):
        async with AsyncVaultClient(f"http://127.0.0.1:{free_port()}", retry=FAST_RETRY) as dead:
            await dead.health.alive()
