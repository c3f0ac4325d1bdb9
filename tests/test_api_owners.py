"""Owners: registered idempotently, looked up by exact identifier in a body, never listed."""

from fastapi.testclient import TestClient

from tests.factories import CITIZEN_ID, TAX_CODE, create_owner, random_uuid


def test_register_is_idempotent_on_the_identifier(client: TestClient) -> None:
    body = {"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn  Thị Hương"}
    first = client.post("/api/v1/owners", json=body)
    assert first.status_code == 201
    assert first.json()["display_name"] == "Nguyễn Thị Hương"
    again = client.post("/api/v1/owners", json=body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert CITIZEN_ID not in first.headers["Location"]


def test_lookup_by_exact_identifier_in_the_body(client: TestClient) -> None:
    owner_id = create_owner(client)
    org_id = create_owner(client, TAX_CODE, "Công ty TNHH Đồng Nai")
    r = client.post("/api/v1/owners/lookup", json={"identifier": CITIZEN_ID})
    assert r.status_code == 200 and r.json()["id"] == owner_id
    r = client.post("/api/v1/owners/lookup", json={"identifier": TAX_CODE})
    assert r.json()["id"] == org_id and r.json()["kind"] == "organisation"
    missing = client.post("/api/v1/owners/lookup", json={"identifier": "001099012345"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_get_by_opaque_id(client: TestClient) -> None:
    owner_id = create_owner(client)
    assert client.get(f"/api/v1/owners/{owner_id}").json()["identifier"] == CITIZEN_ID
    r = client.get(f"/api/v1/owners/{random_uuid()}")
    assert r.status_code == 404 and r.json()["status"] == 404
    assert client.get("/api/v1/owners/not-a-uuid").status_code == 422


def test_malformed_identifiers_get_422_naming_the_field(client: TestClient) -> None:
    for kind, identifier in [
        ("citizen", "12345"),
        ("citizen", "999203001234"),
        ("organisation", "03123"),
        ("citizen", TAX_CODE),
    ]:
        r = client.post(
            "/api/v1/owners", json={"kind": kind, "identifier": identifier, "display_name": "X"}
        )
        assert r.status_code == 422, (kind, identifier)
        problem = r.json()
        assert problem["type"].endswith("invalid-input")
        assert problem["errors"][0]["field"] == "identifier"
    r = client.post(
        "/api/v1/owners", json={"kind": "alien", "identifier": CITIZEN_ID, "display_name": "X"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    r = client.post(
        "/api/v1/owners", json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "   "}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "display_name"


def test_there_is_no_way_to_list_owners(client: TestClient) -> None:
    create_owner(client)
    assert client.get("/api/v1/owners").status_code == 405
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" not in paths["/api/v1/owners"]


def test_paper_type_catalogue_is_seeded(client: TestClient) -> None:
    types = {t["code"]: t for t in client.get("/api/v1/paper-types").json()}
    assert types["birth_certificate"]["name_vi"] == "Giấy khai sinh"
    assert types["criminal_record_extract"]["default_validity_days"] == 180
    assert {
        "marriage_certificate",
        "diploma",
        "land_use_right_certificate",
        "business_registration_certificate",
        "driving_licence",
        "chip_id_card",
    } <= set(types)
