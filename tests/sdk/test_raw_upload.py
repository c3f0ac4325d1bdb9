"""The SDK stores documents as raw uploads (the file as the body, the metadata as JSON in the
Document-Metadata header), against the real vault: Vietnamese metadata arrives intact, and
hostile files give the same precise errors as the form."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from vault_client import APIStatusError, AsyncVaultClient, VaultClient
from vault_client.types.enums import DocumentOrigin

from tests.factories import CITIZEN_ID, padded_pdf, pdf_bytes, png_bytes


def test_the_sdk_uploads_raw_with_its_metadata(sdk: VaultClient, tmp_path: Path) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    content = padded_pdf(1024 * 1024 + 7)
    scan = tmp_path / "scan.bin"  # a name that says nothing: the vault sniffs the content
    scan.write_bytes(content)
    stored = sdk.documents.upload(
        owner,
        scan,
        paper_type="birth_certificate",
        title="Trích lục khai sinh — bản sao",
        origin=DocumentOrigin.ISSUED_RESULT,
        reference_number="15/QĐ-UBND",
    )
    assert stored.title == "Trích lục khai sinh — bản sao"
    assert stored.reference_number == "15/QĐ-UBND"
    assert stored.content.media_type == "application/pdf"
    assert stored.content.sha256 == hashlib.sha256(content).hexdigest()
    out = tmp_path / "back.pdf"
    assert sdk.documents.download(stored, out).verified
    assert out.read_bytes() == content


def test_hostile_files_through_the_sdk_are_refused_precisely(sdk: VaultClient) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    page = b"<html><body>not a paper</body></html>\n"
    for hostile, status, words in [
        (page, 415, "only PDF, JPEG, PNG and TIFF"),
        (page + pdf_bytes(), 415, "before its %PDF- header"),
        (pdf_bytes()[:400], 422, "PDF"),
        (png_bytes() + b"%PDF-1.7", 415, "after its IEND chunk"),
    ]:
        with pytest.raises(APIStatusError) as refused:
            sdk.documents.upload(
                owner,
                io.BytesIO(hostile),
                paper_type="birth_certificate",
                title="Giấy khai sinh",
                origin="issued_result",
            )
        assert refused.value.status_code == status
        assert words in refused.value.detail
    # Metadata the vault refuses names its field, as the form's would.
    with pytest.raises(APIStatusError) as refused:
        sdk.documents.upload(
            owner, pdf_bytes(), paper_type="no_such_paper", title="x", origin="issued_result"
        )
    assert refused.value.status_code == 422
    assert [e.field for e in refused.value.field_errors] == ["paper_type"]
    assert list(sdk.documents.list(owner=owner)) == []


@pytest.mark.anyio
async def test_the_async_sdk_uploads_raw(async_sdk: AsyncVaultClient) -> None:
    owner = await async_sdk.owners.create(
        kind="citizen", identifier=CITIZEN_ID, display_name="Hương"
    )
    progress: list[tuple[int, int | None]] = []
    stored = await async_sdk.documents.upload(
        owner,
        png_bytes(),
        paper_type="birth_certificate",
        title="Ảnh chụp giấy khai sinh",
        origin="issued_result",
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert stored.title == "Ảnh chụp giấy khai sinh"
    assert stored.content.media_type == "image/png"
    assert progress[-1] == (len(png_bytes()), len(png_bytes()))
