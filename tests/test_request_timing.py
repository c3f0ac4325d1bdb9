"""Where a request's time goes (Server-Timing), and the shortened read path keeping its
guarantees: a read answers only once its audit entry is durable, and audit writers in
several processes still build one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from tests.conftest import Backend
from tests.people import People
from vault.audit import AuditDraft, verify_chain
from vault.runtime import Vault


def stages(header: str) -> dict[str, float]:
    found = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        found[name] = float(duration)
    return found


def test_server_timing_tells_where_an_audited_read_went(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"server_timing": True})
    vault = Vault.from_settings(settings, blobs=backend.store)
    people = People.make(vault)
    try:
        with TestClient(create_app(vault=vault), headers=people.auth("clerk")) as client:
            owner = client.post(
                "/api/v1/owners",
                json={"kind": "citizen", "identifier": "079203001234", "display_name": "Lan"},
            ).json()["id"]
            people.owner_account(owner, "lan")
            answer = client.get(f"/api/v1/owners/{owner}/documents", headers=people.auth("lan"))
            assert answer.status_code == 200
            # The listing's audit entry is durable by the time the answer arrives.
            with vault.engine.connect() as connection:
                listed = connection.execute(
                    text("SELECT count(*) FROM audit_entries WHERE action = 'document.list'")
                ).scalar_one()
            assert listed == 1
            timing = stages(answer.headers["server-timing"])
            for stage in ("token", "account", "service", "audit", "serialise", "total"):
                assert stage in timing, timing
            assert timing["audit"] > 0
            named = sum(v for k, v in timing.items() if k != "total")
            assert abs(named - timing["total"]) < 0.01 * timing["total"] + 0.01
            # A refused token is timed too, and still refused.
            refused = client.get(
                f"/api/v1/owners/{owner}/documents",
                headers={"Authorization": "Bearer not.a.token"},
            )
            assert refused.status_code == 401
            assert "total" in stages(refused.headers["server-timing"])
    finally:
        vault.close()


def test_no_server_timing_unless_switched_on(client: TestClient) -> None:
    answer = client.get("/api/v1/me")
    assert answer.status_code == 200
    assert "server-timing" not in answer.headers


# Several API processes share PostgreSQL; the SQLite default serves one process.
@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_audit_writers_of_two_processes_keep_one_chain(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # Two runtimes on one database stand for two API processes, each with its writer
    # thread and its own idea of the chain head.
    first = Vault.from_settings(backend.settings, blobs=backend.store)
    second = Vault.from_settings(backend.settings, blobs=backend.store)
    try:

        def writer(vault: Vault, n: int) -> None:
            for i in range(20):
                vault.uows.audit_log.write([AuditDraft(action="test.append", detail=f"{n}-{i}")])

        threads = [
            threading.Thread(target=writer, args=(vault, n))
            for n, vault in enumerate([first, second] * 4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        # And one by one, so each writer chains onto a head the other one moved.
        for i in range(6):
            (first if i % 2 else second).uows.audit_log.write(
                [AuditDraft(action="test.append", detail=f"turn-{i}")]
            )
        report = verify_chain(first.uows)
        assert report.ok, report
        assert report.entries == 8 * 20 + 6
        # The one-round-trip append worked (it falls back to the lock when it cannot).
        assert not [r for r in caplog.records if "fast append failed" in r.getMessage()]
        assert report.head_seq == report.entries
    finally:
        first.close()
        second.close()
