"""What operators see of a running vault: /metrics for Prometheus, request ids, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import create_app
from api.logs import JsonLogFormatter, RequestIdFilter
from tests.conftest import Backend
from tests.factories import CITIZEN_ID, create_owner, pdf_bytes, signed_pdf_bytes, upload
from tests.people import People
from tests.support.live import serve
from vault.runtime import Vault
from vault.settings import Environment

SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")


def samples(text: str, name: str) -> dict[str, float]:
    """The samples of one metric: label string -> value."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m["name"] == name:
            found[m["labels"] or ""] = float(m["value"])
    return found


def test_metrics_count_requests_by_route_template_status_and_bytes(
    client: TestClient, people: People
) -> None:
    missing = uuid.uuid4()
    before = client.get("/metrics").text
    key = 'method="GET",route="/api/v1/documents/{document_id}",status="404"'
    count = f"{key}"
    was = samples(before, "vault_http_request_duration_seconds_count").get(count, 0)
    for _ in range(3):
        assert client.get(f"/api/v1/documents/{missing}").status_code == 404
    owner = client.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn Văn An"},
    )
    assert owner.status_code == 201
    client.get("/no/such/path/" + uuid.uuid4().hex)

    text = client.get("/metrics").text
    assert samples(text, "vault_http_request_duration_seconds_count")[count] == was + 3
    # Routes by template only: never an id, a path a scanner made up, or an identifier.
    assert str(missing) not in text and CITIZEN_ID not in text
    assert any(
        'route="unmatched",status="404"' in k
        for k in samples(text, "vault_http_request_duration_seconds_count")
    )
    sent_in = samples(text, "vault_http_request_bytes_total")
    assert sent_in['route="/api/v1/owners"'] > 0
    sent_out = samples(text, "vault_http_response_bytes_total")
    assert sent_out['route="/api/v1/documents/{document_id}"'] > 0
    # The audit writer's group commits, and the database pool, are there too.
    assert sum(samples(text, "vault_audit_batch_entries_count").values()) >= 1
    assert sum(samples(text, "vault_audit_lag_seconds_count").values()) >= 1
    assert samples(text, "vault_db_pool_size")[""] >= 1
    assert "vault_db_pool_checked_out" in text


def test_metrics_count_verifications_by_indication(client: TestClient) -> None:
    before = samples(client.get("/metrics").text, "vault_verifications_total")
    key = 'indication="TOTAL_PASSED"'
    answer = client.post(
        "/api/v1/verifications", files={"file": ("ket-qua.pdf", signed_pdf_bytes())}
    )
    assert answer.status_code == 200, answer.text
    text = client.get("/metrics").text
    assert samples(text, "vault_verifications_total")[key] == before.get(key, 0) + 1
    assert sum(samples(text, "vault_verification_duration_seconds_count").values()) >= 1


@pytest.fixture
def guarded(backend: Backend) -> Iterator[Vault]:
    settings = backend.settings.model_copy(update={"metrics_token": SecretStr("s3cret-scrape")})
    v = Vault.from_settings(settings, blobs=backend.store)
    yield v
    v.close()


def test_metrics_show_the_job_queues_and_a_job_keeps_its_request_id(
    vault: Vault, client: TestClient
) -> None:
    owner_id = create_owner(client)
    doc = upload(
        client,
        owner_id,
        pdf_bytes(),
        filename="scan.pdf",
        content_type="application/pdf",
        headers={"X-Request-Id": "upload-request-0042"},
    )
    # No worker runs in the tests: the upload's OCR job waits.
    depth = samples(client.get("/metrics").text, "vault_jobs_queue_depth")
    assert depth['kind="ocr",state="waiting"'] >= 1
    assert 'kind="ocr"' in "".join(
        samples(client.get("/metrics").text, "vault_jobs_oldest_waiting_seconds")
    )
    with vault.uows() as uow:
        jobs = uow.jobs.for_document(uuid.UUID(doc["id"]))
    assert [j.request_id for j in jobs] == ["upload-request-0042"]


def test_metrics_need_the_token_when_one_is_set(guarded: Vault) -> None:
    with TestClient(create_app(vault=guarded)) as http:
        refused = http.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        wrong = http.get("/metrics", headers={"Authorization": "Bearer s3cret-scrapf"})
        assert wrong.status_code == 401
        ok = http.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert ok.status_code == 200
        assert ok.headers["content-type"].startswith("text/plain")
        assert "vault_http_request_duration_seconds" in ok.text


def test_metrics_are_off_in_production_without_a_token(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"env": Environment.PRODUCTION})
    v = Vault.from_settings(settings, blobs=backend.store)
    try:
        with TestClient(create_app(vault=v)) as http:
            off = http.get("/metrics")
            assert off.status_code == 404
            assert off.headers["content-type"] == "application/problem+json"
            assert "vault_" not in off.text
    finally:
        v.close()


def test_every_answer_carries_a_request_id(client: TestClient) -> None:
    made = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["x-request-id"] != made
    # A gateway's own id is kept, so one id follows the request through both.
    kept = client.get("/healthz", headers={"X-Request-Id": "gw-7f3a9c01.42"})
    assert kept.headers["x-request-id"] == "gw-7f3a9c01.42"
    # Anything that could forge a log line or hide personal data is replaced.
    for hostile in ("short", "a" * 65, "id with spaces", "079200001234;drop", "x=yyyyyyyyy"):
        answer = client.get("/healthz", headers={"X-Request-Id": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"]), hostile
    # Problems and refusals carry it too.
    refused = client.get("/api/v1/documents/not-a-uuid")
    assert refused.status_code == 422 and "x-request-id" in refused.headers


def test_json_log_lines_carry_the_request_id(vault: Vault, people: People) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonLogFormatter())
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        with (
            serve(create_app(vault=vault), access_log=True) as base,
            httpx.Client(base_url=base, headers=people.auth("clerk")) as http,
        ):
            http.get("/healthz", headers={"X-Request-Id": "probe-request-0001"})
            http.get("/api/v1/search", params={"q": CITIZEN_ID})
    finally:
        access.removeHandler(handler)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) >= 2, "no access line was captured: this test would prove nothing"
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()
        assert re.fullmatch(r"[0-9a-f]{32}|probe-request-0001", line["request_id"])
    probe = [line for line in lines if line["request_id"] == "probe-request-0001"]
    assert len(probe) == 1 and "/healthz" in probe[0]["message"]
    assert CITIZEN_ID not in out.getvalue()
