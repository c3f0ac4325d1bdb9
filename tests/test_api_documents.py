"""Documents through the HTTP API, on both backends."""

import hashlib
import io
from datetime import date, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import Backend
from tests.factories import (
    AGENCY,
    DEFAULT_FIELDS,
    OTHER_CITIZEN_ID,
    create_owner,
    jpeg_bytes,
    padded_pdf,
    pdf_bytes,
    png_bytes,
    random_uuid,
    tiff_bytes,
    upload,
)
from tests.people import People
from tests.support.live import serve
from vault.runtime import Vault


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (png_bytes(), "image/png"),
        (jpeg_bytes(), "image/jpeg"),
        (tiff_bytes(3), "image/tiff"),
        (pdf_bytes(2), "application/pdf"),
    ],
)
def test_upload_and_download_each_accepted_kind(
    client: TestClient, content: bytes, media_type: str
) -> None:
    owner_id = create_owner(client)
    # The client's word about the type is ignored: the bytes decide.
    doc = upload(
        client,
        owner_id,
        content,
        content_type="application/octet-stream",
        reference_number="15/QĐ-UBND",
        issuer_agency_code=AGENCY,
        issue_date="2020-01-02",
    )
    assert doc["content"] == {
        "size": len(content),
        "media_type": media_type,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    assert doc["reference_number"] == "15/QĐ-UBND" and doc["issuer_agency_code"] == AGENCY
    # An issued result's issuer is the agency whose officer recorded it.
    assert doc["origin"] == "issued_result" and doc["issuer_verified"] is True
    r = client.get(f"/api/v1/documents/{doc['id']}/content")
    assert r.status_code == 200
    assert r.content == content
    assert r.headers["content-type"] == media_type
    assert r.headers["content-length"] == str(len(content))
    assert r.headers["etag"] == f'"{doc["content"]["sha256"]}"'
    assert client.get(f"/api/v1/documents/{doc['id']}").json() == doc


def test_range_requests_and_conditional_gets(client: TestClient) -> None:
    owner_id = create_owner(client)
    content = padded_pdf(200_000)  # spans four 64 KiB encryption chunks
    doc = upload(client, owner_id, content)
    url = f"/api/v1/documents/{doc['id']}/content"
    size = len(content)
    cases = {
        "bytes=0-9": (0, 10),
        f"bytes=10-{size + 50}": (10, size),
        "bytes=-7": (size - 7, size),
        f"bytes={size // 2}-": (size // 2, size),
        "bytes=65530-65545": (65530, 65546),
    }
    for header, (start, end) in cases.items():
        if end > size:
            continue
        r = client.get(url, headers={"Range": header})
        assert r.status_code == 206, header
        assert r.content == content[start:end], header
        assert r.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
    r = client.get(url, headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
    etag = r.headers.get("etag") or client.get(url).headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    stale = client.get(url, headers={"Range": "bytes=0-3", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == content


def test_wrong_kinds_and_broken_files_are_refused(client: TestClient, backend: Backend) -> None:
    owner_id = create_owner(client)
    cases = [
        (b"MZ\x90\x00 this is an exe", 415, "unsupported-media-type"),
        (b"<html>not a paper</html>", 415, "unsupported-media-type"),
        (b"", 422, "unreadable-content"),
        (pdf_bytes()[:120], 422, "unreadable-content"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", 422, "unreadable-content"),
        (png_bytes()[:60], 422, "unreadable-content"),
        (jpeg_bytes()[:30], 422, "unreadable-content"),
    ]
    for content, status, slug in cases:
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data={**DEFAULT_FIELDS, "title": "x"},
            files={"file": ("x.pdf", content, "application/pdf")},
        )
        assert r.status_code == status, (content[:20], r.text)
        assert r.json()["type"].endswith(slug)
    # Nothing half-written: no rows, no objects.
    assert client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"] == []
    assert list(backend.store.list()) == []


def test_decompression_bomb_is_refused_before_decoding(client: TestClient) -> None:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG")  # ~110 KB file, 900 Mpx
    owner_id = create_owner(client)
    r = client.post(
        f"/api/v1/owners/{owner_id}/documents",
        data={**DEFAULT_FIELDS, "title": "x"},
        files={"file": ("bomb.png", out.getvalue(), "image/png")},
    )
    assert r.status_code == 413
    assert "decompression bomb" in r.json()["detail"]


def test_metadata_is_validated_with_field_names(client: TestClient) -> None:
    owner_id = create_owner(client)
    future = (date.today() + timedelta(days=30)).isoformat()
    cases = [
        ({"paper_type": "spaceship_licence"}, "paper_type"),
        ({"issuer_agency_code": "UBND-HCM"}, "issuer_agency_code"),
        ({"issue_date": "2020-13-40"}, "issue_date"),
        ({"issue_date": future}, "issue_date"),
        ({"issue_date": "2020-01-01", "valid_until": "2019-01-01"}, "valid_until"),
        ({"origin": "stolen"}, "origin"),
        ({"title": " "}, "title"),
    ]
    for fields, field in cases:
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data={**DEFAULT_FIELDS, "title": "x", **fields},
            files={"file": ("a.png", png_bytes(), "image/png")},
        )
        assert r.status_code == 422, fields
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    r = client.post(
        f"/api/v1/owners/{random_uuid()}/documents",
        data={**DEFAULT_FIELDS, "title": "x"},
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 404


def test_default_validity_from_the_paper_type(client: TestClient) -> None:
    owner_id = create_owner(client)
    doc = upload(client, owner_id, paper_type="criminal_record_extract", issue_date="2026-03-01")
    assert doc["valid_until"] == "2026-08-28"  # 180 days
    doc = upload(client, owner_id, paper_type="birth_certificate", issue_date="2003-05-01")
    assert doc["valid_until"] is None


def test_listing_filters_and_cursor_pages(client: TestClient) -> None:
    owner_id = create_owner(client)
    other = create_owner(client, OTHER_CITIZEN_ID, "Trần Văn Đức")
    upload(client, other)
    expired = upload(
        client, owner_id, paper_type="criminal_record_extract", issue_date="2024-01-01"
    )
    cert = upload(client, owner_id, paper_type="birth_certificate", origin="certified_copy")
    ids = [upload(client, owner_id, paper_type="diploma")["id"] for _ in range(5)]

    def listed(**params: object) -> list[str]:
        r = client.get(f"/api/v1/owners/{owner_id}/documents", params=params)
        assert r.status_code == 200, r.text
        return [d["id"] for d in r.json()["items"]]

    assert listed(paper_type="diploma") == ids[::-1]
    assert listed(origin="certified_copy") == [cert["id"]]
    assert expired["id"] not in listed(valid_on="2025-01-01")
    assert expired["id"] in listed(valid_on="2024-03-01")
    assert len(listed()) == 7

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"/api/v1/owners/{owner_id}/documents", params=params).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen == listed(limit=50)

    bad = client.get(f"/api/v1/owners/{owner_id}/documents", params={"cursor": "!!nope"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    assert (
        client.get(f"/api/v1/owners/{owner_id}/documents", params={"limit": 1000}).status_code
        == 422
    )
    assert client.get(f"/api/v1/owners/{random_uuid()}/documents").status_code == 404


def test_versions_supersede_and_the_old_stays_readable(client: TestClient) -> None:
    owner_id = create_owner(client)
    v1_content = png_bytes(50, 50, "blue")
    v1 = upload(
        client, owner_id, v1_content, paper_type="driving_licence", valid_until="2026-12-31"
    )
    v2_content = pdf_bytes()
    r = client.post(
        f"/api/v1/documents/{v1['id']}/versions",
        data={
            "paper_type": "driving_licence",
            "title": "GPLX cấp lại",
            "origin": "issued_result",
            "valid_until": "2036-12-31",
        },
        files={"file": ("v2.pdf", v2_content, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert (v2["version"], v2["supersedes_id"], v2["lineage_id"]) == (2, v1["id"], v1["id"])
    old = client.get(f"/api/v1/documents/{v1['id']}").json()
    assert old["status"] == "superseded"
    assert client.get(f"/api/v1/documents/{v1['id']}/content").content == v1_content
    versions = client.get(f"/api/v1/documents/{v2['id']}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    listed = client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"]
    assert [d["id"] for d in listed] == [v2["id"]]
    everything = client.get(
        f"/api/v1/owners/{owner_id}/documents", params={"include_superseded": "true"}
    ).json()["items"]
    assert {d["id"] for d in everything} == {v1["id"], v2["id"]}

    # Reissuing the old version again is a conflict; a different paper type is refused.
    again = client.post(
        f"/api/v1/documents/{v1['id']}/versions",
        data={"paper_type": "driving_licence", "title": "x", "origin": "issued_result"},
        files={"file": ("v.png", png_bytes(), "image/png")},
    )
    assert again.status_code == 409
    wrong = client.post(
        f"/api/v1/documents/{v2['id']}/versions",
        data={"paper_type": "diploma", "title": "x", "origin": "issued_result"},
        files={"file": ("v.png", png_bytes(), "image/png")},
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "paper_type"


def test_stored_objects_are_encrypted_and_keys_carry_no_personal_data(
    client: TestClient, backend: Backend
) -> None:
    owner_id = create_owner(client)
    marker = b"079203001234 Nguyen Thi Huong"
    content = pdf_bytes() + b"\n%" + marker + b"\n"
    upload(client, owner_id, content)
    objects = list(backend.store.list())
    assert len(objects) == 1
    key = objects[0].key
    assert "079203001234" not in key and owner_id not in key
    stored = b"".join(backend.store.get(key))
    assert marker not in stored and b"%PDF" not in stored
    assert len(stored) > len(content)


@pytest.mark.parametrize("where", ["final chunk", "first chunk"])
def test_tampered_object_is_never_served(
    client: TestClient, backend: Backend, vault: Vault, people: People, where: str
) -> None:
    owner_id = create_owner(client)
    content = padded_pdf(150_000)
    doc = upload(client, owner_id, content)
    (obj,) = list(backend.store.list())
    stored = bytearray(b"".join(backend.store.get(obj.key)))
    stored[-5 if where == "final chunk" else 100] ^= 0xFF
    backend.store.put(obj.key, io.BytesIO(bytes(stored)), len(stored))
    path = f"/api/v1/documents/{doc['id']}/content"
    # Over real HTTP: the headers have gone out, then the server cuts the connection when the
    # bad chunk fails authentication, so the client sees an incomplete body, never a whole one.
    with (
        serve(create_app(vault=vault)) as base,
        httpx.Client(base_url=base, headers=people.auth("clerk")) as http,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(path)
        bad_range = "bytes=0-99" if where == "first chunk" else "bytes=-3"
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(path, headers={"Range": bad_range})
        # Ranges over untouched chunks still read.
        good_range = "bytes=-3" if where == "first chunk" else "bytes=0-99"
        r = http.get(path, headers={"Range": good_range})
        assert r.status_code == 206
        assert r.content == (content[-3:] if where == "first chunk" else content[:100])


def test_object_missing_from_the_store_is_an_integrity_problem(
    client: TestClient, backend: Backend
) -> None:
    doc = upload(client, create_owner(client))
    (obj,) = list(backend.store.list())
    backend.store.delete(obj.key)
    r = client.get(f"/api/v1/documents/{doc['id']}/content")
    assert r.status_code == 500
    assert r.json()["type"].endswith("integrity-failure")


def test_oversize_upload_is_refused_with_413(backend: Backend) -> None:
    from tests.people import People

    settings = backend.settings.model_copy(update={"max_upload_bytes": 50_000})
    vault = Vault.from_settings(settings, blobs=backend.store)
    people = People.make(vault)
    with TestClient(create_app(vault=vault), headers=people.auth("clerk")) as client:
        owner_id = create_owner(client)
        big = pdf_bytes() + b"\n%" + b"x" * 60_000 + b"\n"
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data={**DEFAULT_FIELDS, "title": "x"},
            files={"file": ("big.pdf", big, "application/pdf")},
        )
        assert r.status_code == 413
        assert r.json()["type"].endswith("content-too-large")
        huge = b"x" * (settings.max_upload_bytes + 2 * 1024 * 1024)
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data={**DEFAULT_FIELDS, "title": "x"},
            files={"file": ("huge.pdf", huge, "application/pdf")},
        )
        assert r.status_code == 413
        assert client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"] == []
    vault.close()
    assert list(backend.store.list()) == []


def test_a_retried_upload_with_the_same_idempotency_key_is_stored_once(
    client: TestClient, backend: Backend
) -> None:
    owner_id = create_owner(client)
    url = f"/api/v1/owners/{owner_id}/documents"
    fields = {**DEFAULT_FIELDS, "title": "Giấy khai sinh"}
    key = {"Idempotency-Key": "4b7e0f1a-upload-1"}
    first = client.post(
        url, data=fields, headers=key, files={"file": ("a.png", png_bytes(), "image/png")}
    )
    again = client.post(
        url, data=fields, headers=key, files={"file": ("a.png", png_bytes(), "image/png")}
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json() == first.json()
    assert len(list(backend.store.list())) == 1
    assert len(client.get(url).json()["items"]) == 1
    # The same key for another request is a mistake, not a replay.
    other = client.post(
        f"/api/v1/documents/{first.json()['id']}/versions",
        data=fields,
        headers=key,
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    # Without a key, a second upload is a second paper.
    client.post(url, data=fields, files={"file": ("a.png", png_bytes(), "image/png")})
    assert len(client.get(url).json()["items"]) == 2
