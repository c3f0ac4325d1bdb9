"""Batch import (issue 19) through the job runner and the review queue: a ~30-page scanned
batch with separator sheets, blank pages and damaged pages becomes parts of the right owners,
nothing is published before an officer approves it, re-importing creates nothing twice, an
interrupted batch resumes, and only the scanning agency's receiving officers see its parts."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pypdfium2
import pytest

from api.job_handlers import job_runner
from ocr.batches.model import BatchStatus, PartStatus, SheetFields
from ocr.batches.pages import page_count
from ocr.batches.service import BatchService, Review, SheetRequest
from ocr.batches.sheets import parse_sheet
from ocr.db.batches import BatchRepository
from tests.ocr import corpus
from tests.ocr.batch_support import (
    ScanPage,
    blank_page,
    damaged_page,
    paper_page,
    scanned_pdf,
    scanned_tiff,
    sheet_page,
    text_page,
    unknown_owner_sheet,
)
from tests.people import AGENCY, People
from vault.auth import Actor
from vault.domain import DocumentOrigin, MediaType, OwnerKind
from vault.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vault.runtime import Vault
from vault.services import DocumentFilters, lookups
from vault.services.dossiers import NewDossier

HUONG = "075324001234"  # the birth certificate's child (corpus.BIRTH_CERTIFICATE)
TUNG = "075090004567"  # the criminal record extract's subject
BAO = "075094012345"  # the marriage certificate's husband
DECISION = ("QUYẾT ĐỊNH", "Số: 15/QĐ-UBND", "Về việc cấp giấy phép xây dựng")


def owner(vault: Vault, actor: Actor, identifier: str, name: str) -> uuid.UUID:
    with vault.uows() as uow:
        found, _ = vault.owners.register(uow, actor, OwnerKind.CITIZEN, identifier, name)
        uow.commit()
    return found.id


def sheets(vault: Vault, actor: Actor, *requests: SheetRequest) -> list[SheetFields]:
    """Prints the sheets through the service and reads their codes back from the PDF."""
    import zxingcpp

    with vault.uows() as uow:
        pdf = BatchService(vault.keyring, vault.documents).print_sheets(uow, actor, requests)
        uow.commit()
    document = pypdfium2.PdfDocument(pdf)
    found = []
    for page in document:
        image = page.render(scale=150 / 72, grayscale=True).to_pil()
        (code,) = zxingcpp.read_barcodes(image)
        fields = parse_sheet(code.text)
        assert fields is not None
        found.append(fields)
    document.close()
    return found


def run_imports(vault: Vault) -> int:
    return job_runner(vault, kinds=["import"]).run(once=True)


@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_a_thirty_page_batch_reaches_the_right_warehouses_through_review(
    vault: Vault, people: People
) -> None:
    receiver = people.actor("receiver")
    service = BatchService(vault.keyring, vault.documents)
    huong = owner(vault, receiver, HUONG, "Nguyễn Thị Hương")
    tung = owner(vault, receiver, TUNG, "Võ Thanh Tùng")
    bao = owner(vault, receiver, BAO, "Phạm Quốc Bảo")
    with vault.uows() as uow:
        dossier, _ = vault.dossiers.create(
            uow,
            receiver,
            NewDossier(
                f"{AGENCY}-250115-0007",
                "1.001193",
                bao,
                received_at=datetime(2025, 1, 15, 9, 30, tzinfo=UTC),
            ),
        )
        uow.commit()
    (s_birth, s_tung, s_marriage, s_lost, s_result, s_record, s_birth2, s_bao, s_tung2) = sheets(
        vault,
        receiver,
        SheetRequest(huong, "birth_certificate"),
        SheetRequest(tung),
        SheetRequest(bao, "marriage_certificate", dossier.id),
        SheetRequest(huong, "birth_certificate"),
        SheetRequest(huong, "procedure_result", result_reference="15/QĐ-UBND"),
        SheetRequest(tung, "criminal_record_extract"),
        SheetRequest(huong, "birth_certificate"),
        SheetRequest(bao),
        SheetRequest(tung, "procedure_result"),
    )
    pages: list[ScanPage] = [
        sheet_page(s_birth),  # 1
        paper_page(corpus.BIRTH_CERTIFICATE),  # 2
        blank_page(),  # 3
        sheet_page(s_tung),  # 4: no paper type on the sheet
        paper_page(corpus.CRIMINAL_RECORD_EXTRACT),  # 5
        text_page("Trang 2", "Xác nhận của cơ quan cấp"),  # 6
        blank_page(),  # 7
        sheet_page(s_marriage),  # 8
        paper_page(corpus.MARRIAGE_CERTIFICATE),  # 9
        damaged_page(),  # 10
        sheet_page(unknown_owner_sheet("birth_certificate")),  # 11
        text_page("Giấy tờ của một người khác", "Không rõ chủ sở hữu"),  # 12
        sheet_page(s_lost, unreadable=True),  # 13
        paper_page(corpus.CERTIFIED_COPY),  # 14
        blank_page(),  # 15
        sheet_page(s_result),  # 16
        text_page(*DECISION),  # 17
        text_page("Điều 2. Quyết định có hiệu lực kể từ ngày ký."),  # 18
        sheet_page(s_record),  # 19
        paper_page(corpus.CRIMINAL_RECORD_EXTRACT),  # 20
        damaged_page(),  # 21
        blank_page(),  # 22
        sheet_page(s_birth2),  # 23
        paper_page(corpus.BIRTH_CERTIFICATE),  # 24
        sheet_page(s_bao),  # 25
        text_page("Đơn đề nghị", "Kính gửi: Ủy ban nhân dân phường"),  # 26
        blank_page(),  # 27
        sheet_page(s_tung2),  # 28
        text_page(*DECISION),  # 29
        text_page("Nơi nhận: như Điều 3"),  # 30
    ]
    batch_file = scanned_pdf(pages)
    assert page_count(batch_file, MediaType.PDF) == 30

    with vault.uows() as uow:
        batch, created = service.submit(uow, receiver, "scanner-0001.pdf", batch_file)
        uow.commit()
    assert created and batch.status is BatchStatus.QUEUED and batch.page_count == 30
    assert run_imports(vault) == 1

    with vault.uows() as uow:
        batch = service.batch(uow, receiver, batch.id)
        parts = service.parts(uow, receiver, batch_id=batch.id)
    assert batch.status is BatchStatus.DONE
    assert (batch.pages_done, batch.part_count, batch.error_count) == (30, 10, 2)
    assert batch.rate_per_minute is not None and batch.rate_per_minute > 0
    # Separators and blank pages dropped; damaged pages kept in their part, with the reason.
    assert [p.pages for p in parts] == [
        (2,),
        (5, 6),
        (9, 10),
        (12,),
        (14,),
        (17, 18),
        (20, 21),
        (24,),
        (26,),
        (29, 30),
    ]
    by_pages = {p.pages: p for p in parts}
    birth = by_pages[(2,)]
    assert (birth.owner_id, birth.paper_type, birth.suggested_type) == (
        huong,
        "birth_certificate",
        "birth_certificate",
    )
    assert birth.field_named("id_number") is not None
    assert birth.field_named("id_number").value == HUONG  # type: ignore[union-attr]
    record = by_pages[(5, 6)]
    assert record.owner_id == tung and record.paper_type is None
    assert record.suggested_type == "criminal_record_extract"  # classified: the sheet said none
    marriage = by_pages[(9, 10)]
    assert marriage.owner_id == bao and marriage.dossier_id == dossier.id
    assert any("page 10" in p and "broken" in p for p in marriage.problems)
    stranger = by_pages[(12,)]
    assert stranger.owner_id is None
    assert "the separator sheet names an owner the vault does not know" in stranger.problems
    smudged = by_pages[(14,)]
    assert smudged.owner_id is None
    assert "the separator sheet's QR code could not be read" in smudged.problems
    assert any("page 21" in p for p in by_pages[(20, 21)].problems)
    assert all(p.status is PartStatus.PENDING for p in parts)

    # Nothing is published before review.
    with vault.uows() as uow:
        for someone in (huong, tung, bao):
            assert not vault.documents.has_papers(uow, someone)

    # The same file again: the same batch, no second job, no second set of parts.
    with vault.uows() as uow:
        again, created = service.submit(uow, receiver, "scanner-0001 (copy).pdf", batch_file)
        uow.commit()
    assert not created and again.id == batch.id
    assert run_imports(vault) == 0

    # -- review ---------------------------------------------------------------------------
    with vault.uows() as uow:
        approved = service.approve(uow, receiver, birth.id)
        uow.commit()
    assert approved.status is PartStatus.APPROVED and approved.reviewed_by == receiver.account_id
    with vault.uows() as uow, pytest.raises(Conflict):
        service.approve(uow, receiver, birth.id)  # approving twice files nothing twice

    # Split a part in two, then merge it back.
    with vault.uows() as uow:
        first, second = service.split(uow, receiver, record.id, 2)
        uow.commit()
    assert (first.pages, second.pages) == ((5,), (6,))
    with vault.uows() as uow:
        merged = service.merge(uow, receiver, first.id)
        uow.commit()
    assert merged.pages == (5, 6)
    # Correct a field (kept as training data) and accept the suggested type.
    with vault.uows() as uow:
        service.approve(
            uow,
            receiver,
            record.id,
            Review(paper_type="criminal_record_extract", fields={"full_name": "Võ Thanh Tùng"}),
        )
        uow.commit()
    with vault.uows() as uow:
        training = service.corrections(uow, receiver)
    # The officer wrote the name as it is spelt, not in the form's capitals: kept with what
    # was read, for the field extractor to learn from.
    assert [(t["field"], t["suggested"], t["corrected"]) for t in training] == [
        ("full_name", "VÕ THANH TÙNG", "Võ Thanh Tùng")
    ]

    with vault.uows() as uow:
        service.approve(uow, receiver, marriage.id)
        uow.commit()
    # An unknown owner on the sheet: never filed until the officer names the owner.
    with vault.uows() as uow, pytest.raises(InvalidInput):
        service.approve(uow, receiver, stranger.id)
    with vault.uows() as uow:
        service.reject(uow, receiver, stranger.id, "not a paper of this batch's owners")
        service.rotate(uow, receiver, smudged.id, 90)
        service.approve(
            uow, receiver, smudged.id, Review(owner_id=huong, paper_type="birth_certificate")
        )
        service.approve(uow, receiver, by_pages[(17, 18)].id)
        uow.commit()

    with vault.uows() as uow:
        mine = vault.documents.list_for_owner(
            uow, people.actor("receiver"), bao, DocumentFilters()
        ).items
        parts_now = {p.id: p for p in service.parts(uow, receiver, batch_id=batch.id, status=None)}
    # The marriage certificate went to Bảo's open dossier, as a digitised paper.
    assert [d.origin for d in mine] == [DocumentOrigin.DIGITISED]
    assert mine[0].paper_type == "marriage_certificate"
    published = parts_now[marriage.id]
    assert published.document_id == mine[0].id and published.reviewed_by == receiver.account_id
    with vault.uows() as uow:
        stored = vault.documents.read_content(uow, mine[0])
        pdf = pypdfium2.PdfDocument(b"".join(stored.chunks))
        assert len(pdf) == 2  # the marriage certificate and its damaged second page
        pdf.close()
    assert parts_now[stranger.id].status is PartStatus.REJECTED
    rotated = parts_now[smudged.id]
    assert rotated.owner_id == huong and rotated.status is PartStatus.APPROVED
    with vault.uows() as uow:
        for part_id, who in ((birth.id, huong), (record.id, tung), (smudged.id, huong)):
            document_id = parts_now[part_id].document_id
            assert document_id is not None
            document = lookups.document(uow, document_id)
            assert document is not None
            assert document.owner_id == who and document.origin is DocumentOrigin.DIGITISED
        # Who approved is on the audit record of the upload.
        assert uow.repository(BatchRepository).part(birth.id).reviewed_by == receiver.account_id  # type: ignore[union-attr]

    # Another agency's receiving officer, and an officer without the role, see nothing.
    with vault.uows() as uow:
        with pytest.raises(NotFound):
            service.batch(uow, people.actor("other_receiver"), batch.id)
        with pytest.raises(NotFound):
            service.part(uow, people.actor("other_receiver"), record.id)
        with pytest.raises(PermissionDenied):
            service.parts(uow, people.actor("issuer"))


def small_batch(vault: Vault, actor: Actor) -> tuple[bytes, uuid.UUID]:
    huong = owner(vault, actor, HUONG, "Nguyễn Thị Hương")
    (sheet,) = sheets(vault, actor, SheetRequest(huong, "procedure_result"))
    pages = [sheet_page(sheet)] + [text_page(f"Trang {n}", *DECISION[1:]) for n in range(1, 25)]
    pages += [blank_page(), text_page("Trang cuối")]
    return scanned_tiff(pages), huong


def test_an_interrupted_batch_resumes_where_it_stopped(vault: Vault, people: People) -> None:
    receiver = people.actor("receiver")
    service = BatchService(vault.keyring, vault.documents)
    data, huong = small_batch(vault, receiver)
    with vault.uows() as uow:
        batch, _ = service.submit(uow, receiver, "tiff-batch.tif", data)
        uow.commit()
    # A worker reads the batch; once some pages are stored, it is asked to stop (a deploy, a
    # restart): it gives the job back with what it has stored.
    stopping = job_runner(vault, kinds=["import"])
    worker = threading.Thread(target=stopping.run, kwargs={"once": True})
    worker.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with vault.uows() as uow:
            if service.batch(uow, receiver, batch.id).pages_done > 0:
                break
        time.sleep(0.05)
    stopping.stop()
    worker.join()
    with vault.uows() as uow:
        halfway = service.batch(uow, receiver, batch.id)
        read_once = uow.repository(BatchRepository).page_numbers_read(batch.id)
    assert halfway.status is BatchStatus.RUNNING
    assert 0 < halfway.pages_done < 27 and len(read_once) == halfway.pages_done

    assert run_imports(vault) == 1
    with vault.uows() as uow:
        done = service.batch(uow, receiver, batch.id)
        (part,) = service.parts(uow, receiver, batch_id=batch.id)
        pages = uow.repository(BatchRepository).pages(batch.id)
    assert done.status is BatchStatus.DONE and done.pages_done == 27
    assert [p.number for p in pages] == list(range(1, 28))  # every page read once
    assert part.owner_id == huong and part.pages == (*range(2, 26), 27)


def test_a_file_that_is_not_a_scan_is_refused_without_a_batch(vault: Vault, people: People) -> None:
    receiver = people.actor("receiver")
    service = BatchService(vault.keyring, vault.documents)
    with vault.uows() as uow:
        with pytest.raises(Exception) as refused:
            service.submit(uow, receiver, "notes.txt", b"hello, not a scan")
        assert getattr(refused.value, "detail", None)
    with vault.uows() as uow:
        assert service.batches(uow, receiver) == []
