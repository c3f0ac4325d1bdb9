"""No identification number in an object key, a URL path or a log line."""

import logging
import re

import httpx
import pytest

from api import create_app
from tests.conftest import Backend
from tests.factories import AGENCY, CITIZEN_ID, pdf_bytes
from tests.people import People
from tests.support.live import serve
from vault.runtime import Vault


def test_a_whole_session_logs_no_identification_number(
    vault: Vault, backend: Backend, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with (
        serve(create_app(vault=vault), access_log=True) as base,
        httpx.Client(base_url=base, headers=people.auth("clerk")) as http,
    ):
        owner = http.post(
            "/api/v1/owners",
            json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn Thị Hương"},
        ).json()
        assert (
            http.post("/api/v1/owners/lookup", json={"identifier": CITIZEN_ID}).status_code == 200
        )
        bad = http.post(
            "/api/v1/owners",
            json={"kind": "citizen", "identifier": CITIZEN_ID[:-1] + "X", "display_name": "x"},
        )
        assert bad.status_code == 422
        doc = http.post(
            f"/api/v1/owners/{owner['id']}/documents",
            data={
                "paper_type": "birth_certificate",
                "origin": "issued_result",
                "title": f"GKS {CITIZEN_ID}",
                "reference_number": CITIZEN_ID,
            },
            files={"file": ("scan.pdf", pdf_bytes(), "application/pdf")},
        ).json()
        http.get(f"/api/v1/owners/{owner['id']}/documents", params={"paper_type": "diploma"})
        http.get(f"/api/v1/documents/{doc['id']}/content")
        http.post(
            "/api/v1/dossiers",
            json={
                "dossier_code": f"{AGENCY}-250115-0001",
                "procedure_code": "1.001193",
                "owner_id": owner["id"],
                "received_at": "2025-01-15T09:00:00+07:00",
            },
        )
        http.get("/api/v1/documents/not-a-uuid")
        # Search terms travel in the query string: the access log keeps the path only.
        assert http.get("/api/v1/search", params={"q": CITIZEN_ID}).status_code == 200
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(access) >= 9, "the access log was not captured: this test would prove nothing"
    assert any("/api/v1/search?…" in line for line in access), access
    # Everything the server side logged (the test's own HTTP client logs its URLs).
    everything = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert CITIZEN_ID not in everything
    assert not re.search(r"\b\d{12}\b", everything)
    for key in (o.key for o in backend.store.list()):
        # Random ids only (a uuid's hex may hold 12 digits in a row by chance: check the shape).
        assert re.fullmatch(r"blobs/[0-9a-f]{2}/[0-9a-f]{32}", key.replace("-", "")), key
        assert CITIZEN_ID not in key and owner["id"] not in key


def test_owner_routes_never_take_an_identifier_in_the_path(vault: Vault) -> None:
    paths = create_app(vault=vault).openapi()["paths"]
    for path, operations in paths.items():
        for op in operations.values():
            for param in op.get("parameters", []):
                if param["in"] in ("path", "query"):
                    assert param["name"] not in {"identifier", "cccd", "tax_code"}, path
