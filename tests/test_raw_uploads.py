"""Raw uploads, on both backends: the file as the request body, the metadata as JSON in the
`Document-Metadata` header. Stored as a multipart upload is (encrypted, audited, sniffed and
inspected), refused with the same problem details, checked before the body is read."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import Backend
from tests.factories import DEFAULT_FIELDS, create_owner, padded_pdf, pdf_bytes, png_bytes
from tests.people import People
from vault import crypto, metrics
from vault.domain import DocumentOrigin
from vault.errors import InvalidInput, PermissionDenied
from vault.runtime import Vault
from vault.services import NewDocument


def raw(
    client: TestClient,
    owner_id: str,
    data: bytes,
    *,
    metadata: dict[str, Any] | None = None,
    content_type: str = "application/pdf",
    headers: dict[str, str] | None = None,
) -> Any:
    fields = {**DEFAULT_FIELDS, **(metadata or {})}
    return client.post(
        f"/api/v1/owners/{owner_id}/documents",
        content=data,
        headers={
            "Content-Type": content_type,
            "Document-Metadata": json.dumps(fields),
            **(headers or {}),
        },
    )


def form(client: TestClient, owner_id: str, data: bytes) -> Any:
    return client.post(
        f"/api/v1/owners/{owner_id}/documents",
        data=DEFAULT_FIELDS,
        files={"file": ("x.pdf", data, "application/pdf")},
    )


def nothing_stored(client: TestClient, backend: Backend, owner_id: str) -> None:
    assert client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"] == []
    assert list(backend.store.list()) == []


def problem(response: Any) -> tuple[int, str, str, str]:
    body = response.json()
    return response.status_code, body["type"], body["title"], body["detail"]


def test_a_raw_upload_is_stored_encrypted_audited_and_reads_back(
    client: TestClient, backend: Backend, vault: Vault
) -> None:
    owner_id = create_owner(client)
    content = padded_pdf(300_000)
    r = raw(client, owner_id, content, metadata={"reference_number": "15/QĐ-UBND"})
    assert r.status_code == 201, r.text
    document = r.json()
    assert document["title"] == "Giấy khai sinh"  # sent as \u escapes in the header
    assert document["reference_number"] == "15/QĐ-UBND"
    assert document["origin"] == "issued_result"
    assert document["content"] == {
        "size": len(content),
        "media_type": "application/pdf",
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    assert r.headers["Location"] == f"/api/v1/documents/{document['id']}"
    download = client.get(f"/api/v1/documents/{document['id']}/content")
    assert download.status_code == 200 and download.content == content
    # At rest: the vault's encrypted format, not the file.
    (stored,) = list(backend.store.list())
    sealed = b"".join(backend.store.get(stored.key))
    assert sealed.startswith(crypto.MAGIC) and content[:1024] not in sealed
    assert stored.size == crypto.ciphertext_size(len(content))
    with vault.uows() as uow:
        entries = [e for e in uow.audit.iter_all() if e.action == "document.upload"]
    assert [(e.outcome, str(e.document_id)) for e in entries] == [("ok", document["id"])]


def test_hostile_files_get_the_same_problem_details_as_through_the_form(
    client: TestClient, backend: Backend
) -> None:
    owner_id = create_owner(client)
    page = b"<html><body>not a paper</body></html>\n"
    broken = pdf_bytes()[:400]  # a PDF cut off: the header sniffs, the rest does not parse
    for hostile, status in [
        (page, 415),  # no known signature
        (page + pdf_bytes(), 415),  # an HTML page with a PDF after it
        (broken, 422),
        (png_bytes() + b"%PDF-1.7 hidden", 415),  # data after the image's end
    ]:
        through_raw = raw(client, owner_id, hostile, content_type="application/pdf")
        assert through_raw.status_code == status, through_raw.text
        assert through_raw.headers["content-type"] == "application/problem+json"
        assert problem(through_raw) == problem(form(client, owner_id, hostile))
        nothing_stored(client, backend, owner_id)


@pytest.fixture
def small_uploads(backend: Backend) -> Iterator[tuple[TestClient, Vault]]:
    """The API with a 200 kB upload limit."""
    settings = backend.settings.model_copy(update={"max_upload_bytes": 200_000})
    vault = Vault.from_settings(settings, blobs=backend.store)
    people = People.make(vault)
    with TestClient(create_app(vault=vault), headers=people.auth("clerk")) as client:
        yield client, vault
    vault.close()


def test_an_oversize_raw_upload_is_413_and_stores_nothing(
    small_uploads: tuple[TestClient, Vault], backend: Backend
) -> None:
    client, _ = small_uploads
    owner_id = create_owner(client)
    big = padded_pdf(300_000)
    r = raw(client, owner_id, big)
    assert r.status_code == 413, r.text
    assert problem(r) == problem(form(client, owner_id, big))
    assert "300000 bytes; the limit is 200000" in r.json()["detail"]
    nothing_stored(client, backend, owner_id)
    # Far over the limit: refused by the body limit from its declared length, unread.
    huge = raw(client, owner_id, bytes(3 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["title"] == "Content too large"
    nothing_stored(client, backend, owner_id)
    assert raw(client, owner_id, padded_pdf(150_000)).status_code == 201


class CountingBody:
    """A request body that counts how much of it the server read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for at in range(0, len(self.data), 16 * 1024):
            piece = self.data[at : at + 16 * 1024]
            self.sent += len(piece)
            yield piece


def test_metadata_and_the_caller_are_checked_before_the_body_is_read(
    client: TestClient, backend: Backend, people: People
) -> None:
    owner_id = create_owner(client)
    url = f"/api/v1/owners/{owner_id}/documents"

    def send(headers: dict[str, str], caller: str = "clerk") -> tuple[Any, int]:
        body = CountingBody(padded_pdf(200_000))
        r = client.post(
            url,
            content=body,
            headers={"Content-Type": "application/pdf", **people.auth(caller), **headers},
        )
        return r, body.sent

    fields = json.dumps(DEFAULT_FIELDS)
    cases: list[tuple[dict[str, str], int, str]] = [
        ({}, 422, "Document-Metadata"),
        ({"Document-Metadata": "{not json"}, 422, "Document-Metadata"),
        ({"Document-Metadata": '["a list"]'}, 422, "Document-Metadata"),
        ({"Document-Metadata": json.dumps({"title": "x"})}, 422, "paper_type"),
        (
            {"Document-Metadata": json.dumps({**DEFAULT_FIELDS, "paper_type": "no_such_paper"})},
            422,
            "paper_type",
        ),
        (
            {"Document-Metadata": json.dumps({**DEFAULT_FIELDS, "issue_date": "yesterday"})},
            422,
            "issue_date",
        ),
        (
            {"Document-Metadata": json.dumps({**DEFAULT_FIELDS, "title": "bad \u0000 title"})},
            422,
            "title",
        ),
    ]
    for headers, status, field in cases:
        r, sent = send(headers)
        assert r.status_code == status, (headers, r.text)
        assert r.json()["errors"][0]["field"] == field, r.text
        # Refused on what came before the body: at most what sat in the socket's buffers.
        assert sent < 200_000, (headers, sent)
    # Non-ASCII in a header value is refused with how to send it.
    r = client.post(
        url,
        content=b"%PDF-",
        headers={
            "Content-Type": "application/pdf",
            "Document-Metadata": '{"paper_type": "birth_certificate", "title": "Giấy"}'.encode(),
        },
    )
    assert r.status_code == 422 and "\\u escapes" in r.json()["errors"][0]["detail"]
    # A caller who may not store papers is refused (403) before their metadata is looked at.
    r, sent = send({"Document-Metadata": "{not json"}, caller="auditor")
    assert r.status_code == 403 and sent < 200_000
    r, sent = send({"Document-Metadata": fields})
    assert r.status_code == 201 and sent == 200_000
    (stored,) = client.get(url).json()["items"]
    assert stored["title"] == DEFAULT_FIELDS["title"]


def test_a_raw_reissue_and_a_scan_for_a_dossier(client: TestClient, backend: Backend) -> None:
    owner_id = create_owner(client)
    first = raw(client, owner_id, pdf_bytes()).json()
    r = client.post(
        f"/api/v1/documents/{first['id']}/versions",
        content=pdf_bytes(2),
        headers={
            "Content-Type": "application/pdf",
            "Document-Metadata": json.dumps({**DEFAULT_FIELDS, "title": "Cấp lại"}),
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2 and r.json()["supersedes_id"] == first["id"]
    # A scan for a dossier that is not the owner's is refused like through the form.
    r = raw(
        client,
        owner_id,
        png_bytes(),
        metadata={"origin": "digitised", "dossier_id": str(uuid.uuid4())},
        content_type="image/png",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "dossier_id"


def test_an_upload_counts_its_cpu_by_stage(client: TestClient) -> None:
    owner_id = create_owner(client)

    def spent() -> dict[str, float]:
        return {
            stage: metrics.REGISTRY.get_sample_value(
                "vault_upload_cpu_seconds_total", {"stage": stage}
            )
            or 0.0
            for stage in metrics.UPLOAD_STAGES
        }

    for send in (raw, form):
        before = spent()
        assert send(client, owner_id, padded_pdf(2 * 1024 * 1024)).status_code == 201
        after = spent()
        assert all(after[stage] > before[stage] for stage in metrics.UPLOAD_STAGES), (
            send.__name__,
            before,
            after,
        )


def test_an_authorisation_covers_only_its_own_unit_of_work_actor_and_owner(
    client: TestClient, vault: Vault, people: People
) -> None:
    """What `authorise_upload` decided is reused by `upload` (no second look-up) only for the
    same unit of work, actor, owner and dossier: anything else is checked from scratch."""
    owner_id = uuid.UUID(create_owner(client))
    meta = NewDocument(
        paper_type="birth_certificate", title="Giấy khai sinh", origin=DocumentOrigin.ISSUED_RESULT
    )
    clerk, other_clerk = people.actor("clerk"), people.actor("other_clerk")
    with vault.uows() as uow:
        decided = vault.documents.authorise_upload(uow, clerk, owner_id, meta, None)
        assert decided.meta.issuer_agency_code == clerk.agency_code  # what the role implies
        # Another agency's officer cannot ride on the clerk's decision: their own is checked
        # (an issuer stores only what its own agency issued).
        with pytest.raises(PermissionDenied):
            vault.documents.upload(
                uow,
                other_clerk,
                owner_id,
                replace(meta, issuer_agency_code=clerk.agency_code),
                io.BytesIO(pdf_bytes()),
                authorised=decided,
            )
    with vault.uows() as uow:
        # A decision from another unit of work is not taken either: the paper type is
        # checked again, and refused.
        unknown = replace(meta, paper_type="no_such_paper")
        with pytest.raises(InvalidInput):
            vault.documents.upload(
                uow, clerk, owner_id, unknown, io.BytesIO(pdf_bytes()), authorised=decided
            )
        stored = vault.documents.upload(
            uow,
            clerk,
            owner_id,
            meta,
            io.BytesIO(pdf_bytes()),
            authorised=vault.documents.authorise_upload(uow, clerk, owner_id, meta, None),
        )
        uow.commit()
    assert stored.issuer_agency_code == clerk.agency_code and stored.title == "Giấy khai sinh"
