"""A citizen's correction request: the metadata corrected as a new version with the reason,
the original on record; who may apply it (both backends)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.factories import CITIZEN_ID, create_owner, png_bytes, upload
from tests.people import People
from vault.runtime import Vault


def test_a_correction_is_a_new_version_and_the_original_stays(
    client: TestClient, people: People, vault: Vault
) -> None:
    owner_id = create_owner(client, CITIZEN_ID)
    content = png_bytes(color="gray")
    original = upload(
        client,
        owner_id,
        content,
        paper_type="procedure_result",
        origin="issued_result",
        title="Giấy phép xây dựng số 12",
        reference_number="12/GPXD",
    )
    body = {
        "reason": "Sai tên đường trong trích yếu",
        "requested_by": "Nguyễn Thị Hương (chủ hồ sơ)",
        "title": "Giấy phép xây dựng số 12 (đường Lê Lợi)",
    }
    url = f"/api/v1/documents/{original['id']}/corrections"
    assert client.post(url, json=body, headers=people.auth("other_clerk")).status_code == 403
    assert client.post(url, json={**body, "reason": ""}).status_code == 422
    assert client.post(url, json={"reason": "không đổi gì", "requested_by": "x"}).status_code == 422
    r = client.post(url, json=body)
    assert r.status_code == 201, r.text
    corrected = r.json()
    assert corrected["title"] == body["title"] and corrected["version"] == 2
    assert corrected["reference_number"] == "12/GPXD"  # what was not given is kept
    assert corrected["content"]["sha256"] == original["content"]["sha256"]
    assert client.get(f"/api/v1/documents/{corrected['id']}/content").content == content

    old = client.get(f"/api/v1/documents/{original['id']}").json()
    assert old["status"] == "superseded" and old["title"] == "Giấy phép xây dựng số 12"
    assert client.get(f"/api/v1/documents/{original['id']}/content").content == content
    with vault.engine.connect() as c:
        row = c.execute(text("SELECT reason, requested_by FROM document_corrections")).one()
        audit = c.execute(
            text("SELECT detail FROM audit_entries WHERE action = 'document.corrected'")
        ).scalar_one()
    assert row.reason == body["reason"] and row.requested_by == body["requested_by"]
    assert body["reason"] in audit
    # a correction of the superseded version is refused: correct the current one
    assert client.post(url, json=body).status_code == 409
