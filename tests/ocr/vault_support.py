"""Helpers for the OCR job and search tests: owners, papers, text pages, raw stored files."""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from api import create_app
from api.routers import search as search_router
from ocr.db import TextRepository
from ocr.search import index_document
from tests.ocr import corpus
from vault import crypto
from vault.auth import Actor
from vault.domain import (
    Blob,
    Document,
    DocumentOrigin,
    DocumentStatus,
    MediaType,
    OwnerKind,
    new_id,
)
from vault.jobs import OCR_KIND, JobSubject
from vault.runtime import Vault
from vault.services import NewDocument
from vault.services.documents import object_key
from vault.texts import ExtractedPage, PageSource


def text_page(*lines: str, heading: str | None = None) -> bytes:
    """A clean 300 dpi PNG scan of these lines (Noto Serif or DejaVu Serif)."""
    body = [corpus.Line(heading, "heading", "center")] if heading else []
    body += [corpus.Line(line) for line in lines]
    return corpus.clean(corpus.Document("page", tuple(body))).data


def new_owner(vault: Vault, actor: Actor, identifier: str, name: str) -> uuid.UUID:
    with vault.uows() as uow:
        owner, _ = vault.owners.register(uow, actor, OwnerKind.CITIZEN, identifier, name)
        uow.commit()
    return owner.id


def store(
    vault: Vault,
    actor: Actor,
    owner_id: uuid.UUID,
    content: bytes,
    *,
    title: str = "Quyết định",
    paper_type: str = "procedure_result",
    reference_number: str | None = None,
    issue_date: date | None = None,
) -> Document:
    """A paper the actor's agency issued, stored through the document service (which
    enqueues its OCR job)."""
    meta = NewDocument(
        paper_type=paper_type,
        title=title,
        origin=DocumentOrigin.ISSUED_RESULT,
        reference_number=reference_number,
        issue_date=issue_date,
    )
    with vault.uows() as uow:
        document = vault.documents.upload(uow, actor, owner_id, meta, io.BytesIO(content))
        uow.commit()
    return document


def with_text(vault: Vault, document: Document, *pages: str) -> None:
    """Records `pages` as the document's extracted text and indexes it, as a worker would
    after OCR (for search tests that need no engine)."""
    with vault.uows() as uow:
        uow.repository(TextRepository).save_extraction(
            document.id,
            [ExtractedPage(n, text, 0.95, PageSource.OCR) for n, text in enumerate(pages, 1)],
            0.95,
        )
        index_document(uow, document, list(pages))
        uow.commit()


def store_raw(
    vault: Vault,
    owner_id: uuid.UUID,
    data: bytes,
    media_type: MediaType = MediaType.PNG,
    *,
    title: str = "Tệp hỏng",
) -> Document:
    """Stores bytes as a document without the upload's checks (a file that got in under
    other limits, or was damaged since): what a worker must survive. Enqueues its OCR job."""
    blob_id = new_id()
    key = object_key(blob_id)
    data_key = os.urandom(32)
    key_id, wrapped = vault.keyring.wrap(blob_id, data_key)
    reader = crypto.EncryptingReader(io.BytesIO(data), data_key, max_size=max(1, len(data)))
    with vault.uows() as uow:
        uow.wrote_object(key)
        uow.blobs.put(key, reader, crypto.ciphertext_size(len(data)))
        blob = Blob(blob_id, key, len(data), media_type, reader.result.sha256, key_id)
        document_id = new_id()
        document = Document(
            id=document_id,
            owner_id=owner_id,
            paper_type="procedure_result",
            title=title,
            reference_number=None,
            issuer_agency_code="000.00.15.H57",
            issue_date=None,
            valid_until=None,
            origin=DocumentOrigin.ISSUED_RESULT,
            status=DocumentStatus.CURRENT,
            lineage_id=document_id,
            version=1,
            supersedes_id=None,
            blob=blob,
            created_at=datetime.now(UTC),
        )
        uow.documents.add(document, wrapped)
        uow.flush()
        uow.jobs.enqueue(OCR_KIND, subject=JobSubject.document(document.id))
        uow.commit()
    return document


@contextlib.contextmanager
def api_client(vault: Vault, headers: dict[str, str]) -> Iterator[TestClient]:
    """The API with the search router, whether or not the app includes it yet."""
    app = create_app(vault=vault)
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/api/v1/search" not in paths:
        app.include_router(search_router.router, prefix="/api/v1")
    with TestClient(app, headers=headers) as client:
        yield client
