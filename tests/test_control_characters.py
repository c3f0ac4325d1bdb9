"""Text holding NUL or another control character is refused with 422, the same on SQLite and
PostgreSQL (where a NUL used to fail at the driver), on JSON, form and query routes alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import AGENCY, create_owner, pdf_bytes, upload
from vault.errors import InvalidInput
from vault.identifiers import plain_text

CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]


def _refused(r: object, field: str) -> None:
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    fields = [e["field"] for e in r.json()["errors"]]  # type: ignore[attr-defined]
    assert field in fields, fields


@pytest.mark.parametrize("char", CONTROLS)
def test_an_owner_name_with_a_control_character_is_refused(client: TestClient, char: str) -> None:
    r = client.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": "079203001234", "display_name": f"Hương{char}"},
    )
    _refused(r, "display_name")
    assert (
        client.post("/api/v1/owners/lookup", json={"identifier": "079203001234"}).status_code == 404
    ), "nothing was stored"


def test_a_title_with_a_nul_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    owner_id = create_owner(client)
    body = upload(
        client,
        owner_id,
        pdf_bytes(),
        filename="gks.pdf",
        content_type="application/pdf",
        expect=422,
        title="Giấy khai sinh\x00",
    )
    assert body["errors"][0]["field"] == "title"
    body = upload(
        client,
        owner_id,
        pdf_bytes(),
        filename="gks.pdf",
        content_type="application/pdf",
        expect=422,
        reference_number="15/QĐ\x1f-UBND",
    )
    assert body["errors"][0]["field"] == "reference_number"
    assert client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"] == []
    # Tabs and line breaks are whitespace, folded as before.
    ok = upload(
        client,
        owner_id,
        pdf_bytes(),
        filename="gks.pdf",
        content_type="application/pdf",
        title="Giấy\tkhai\nsinh",
    )
    assert ok["title"] == "Giấy khai sinh"


def test_query_and_path_text_with_a_nul_is_refused(client: TestClient) -> None:
    _refused(client.get("/api/v1/search", params={"q": "nguyen\x00"}), "q")
    owner_id = create_owner(client)
    _refused(
        client.get(f"/api/v1/owners/{owner_id}/documents", params={"paper_type": "diploma\x00"}),
        "paper_type",
    )
    _refused(client.get("/api/v1/procedures/1.00119%00"), "path")


def test_sign_in_with_a_nul_is_refused_not_a_crash(anonymous: TestClient) -> None:
    """Fields no schema of ours guards reach the database's last check, alike on both."""
    r = anonymous.post("/api/v1/auth/login", json={"username": "a\x00b", "password": "x"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_a_dossier_code_with_a_nul_is_refused(client: TestClient) -> None:
    owner_id = create_owner(client)
    r = client.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{AGENCY}-250115-0001\x00",
            "procedure_code": "1.001193",
            "owner_id": owner_id,
        },
    )
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("char", [*CONTROLS, "\ud800"])
def test_the_domain_refuses_control_characters(char: str) -> None:
    with pytest.raises(InvalidInput) as err:
        plain_text(f"Giấy{char}khai sinh", "title")
    assert err.value.field == "title"
    assert f"U+{ord(char):04X}" in err.value.detail
    assert plain_text("Giấy\tkhai\r\nsinh", "title") == "Giấy\tkhai\r\nsinh"
