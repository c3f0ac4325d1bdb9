"""The batch import API: print sheets, submit a scanned batch (the same file twice makes one
batch), follow its progress, review its parts; who may and who may not."""

from __future__ import annotations

import io

import pypdfium2
from fastapi.testclient import TestClient
from PIL import Image

from api.job_handlers import job_runner
from signing.verify import Verifier
from tests.conftest import api_app
from tests.factories import CITIZEN_ID, create_owner
from tests.ocr.batch_support import ScanPage, blank_page, scanned_pdf, text_page
from tests.people import People
from vault.runtime import Vault

DECISION = ("QUYẾT ĐỊNH", "Số: 15/QĐ-UBND", "Về việc cấp giấy phép xây dựng")


def scanned_sheets(pdf: bytes) -> list[ScanPage]:
    """The printed sheets as a scanner would see them."""
    document = pypdfium2.PdfDocument(pdf)
    pages = [ScanPage(p.render(scale=150 / 72, grayscale=True).to_pil(), 150) for p in document]
    document.close()
    return pages


def test_sheets_batch_progress_and_review_through_the_api(
    client: TestClient, vault: Vault, people: People, test_verifier: Verifier
) -> None:
    owner_id = create_owner(client)
    r = client.post(
        "/api/v1/separator-sheets",
        json={"sheets": [{"owner_id": owner_id, "paper_type": "procedure_result"}]},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert CITIZEN_ID.encode() not in r.content  # the personal number is never printed
    (sheet,) = scanned_sheets(r.content)
    batch_file = scanned_pdf([sheet, text_page(*DECISION), blank_page(), text_page("Trang 2")])

    r = client.post(
        "/api/v1/import-batches?file_name=scan-01.pdf",
        content=batch_file,
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    batch = r.json()
    assert batch["status"] == "queued" and batch["progress"]["pages"] == 4
    again = client.post(
        "/api/v1/import-batches?file_name=again.pdf",
        content=batch_file,
        headers={"Content-Type": "application/pdf"},
    )
    assert again.status_code == 200 and again.json()["id"] == batch["id"]

    assert job_runner(vault, kinds=["import"]).run(once=True) == 1
    done = client.get(f"/api/v1/import-batches/{batch['id']}").json()
    assert done["status"] == "done"
    assert done["progress"]["pages_done"] == 4 and done["progress"]["parts"] == 1
    assert done["progress"]["pages_per_minute"] > 0

    (part,) = client.get("/api/v1/import-parts", params={"batch_id": batch["id"]}).json()
    assert part["owner_id"] == owner_id and part["pages"] == [2, 4]
    assert part["paper_type"] == "procedure_result"
    png = client.get(f"/api/v1/import-parts/{part['id']}/pages/1")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size[0] > 500
    assert client.get(f"/api/v1/import-parts/{part['id']}/pages/3").status_code == 404

    # Another agency's receiving officer: no such batch. Without the role: refused.
    with TestClient(api_app(vault, test_verifier), headers=people.auth("other_receiver")) as other:
        assert other.get(f"/api/v1/import-batches/{batch['id']}").status_code == 404
        assert other.post(f"/api/v1/import-parts/{part['id']}/approve", json={}).status_code == 404
        assert other.get("/api/v1/import-parts").json() == []
    with TestClient(api_app(vault, test_verifier), headers=people.auth("issuer")) as issuer:
        assert issuer.get("/api/v1/import-parts").status_code == 403
        assert (
            issuer.post(
                "/api/v1/import-batches",
                content=batch_file,
                headers={"Content-Type": "application/pdf"},
            ).status_code
            == 403
        )

    bad = client.post(f"/api/v1/import-parts/{part['id']}/rotate", json={"degrees": 45})
    assert bad.status_code == 422
    r = client.post(f"/api/v1/import-parts/{part['id']}/approve", json={})
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "approved" and approved["document_id"]
    # In the owner's warehouse, as a digitised paper; the officer who approved it is on record.
    people.owner_account(owner_id, "owner-of-batch")
    with TestClient(api_app(vault, test_verifier), headers=people.auth("owner-of-batch")) as me:
        (paper,) = me.get(f"/api/v1/owners/{owner_id}/documents").json()["items"]
    assert paper["id"] == approved["document_id"] and paper["origin"] == "digitised"
    assert approved["reviewed_by"] == str(people.accounts["clerk"].id)
    assert (
        client.post(f"/api/v1/import-parts/{part['id']}/reject", json={"reason": "x"}).status_code
        == 409
    )


def test_a_file_that_is_no_scan_is_refused(client: TestClient) -> None:
    r = client.post(
        "/api/v1/import-batches",
        content=b"not a scan at all",
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 415, r.text
    assert client.get("/api/v1/import-batches").json() == []
