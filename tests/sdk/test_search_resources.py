"""Search and OCR through both clients, against the API served for real: one tiny scanned
page OCRed by a real worker (Tesseract) in the test, then its status, text, searchable copy
and search hits read through the SDK."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
from vault_client import (
    AsyncCursorPage,
    AsyncVaultClient,
    BadRequestError,
    CursorPage,
    NotFoundError,
    PermissionDeniedError,
    VaultClient,
)
from vault_client.types import (
    Document,
    MatchKind,
    OcrStatus,
    Owner,
    PageSource,
    SearchHit,
    SuggestionKind,
)

from ocr.search import reindex
from ocr.worker import run_worker
from tests.factories import CITIZEN_ID, OTHER_CITIZEN_ID, pdf_bytes
from tests.ocr.vault_support import text_page
from tests.people import People
from vault.runtime import Vault

NAME = "Nguyễn Thị Hương"
NUMBER = "15/QĐ-UBND"


def scan() -> bytes:
    """One short page (A4 wide, three lines tall) at 300 dpi: seconds of OCR."""
    return text_page(f"Cấp cho bà {NAME}", f"Số: {NUMBER}", heading="QUYẾT ĐỊNH")


def _stored(client: VaultClient, owner: Owner) -> Document:
    return client.documents.upload(
        owner,
        scan(),
        paper_type="procedure_result",
        title="Quyết định cấp phép",
        origin="issued_result",
        issue_date=date(2025, 1, 10),
        filename="quyet-dinh.png",
    )


def test_ocr_status_text_searchable_copy_and_search(
    sdk: VaultClient, vault: Vault, people: People, live: str, tmp_path: Path
) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name=NAME)
    document = _stored(sdk, owner)
    other = sdk.documents.upload(  # a paper with none of the words, and no OCR to do
        owner, pdf_bytes(), paper_type="chip_id_card", title="Căn cước", origin="issued_result"
    )

    pending = sdk.ocr.status(document)
    assert pending.document_id == document.id
    assert pending.state.status is OcrStatus.PENDING and pending.confidence is None
    assert not pending.searchable_copy and pending.pages == []
    with pytest.raises(NotFoundError):  # no text before OCR
        sdk.ocr.text(document)
    with pytest.raises(NotFoundError):
        sdk.ocr.download_searchable_copy(document, tmp_path / "none.pdf")
    assert not (tmp_path / "none.pdf").exists()
    with pytest.raises(TimeoutError):
        sdk.ocr.wait(document, timeout=0.05, interval=0.01)

    assert run_worker(vault, once=True) >= 1  # what `vault worker` does

    report = sdk.ocr.wait(document, timeout=10)
    assert report.state.status is OcrStatus.DONE and report.state.attempts == 1
    assert report.state.error is None and report.state.updated_at is not None
    assert report.confidence is not None and 0.5 < report.confidence <= 1
    assert [p.number for p in report.pages] == [1] and report.searchable_copy
    suggested = {(s.kind, s.name): s.value for s in report.suggestions}
    assert suggested[(SuggestionKind.FIELD, "reference_number")] == NUMBER

    text = sdk.ocr.text(document.id)
    assert text.document_id == document.id and len(text.pages) == 1
    (page,) = text.pages
    assert page.source is PageSource.OCR and NAME in page.text and NUMBER in text.text

    # The searchable copy, streamed to a path and to a stream, checked against the vault's.
    progress: list[int] = []
    target = tmp_path / "searchable.pdf"
    got = sdk.ocr.download_searchable_copy(
        document, target, on_progress=lambda n, _: progress.append(n)
    )
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF-") and got.verified and got.size == len(pdf)
    assert got.document_id == document.id and got.media_type == "application/pdf"
    assert got.sha256 == hashlib.sha256(pdf).hexdigest() and progress[-1] == len(pdf)
    layer = pypdfium2.PdfDocument(pdf)
    try:
        assert "Hương" in layer[0].get_textpage().get_text_range()
    finally:
        layer.close()
    sink = io.BytesIO()
    assert sdk.ocr.download_searchable_copy(document, sink).path is None
    assert sink.getvalue() == pdf

    # Search: diacritics or not, the number as typed; exact spellings first.
    hits = sdk.search.documents("nguyen thi huong")
    assert isinstance(hits, CursorPage)
    (hit,) = hits.items
    assert isinstance(hit, SearchHit) and hit.document.id == document.id
    assert hit.match is MatchKind.FOLDED and hit.page == 1
    start, end = hit.snippet.highlights[0]
    assert hit.snippet.text[start:end] in NAME.split()
    assert "<mark>" in hit.snippet.html
    exact = sdk.search.documents(NAME).items[0]
    assert exact.match is MatchKind.EXACT
    assert [h.document.id for h in sdk.search.documents(NUMBER)] == [document.id]
    assert list(sdk.search.documents("nguyen", paper_type="chip_id_card")) == []
    assert list(sdk.search.documents("nguyen", issued_to=date(2024, 12, 31))) == []
    assert len(sdk.search.documents("nguyen", owner=owner, issued_from=date(2025, 1, 1)).items) == 1
    # The title is searched too (no page, the snippet is the title).
    titled = sdk.search.documents("can cuoc").items
    assert [(h.document.id, h.page) for h in titled] == [(other.id, None)]

    # Papers the caller may not see are neither found nor read.
    with VaultClient(live, access_token=people.token("other_clerk")) as stranger:  # elsewhere
        assert list(stranger.search.documents("nguyen thi huong")) == []
        with pytest.raises(PermissionDeniedError):
            stranger.ocr.status(document)
        with pytest.raises(PermissionDeniedError):
            stranger.ocr.text(document)
    with pytest.raises(BadRequestError) as too_long:
        sdk.search.documents("x" * 201)
    assert [e.field for e in too_long.value.field_errors] == ["q"]
    with pytest.raises(ValueError, match="at least one word"):
        sdk.search.documents("   ")  # never sent


def test_search_pages_as_an_iterator(sdk: VaultClient, vault: Vault) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=OTHER_CITIZEN_ID, display_name="Lê Văn")
    papers = [
        sdk.documents.upload(
            owner,
            pdf_bytes(),
            paper_type="procedure_result",
            title=f"Giấy phép kinh doanh số {n}",
            origin="issued_result",
        )
        for n in range(5)
    ]
    reindex(vault.uows)  # titles indexed, no OCR needed
    first = sdk.search.documents("giay phep", limit=2)
    assert len(first.items) == 2 and first.has_next_page()
    assert [len(p.items) for p in first.iter_pages()] == [2, 2, 1]
    everything = [h.document.id for h in first]
    assert sorted(everything) == sorted(d.id for d in papers)  # each paper once
    resumed = sdk.search.documents("giay phep", limit=2, cursor=first.next_cursor)
    assert [h.document.id for h in resumed.items] == everything[2:4]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
@pytest.mark.anyio
async def test_the_async_client_reads_ocr_and_searches(
    async_sdk: AsyncVaultClient, vault: Vault, tmp_path: Path
) -> None:
    client = async_sdk
    owner = await client.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name=NAME)
    document = await client.documents.upload(
        owner,
        scan(),
        paper_type="procedure_result",
        title="Quyết định cấp phép",
        origin="issued_result",
    )
    assert (await client.ocr.status(document)).state.status is OcrStatus.PENDING
    assert run_worker(vault, once=True) >= 1
    report = await client.ocr.wait(document, timeout=10, interval=0.05)
    assert report.state.status is OcrStatus.DONE and report.searchable_copy
    text = await client.ocr.text(document)
    assert NAME in text.text
    target = tmp_path / "searchable.pdf"
    got = await client.ocr.download_searchable_copy(document, target)
    assert got.verified and target.read_bytes().startswith(b"%PDF-")

    page = await client.search.documents("nguyen thi huong", limit=1)
    assert isinstance(page, AsyncCursorPage) and page.items[0].document.id == document.id
    assert [h.document.id async for h in client.search.documents(NUMBER)] == [document.id]
    with pytest.raises(NotFoundError):
        await client.ocr.text("00000000-0000-4000-8000-000000000000")
