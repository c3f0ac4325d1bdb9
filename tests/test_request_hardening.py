"""Request bodies: per-route limits, uploads authorised before their body is read, the caller's
rights checked before the body is validated, malformed bodies, and the headers every answer
carries. Statuses through TestClient; "before the body is read" through a real uvicorn server
and a socket that sends the headers and never the body."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.headers import HSTS, SecurityHeaders
from signing.verify import Verifier
from tests.conftest import api_app
from tests.factories import (
    AGENCY,
    DEFAULT_FIELDS,
    OTHER_CITIZEN_ID,
    create_owner,
    padded_pdf,
    png_bytes,
    upload,
)
from tests.people import People
from tests.support.live import serve
from vault.runtime import Vault

MIB = 1024 * 1024
DOSSIER = {
    "dossier_code": f"{AGENCY}-250115-0001",
    "procedure_code": "1.001193",
    "received_at": "2025-01-15T09:30:00+07:00",
}


def problem_type(r: object) -> str:
    body = r.json()  # type: ignore[attr-defined]
    kind: str = body["type"]
    return kind


# -- per-route body limits -------------------------------------------------------------------


def test_json_and_form_routes_take_kilobytes_only(anonymous: TestClient) -> None:
    big = b'{"username": "' + b"a" * 100_000 + b'", "password": "x"}'
    r = anonymous.post(
        "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert problem_type(r).endswith("content-too-large")
    assert "65536" in r.json()["detail"]

    # Without a Content-Length (chunked), counted as it comes and cut off at the limit.
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(50):
            yield b"a" * 10_000
        yield b'"}'

    r = anonymous.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and problem_type(r).endswith("content-too-large")
    r = anonymous.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials", "x": "y" * 100_000}
    )
    assert r.status_code == 413
    # A body under the limit is judged on its content as before.
    r = anonymous.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    assert r.status_code == 401


def test_upload_routes_keep_the_large_limit(client: TestClient) -> None:
    owner_id = create_owner(client)
    doc = upload(client, owner_id, padded_pdf(300_000), filename="big.pdf")
    assert doc["content"]["size"] == 300_000
    # The public verification upload has the verifier's limit, not the kilobyte one: a
    # 200 KB file that is not a PDF is judged by its bytes (415), not refused by size.
    r = client.post(
        "/api/v1/verifications",
        files={"file": ("x.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 200_000, "application/pdf")},
    )
    assert r.status_code == 415


# -- authorised before the body is read ------------------------------------------------------


def answer_without_body(base_url: str, path: str, headers: dict[str, str], prefix: bytes) -> int:
    """Sends a request that declares a 200 MiB body (under the upload limit) but sends only
    `prefix` of it, and returns the status of the answer. A server that waited for the body
    would time out."""
    url = urlsplit(base_url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.hostname}", f"Content-Length: {200 * MIB}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=20) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + prefix)
        received = b""
        while b"\r\n" not in received:
            data = sock.recv(4096)
            if not data:
                break
            received += data
    status_line = received.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/1.1 "), received[:200]
    return int(status_line.split()[1])


def multipart_head(fields: dict[str, str], file_field: str = "file") -> tuple[str, bytes]:
    """The start of a multipart body: the fields, then a file part's headers and 1 KB."""
    boundary = "hardening-" + uuid.uuid4().hex
    parts = b""
    for name, value in fields.items():
        parts += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    parts += (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="{file_field}"; filename="scan.png"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()
    return f"multipart/form-data; boundary={boundary}", parts + b"\x89PNG\r\n\x1a\n" + b"0" * 1024


@pytest.fixture
def live(vault: Vault, test_verifier: Verifier) -> Iterator[str]:
    with serve(api_app(vault, test_verifier)) as base_url:
        yield base_url


def test_uploads_are_refused_before_their_body_is_read(
    live: str, client: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    other_owner = create_owner(client, OTHER_CITIZEN_ID, "Trần Văn Nam")
    people.owner_account(other_owner, "nam")
    r = client.post("/api/v1/dossiers", json={**DOSSIER, "owner_id": owner_id})
    assert r.status_code == 201, r.text
    dossier_id = r.json()["id"]
    upload_path = f"/api/v1/owners/{owner_id}/documents"
    content_type, head = multipart_head({**DEFAULT_FIELDS})
    multipart = {"Content-Type": content_type}

    # No token: 401 with not one body byte sent.
    assert answer_without_body(live, upload_path, multipart, b"") == 401
    # Another citizen, into this owner's warehouse: 403, body unread.
    assert answer_without_body(live, upload_path, {**multipart, **people.auth("nam")}, b"") == 403
    # An auditor stores nothing.
    auditor = {**multipart, **people.auth("auditor")}
    assert answer_without_body(live, upload_path, auditor, b"") == 403
    # No such owner: 404, body unread.
    missing = f"/api/v1/owners/{uuid.uuid4()}/documents"
    assert answer_without_body(live, missing, {**multipart, **people.auth("clerk")}, b"") == 404
    # A receiving officer of another agency, scanning for this agency's dossier: the fields
    # come first and are judged before the file is read (its first kilobyte only is sent).
    content_type, head = multipart_head(
        {**DEFAULT_FIELDS, "origin": "digitised", "dossier_id": dossier_id}
    )
    other = {"Content-Type": content_type, **people.auth("other_receiver")}
    assert answer_without_body(live, upload_path, other, head) == 403

    # A reissue by someone who may not reissue this paper.
    doc = upload(client, owner_id)
    versions = f"/api/v1/documents/{doc['id']}/versions"
    for who in ("nam", "other_clerk", "receiver"):
        assert answer_without_body(live, versions, {**multipart, **people.auth(who)}, b"") == 403

    # A certified copy by anyone but a certifying officer.
    copies = f"/api/v1/owners/{owner_id}/certified-copies"
    assert answer_without_body(live, copies, multipart, b"") == 401
    receiver = {**multipart, **people.auth("receiver")}
    assert answer_without_body(live, copies, receiver, b"") == 403

    # A JSON route declaring a body over its limit: refused before it is read.
    login = {"Content-Type": "application/json"}
    assert answer_without_body(live, "/api/v1/auth/login", login, b"{") == 413
    # Nothing was stored by any of it.
    listed = client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"]
    assert [d["id"] for d in listed] == [doc["id"]]


def test_fields_after_the_file_are_refused(client: TestClient, people: People) -> None:
    """The fields are judged before the file is read: one sent after it could change the
    judgement, so it is refused instead of taken."""
    owner_id = create_owner(client)
    boundary = "b" + uuid.uuid4().hex
    body = b""
    for name, value in DEFAULT_FIELDS.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        body += f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode()
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + png_bytes()
    late = 'Content-Disposition: form-data; name="reference_number"\r\n\r\n15/QĐ'
    body += f"\r\n--{boundary}\r\n{late}\r\n--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    r = client.post(f"/api/v1/owners/{owner_id}/documents", content=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "reference_number"
    assert "before the file" in r.json()["errors"][0]["detail"]
    assert client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"] == []


def test_a_malformed_upload_body_is_a_422(client: TestClient) -> None:
    owner_id = create_owner(client)
    url = f"/api/v1/owners/{owner_id}/documents"
    # Not multipart: a raw upload, whose metadata header is missing.
    r = client.post(url, content=b"not multipart", headers={"content-type": "text/plain"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Document-Metadata"
    r = client.post(url, data=DEFAULT_FIELDS)  # form-urlencoded: no file can be in it
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    boundary = "b" + uuid.uuid4().hex
    only_fields = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in DEFAULT_FIELDS.items()
    )
    r = client.post(
        url,
        content=only_fields + f"--{boundary}--\r\n".encode(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    r = client.post(
        url,
        data={**DEFAULT_FIELDS, "issue_date": "yesterday"},
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "issue_date"
    r = client.post(url, data=DEFAULT_FIELDS, files={"photo": ("a.png", png_bytes(), "image/png")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "photo"


# -- the caller's rights before the body's validity --------------------------------------------


def test_a_caller_without_the_right_gets_403_before_any_validation(
    client: TestClient, anonymous: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    people.owner_account(owner_id, "huong")
    other_owner = create_owner(client, OTHER_CITIZEN_ID, "Trần Văn Nam")
    people.owner_account(other_owner, "nam")
    doc = upload(client, owner_id)
    versions = f"/api/v1/documents/{doc['id']}/versions"
    # B's reissue of A's paper, with no valid field at all: 403, not 422.
    r = anonymous.post(versions, data={"title": ""}, headers=people.auth("nam"))
    assert r.status_code == 403, r.text
    # The issuing agency's officer with the same body: now the body is what is wrong.
    r = anonymous.post(versions, data={"title": ""}, headers=people.auth("clerk"))
    assert r.status_code == 422
    # Does not exist: 404; exists but is not yours: 403 (README, "Errors").
    r = anonymous.post(
        f"/api/v1/documents/{uuid.uuid4()}/versions", data={}, headers=people.auth("nam")
    )
    assert r.status_code == 404
    # A non-administrator changing a procedure, with a body that would fail validation.
    for who in ("clerk", "huong"):
        r = anonymous.put("/api/v1/procedures/0", json={"x": 1}, headers=people.auth(who))
        assert r.status_code == 403, (who, r.text)
    r = anonymous.put("/api/v1/procedures/0", json={"x": 1}, headers=people.auth("admin"))
    assert r.status_code == 422
    # Dossiers and results are for receiving and issuing officers.
    r = anonymous.post("/api/v1/dossiers", json={}, headers=people.auth("huong"))
    assert r.status_code == 403
    r = anonymous.post(
        f"/api/v1/dossiers/{uuid.uuid4()}/results", json={}, headers=people.auth("receiver")
    )
    assert r.status_code == 403
    # Owners are registered and looked up by officers only; a citizen's malformed body is 403.
    r = anonymous.post("/api/v1/owners", json={"kind": "?"}, headers=people.auth("huong"))
    assert r.status_code == 403
    r = anonymous.post("/api/v1/owners/lookup", json={}, headers=people.auth("huong"))
    assert r.status_code == 403
    r = anonymous.post("/api/v1/owners/lookup", json={}, headers=people.auth("receiver"))
    assert r.status_code == 422
    # Signing, refusing to certify, attaching and consenting, each with an empty body: the
    # role (or being the owner) is checked first.
    refused_first = [
        ("post", f"/api/v1/documents/{doc['id']}/sign", "receiver"),
        ("post", f"/api/v1/owners/{owner_id}/certified-copies/refusals", "receiver"),
        ("post", f"/api/v1/dossiers/{uuid.uuid4()}/documents", "huong"),
        ("post", "/api/v1/me/consents", "receiver"),
    ]
    for method, url, who in refused_first:
        r = anonymous.request(method, url, json={}, headers=people.auth(who))
        assert r.status_code == 403, (url, who, r.text)
    # The right caller with the same empty body: now the body is what is wrong.
    r = anonymous.post("/api/v1/me/consents", json={}, headers=people.auth("huong"))
    assert r.status_code == 422
    # No token at all: 401 first.
    assert anonymous.put("/api/v1/procedures/0", json={"x": 1}).status_code == 401


# -- malformed JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{bad", b'{"username": "a"', b"\xff\xfe{\x00"])
def test_malformed_json_is_a_422_naming_the_body(anonymous: TestClient, body: bytes) -> None:
    r = anonymous.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "body"


# -- headers ---------------------------------------------------------------------------------


def test_every_answer_is_nosniff_and_api_answers_are_not_stored(
    client: TestClient, anonymous: TestClient, people: People
) -> None:
    owner_id = create_owner(client)
    doc = upload(client, owner_id)
    people.owner_account(owner_id, "huong")
    for r in (
        client.get(f"/api/v1/documents/{doc['id']}"),
        client.get(f"/api/v1/owners/{owner_id}/documents"),
        client.get("/api/v1/search", params={"q": "khai sinh"}),
        client.get(f"/api/v1/documents/{doc['id']}/ocr"),
        anonymous.get("/api/v1/me/access-log", headers=people.auth("huong")),
        anonymous.get("/api/v1/me"),  # 401
    ):
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert "no-store" in r.headers["cache-control"], r.url
        assert "strict-transport-security" not in r.headers  # not in production
    for path in ("/healthz", "/docs", "/console/login", "/no/such/page"):
        assert anonymous.get(path).headers["x-content-type-options"] == "nosniff", path
    # Token responses (RFC 6749 §5.1), also when they refuse.
    r = anonymous.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    assert r.headers["cache-control"] == "no-store" and r.headers["pragma"] == "no-cache"


def test_hsts_in_production_only() -> None:
    app = FastAPI()

    @app.get("/x")
    def x() -> dict[str, str]:
        return {}

    production = FastAPI()
    production.mount("/", SecurityHeaders(app, production=True))
    with TestClient(production) as c:
        assert c.get("/x").headers["strict-transport-security"] == HSTS
    development = FastAPI()
    development.mount("/", SecurityHeaders(app, production=False))
    with TestClient(development) as c:
        r = c.get("/x")
        assert "strict-transport-security" not in r.headers
        assert r.headers["x-content-type-options"] == "nosniff"


# -- /docs -----------------------------------------------------------------------------------


def test_docs_come_from_the_pinned_package_under_a_csp(anonymous: TestClient) -> None:
    r = anonymous.get("/docs")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "https://" not in r.text and "<script>" not in r.text  # no CDN, no inline script
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        a = anonymous.get(f"/docs/assets/{asset}")
        assert a.status_code == 200 and len(a.content) > 10_000, asset
        assert f"/docs/assets/{asset}" in r.text
    init = anonymous.get("/docs/init.js")
    assert init.status_code == 200 and "/docs/openapi.json" in init.text
    document = anonymous.get("/docs/openapi.json").json()
    assert document["openapi"] == "3.0.3"
    assert set(document["paths"]) == set(anonymous.get("/openapi.json").json()["paths"])


def test_a_query_parameter_the_route_does_not_take_is_refused(client: TestClient) -> None:
    owner_id = create_owner(client)
    url = f"/api/v1/owners/{owner_id}/documents"
    assert client.get(url, params={"paper_type": "birth_certificate"}).status_code == 200
    # A misspelt filter would otherwise be ignored and list more than was asked for.
    r = client.get(url, params={"paper_typ": "birth_certificate"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "paper_typ"
