"""The SDK's batch import methods against a live server: sheets, a batch (sent twice, made
once), its progress, and the review queue, sync and async."""

from __future__ import annotations

import pypdfium2
import pytest
from vault_client import AsyncVaultClient, ConflictError, NotFoundError, VaultClient
from vault_client.types import SeparatorSheet

from api.job_handlers import job_runner
from tests.factories import CITIZEN_ID
from tests.ocr.batch_support import ScanPage, blank_page, scanned_pdf, text_page
from vault.runtime import Vault


def scanned(pdf: bytes) -> list[ScanPage]:
    document = pypdfium2.PdfDocument(pdf)
    pages = [ScanPage(p.render(scale=150 / 72, grayscale=True).to_pil(), 150) for p in document]
    document.close()
    return pages


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_import_a_batch_and_review_it(sdk: VaultClient, vault: Vault) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    pdf = sdk.imports.separator_sheets([SeparatorSheet(owner.id, "procedure_result")])
    (sheet,) = scanned(pdf)
    batch_file = scanned_pdf(
        [sheet, text_page("QUYẾT ĐỊNH", "Số: 15/QĐ-UBND"), blank_page(), text_page("Trang 2")]
    )
    batch = sdk.imports.submit(batch_file, file_name="scan.pdf")
    assert batch.status == "queued" and batch.progress.pages == 4
    assert sdk.imports.submit(batch_file).id == batch.id  # made once
    assert job_runner(vault, kinds=["import"]).run(once=True) == 1
    done = sdk.imports.wait(batch.id, poll_seconds=0.1, timeout=30)
    assert done.finished and done.progress.parts == 1
    assert [b.id for b in sdk.imports.batches()] == [batch.id]
    (part,) = sdk.imports.parts(batch_id=batch.id)
    assert part.owner_id == owner.id and part.pages == [2, 4]
    assert sdk.imports.page_image(part.id, 1).startswith(b"\x89PNG")
    first, second = sdk.imports.split(part.id, 2)
    merged = sdk.imports.merge(first.id)
    assert merged.pages == [2, 4] and second.pages == [4]
    assert sdk.imports.rotate(part.id).rotation == 90
    corrected = sdk.imports.correct(part.id, fields={"reference_number": "15/QĐ-UBND"})
    assert corrected.field("reference_number") is not None
    approved = sdk.imports.approve(part.id)
    assert approved.status == "approved" and approved.document_id is not None
    with pytest.raises(ConflictError):
        sdk.imports.reject(part.id, "too late")
    with pytest.raises(NotFoundError):
        sdk.imports.part(batch.id)  # a batch id is no part's


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
async def test_the_async_client_has_the_same_methods(async_sdk: AsyncVaultClient) -> None:
    assert await async_sdk.imports.batches() == []
    assert await async_sdk.imports.parts() == []
