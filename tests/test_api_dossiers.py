"""Dossiers and attaching papers to them."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.factories import AGENCY, OTHER_CITIZEN_ID, create_owner, random_uuid, upload
from vault.errors import Conflict
from vault.runtime import Vault
from vault.services.dossiers import next_dossier_code

CODE = f"{AGENCY}-250115-0001"


def new_dossier(client: TestClient, owner_id: str, **fields: object) -> dict[str, object]:
    body = {
        "dossier_code": CODE,
        "procedure_code": "1.001193",
        "owner_id": owner_id,
        "received_at": "2025-01-15T09:30:00+07:00",
        **fields,
    }
    r = client.post("/api/v1/dossiers", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_create_get_and_list(client: TestClient) -> None:
    owner_id = create_owner(client)
    dossier = new_dossier(client, owner_id)
    assert dossier["receiving_agency_code"] == AGENCY
    assert dossier["received_at"] == "2025-01-15T02:30:00Z"
    assert dossier.pop("already_recorded") is False  # recorded now (201)
    assert client.get(f"/api/v1/dossiers/{dossier['id']}").json() == dossier
    listed = client.get(f"/api/v1/owners/{owner_id}/dossiers").json()
    assert [d["id"] for d in listed["items"]] == [dossier["id"]]
    assert client.get(f"/api/v1/dossiers/{random_uuid()}").status_code == 404


def test_creating_the_same_dossier_again_is_idempotent(client: TestClient) -> None:
    owner_id = create_owner(client)
    first = new_dossier(client, owner_id)
    again = client.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": CODE,
            "procedure_code": "1.001193",
            "owner_id": owner_id,
            "received_at": "2025-01-15T10:00:00+07:00",
        },
    )
    assert again.status_code == 200
    assert again.json() == {**first, "already_recorded": True}  # that dossier, unchanged
    other = create_owner(client, OTHER_CITIZEN_ID, "Trần Văn Đức")
    clash = client.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": CODE,
            "procedure_code": "1.001193",
            "owner_id": other,
            "received_at": "2025-01-15T10:00:00+07:00",
        },
    )
    assert clash.status_code == 409
    assert clash.json()["detail"] == "a different dossier already has this code"


def test_a_closed_dossiers_code_is_refused_for_a_new_filing(client: TestClient) -> None:
    owner_id = create_owner(client)
    first = new_dossier(client, owner_id)
    closed = client.post(f"/api/v1/dossiers/{first['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = client.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": CODE,
            "procedure_code": "1.001193",
            "owner_id": owner_id,
            "received_at": "2025-01-15T10:00:00+07:00",
        },
    )
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["detail"] == (
        f"dossier {CODE} is closed: a new filing needs a new dossier code "
        "(the next number of the day)"
    )
    # The closed dossier is as it was; the next number of the day is a new dossier.
    assert client.get(f"/api/v1/dossiers/{first['id']}").json()["status"] == "closed"
    listed = client.get(f"/api/v1/owners/{owner_id}/dossiers").json()
    assert [d["id"] for d in listed["items"]] == [first["id"]]
    nxt = new_dossier(client, owner_id, dossier_code=f"{AGENCY}-250115-0002")
    assert nxt["id"] != first["id"] and nxt["already_recorded"] is False


def test_codes_are_validated_with_the_field_named(client: TestClient) -> None:
    owner_id = create_owner(client)
    base = {
        "dossier_code": CODE,
        "procedure_code": "1.001193",
        "owner_id": owner_id,
        "received_at": "2025-01-15T09:30:00+07:00",
    }
    cases = [
        ({"dossier_code": "H57-250115-1"}, "dossier_code"),
        ({"dossier_code": f"{AGENCY}-250231-0001"}, "dossier_code"),
        ({"procedure_code": "1001612"}, "procedure_code"),
        ({"receiving_agency_code": "000.00.16.H57"}, "receiving_agency_code"),
        ({"receiving_agency_code": "bad"}, "receiving_agency_code"),
        # 2025-01-15 23:30 UTC is already the 16th in Vietnam.
        ({"received_at": "2025-01-15T23:30:00Z"}, "received_at"),
        ({"received_at": "2025-01-15T09:30:00"}, "received_at"),
        ({"owner_id": random_uuid()}, "owner_id"),
    ]
    for change, field in cases:
        r = client.post("/api/v1/dossiers", json={**base, **change})
        assert r.status_code == 422, (change, r.text)
        assert field in {e["field"] for e in r.json()["errors"]}, (change, r.json())


def test_attach_the_owners_papers_only(client: TestClient) -> None:
    owner_id = create_owner(client)
    other = create_owner(client, OTHER_CITIZEN_ID, "Trần Văn Đức")
    dossier = new_dossier(client, owner_id)
    mine = upload(client, owner_id)
    theirs = upload(client, other)
    url = f"/api/v1/dossiers/{dossier['id']}/documents"
    r = client.post(url, json={"document_id": mine["id"]})
    assert r.status_code == 201
    assert client.post(url, json={"document_id": mine["id"]}).status_code == 200
    for doc_id in (theirs["id"], random_uuid()):
        refused = client.post(url, json={"document_id": doc_id})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "document_id"
    attached = client.get(url).json()
    assert [a["document_id"] for a in attached] == [mine["id"]]
    assert attached[0]["reused"] == 1
    assert attached[0]["from_warehouse"] is True
    missing = client.post(
        f"/api/v1/dossiers/{random_uuid()}/documents", json={"document_id": mine["id"]}
    )
    assert missing.status_code == 404


def test_the_next_dossier_number_is_the_lowest_free_one_of_the_day() -> None:
    day = date(2025, 1, 15)
    assert next_dossier_code(AGENCY, day, set()) == f"{AGENCY}-250115-0001"
    taken = {f"{AGENCY}-250115-0001", f"{AGENCY}-250115-0002", f"{AGENCY}-250115-0004"}
    assert next_dossier_code(AGENCY, day, taken) == f"{AGENCY}-250115-0003"  # a gap first
    every = {f"{AGENCY}-250115-{seq:04d}" for seq in range(1, 10_000)}
    with pytest.raises(Conflict, match="every dossier number of today is taken"):
        next_dossier_code(AGENCY, day, every)


@contextmanager
def _dossier_queries(vault: Vault) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "dossiers" in statement:
            seen.append(statement)

    event.listen(vault.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(vault.engine, "before_cursor_execute", count)


def test_next_dossier_number_reads_the_day_with_one_query(client: TestClient, vault: Vault) -> None:
    owner_id = create_owner(client)
    for seq in ("0001", "0002", "0004"):
        new_dossier(client, owner_id, dossier_code=f"{AGENCY}-250115-{seq}")
    # Another day and another agency's numbers are not this day's.
    new_dossier(
        client,
        owner_id,
        dossier_code=f"{AGENCY}-250116-0003",
        received_at="2025-01-16T09:30:00+07:00",
    )
    # 2025-01-15 in Vietnam from 17:00 UTC the day before.
    now = datetime(2025, 1, 14, 17, 0, tzinfo=UTC)
    with vault.uows() as uow, _dossier_queries(vault) as queries:
        assert vault.dossiers.next_code(uow, AGENCY, now) == f"{AGENCY}-250115-0003"
        assert vault.dossiers.next_code(uow, "000.00.16.H57", now) == "000.00.16.H57-250115-0001"
    assert len(queries) == 2  # one each, however many numbers are taken
