"""Electronic certified copies (chứng thực bản sao điện tử từ bản chính), end to end.

Scans in, a copy out: A4 pages with the scans' own pixels, the certification page with its
QR code, the certifying officer's signature then the office seal (PAdES B-LT, both valid
offline and in pdfsig), a gapless number in the office's book, the copy in the owner's
warehouse, and a public page that says what was certified without saying whose it is.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
import qrcode
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm

from signing.csc_server.dev_pki import DevPki
from signing.issuing import copy_pdf
from signing.issuing.certification_model import CopyRequest, RefusalReason
from signing.issuing.db.certification_models import REFUSAL_REASONS
from signing.issuing.db.certification_repository import CertificationRepository
from signing.issuing.pades import VIETNAM_TIME
from signing.issuing.wiring import VaultSigning
from tests.factories import CITIZEN_ID, pdf_bytes, png_bytes, tiff_bytes
from tests.people import AGENCY, People
from tests.signing.vault.conftest import (
    PUBLIC_BASE,
    offline_statuses,
    page_text,
    pdfsig,
    signing_app,
)
from tests.signing.vault.layout_checks import assert_legible
from tests.signing.vault.test_vault_signing import new_owner
from tests.support.live import serve
from vault.runtime import Vault

OFFICER_PIN = "111111"
BOOK = "01/2026-SCT/BS-ĐT"


def scanned_jpeg(width: int = 1240, height: int = 1754) -> bytes:
    """A grey 'scan' with some ink on it, as a scanner's JPEG."""
    image = Image.new("RGB", (width, height), (235, 235, 230))
    draw = ImageDraw.Draw(image)
    for y in range(100, height - 100, 60):
        draw.line((100, y, width - 100, y), fill=(30, 30, 30), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def certify(
    client: TestClient | httpx.Client,
    people: People,
    owner_id: str,
    pages: list[tuple[str, bytes, str]],
    *,
    who: str = "certifier",
    pin: str = OFFICER_PIN,
    paper_type: str = "marital_status_certificate",
    title: str = "Giấy xác nhận tình trạng hôn nhân",
) -> Any:
    return client.post(
        f"/api/v1/owners/{owner_id}/certified-copies",
        data={"paper_type": paper_type, "title": title, "book": BOOK, "pin": pin},
        files=[("pages", page) for page in pages],
        headers=people.auth(who),
    )


def content(api: TestClient, people: People, document_id: str) -> bytes:
    r = api.get(f"/api/v1/documents/{document_id}/content", headers=people.auth("certifier"))
    assert r.status_code == 200, r.text
    return r.content


def qr_on_page(pdf: bytes, payload: str) -> bool:
    """Renders the certification page and reads every module of the QR code where the
    page puts it, against the code of `payload` (no QR decoder is installed: this is the
    same check, module by module)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    x0, y0, size = copy_pdf.QR_BOX
    scale = 4
    doc = pypdfium2.PdfDocument(pdf)
    try:
        page = doc[len(doc) - 1]
        height = page.get_height()
        image = page.render(scale=scale).to_pil().convert("L")
        page.close()
    finally:
        doc.close()
    module = size / len(matrix)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            px = (x0 + (col + 0.5) * module) * scale
            py = (height - (y0 + size - (row + 0.5) * module)) * scale
            if (image.getpixel((int(px), int(py))) < 128) != dark:  # type: ignore[operator]
                return False
    return True


def test_a_certified_copy_is_built_signed_twice_numbered_stored_and_verifiable(
    api: TestClient,
    people: People,
    vault: Vault,
    pki: DevPki,
    nss_db: str,
    tmp_path: Path,
) -> None:
    owner_id = new_owner(api, people)
    jpeg = scanned_jpeg()
    source_pdf = pdf_bytes(1)
    pages = [
        ("trang-1.jpg", jpeg, "image/jpeg"),
        ("trang-2.png", png_bytes(600, 400), "image/png"),  # landscape
        ("trang-3-4.tif", tiff_bytes(2), "image/tiff"),
        ("trang-5.pdf", source_pdf, "application/pdf"),
    ]
    r = certify(api, people, owner_id, pages)
    assert r.status_code == 201, r.text
    body = r.json()
    document, cert = body["document"], body["certification"]

    # In the owner's warehouse, as a certified copy of the office, with the paper type's
    # default validity (180 days for a marital status certificate).
    today = datetime.now(VIETNAM_TIME).date()
    assert document["origin"] == "certified_copy"
    assert document["owner_id"] == owner_id and document["issuer_agency_code"] == AGENCY
    assert document["has_signature"] is True
    assert document["issue_date"] == today.isoformat()
    assert document["valid_until"] == (today + timedelta(days=180)).isoformat()
    assert cert["number"] == 1 and cert["number_text"] == "1/ĐT"
    assert (cert["book"], cert["year"], cert["pages"]) == (BOOK, today.year, 5)
    assert cert["officer_name"] == "Nguyễn Văn An"  # as the certificate names the signer
    code = cert["verification_code"]
    assert len(code) >= 22
    url = f"{PUBLIC_BASE}/public/certified-copies/{code}?sha256={cert['content_sha256']}"
    assert cert["verification_url"] == url

    pdf = content(api, people, document["id"])

    # Five A4 pages of scans in their own orientation, then the certification page; the
    # JPEG embedded byte for byte, every image at its original pixel size.
    doc = pypdfium2.PdfDocument(pdf)
    try:
        sizes = [tuple(round(v) for v in doc.get_page_size(i)) for i in range(len(doc))]
        pixels = []
        for i in range(4):
            page = doc[i]
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
                pixels.append(obj.get_px_size())
            page.close()
    finally:
        doc.close()
    portrait, landscape = (595, 842), (842, 595)
    assert sizes == [portrait, landscape, landscape, landscape, portrait, portrait]
    assert pixels == [(1240, 1754), (600, 400), (100, 60), (100, 60)]
    assert jpeg in pdf

    # The certification text, in Vietnamese, extractable.
    text = page_text(pdf, -1)
    for expected in (
        "UBND PHƯỜNG BẾN NGHÉ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "LỜI CHỨNG",
        "Chứng thực bản sao đúng với bản chính.",
        "Số chứng thực: 1/ĐT",
        f"Quyển số: {BOOK}",
        f"Ngày {today:%d} tháng {today:%m} năm {today.year}",
        f"Cơ quan chứng thực: UBND phường Bến Nghé (mã {AGENCY})",
        "NGƯỜI THỰC HIỆN CHỨNG THỰC",
        "Nguyễn Văn An",
        "Bản sao gồm 5 trang",
        f"Mã tra cứu: {code}",
    ):
        assert expected in text, (expected, text)
    assert CITIZEN_ID not in text
    # Laid out as a reader sees it: no glyph on another, all inside the margins.
    assert_legible(pdf, tmp_path, copy_pdf.MARGIN, ["LỜI", "CHỨNG", "Nguyễn", "Văn", "An"])
    # The QR code on the page holds the public verification URL with the scans' hash.
    assert qr_on_page(pdf, url)

    # Two signatures: the officer's (a certification signature that allows the next),
    # then the seal; both valid offline, from the root and the document's own DSS.
    reader = PdfFileReader(io.BytesIO(pdf))
    officer, seal = reader.embedded_regular_signatures
    assert officer.field_name == copy_pdf.OFFICER_FIELD and seal.field_name == copy_pdf.SEAL_FIELD
    assert officer.docmdp_level is MDPPerm.FILL_FORMS
    first, second = offline_statuses(pdf, pki)
    for status in (first, second):
        assert status.bottom_line, status.summary()
        assert status.trusted and not status.revoked and status.docmdp_ok
        assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert first.modification_level is ModificationLevel.FORM_FILLING  # the seal came after
    assert "Nguyễn Văn An" in first.signing_cert.subject.human_friendly
    assert "con dấu số" in second.signing_cert.subject.human_friendly

    report = pdfsig(pdf, nss_db, tmp_path)
    assert report.count("Signature is Valid.") == 2, report
    assert report.count("Certificate is Trusted.") == 2, report

    # The visible stamps name the signers, the office and the time.
    stamps = page_text(pdf, -1, with_annotations=True)
    assert "Ký số bởi: Nguyễn Văn An" in stamps
    assert "Ký số bởi: UBND phường Demo — con dấu số (dev)" in stamps
    assert f"Cơ quan: UBND phường Bến Nghé ({AGENCY})" in stamps

    # The book has the entry.
    with vault.uows() as uow:
        entries = uow.repository(CertificationRepository).book_entries(AGENCY, BOOK, today.year)
    assert [(e.number, str(e.document_id)) for e in entries] == [(1, document["id"])]

    # The public verification, by the code alone: what, by whom, when, until when, and
    # whether the signatures check; never whose it is.
    r = api.get(
        f"/api/v1/public/certified-copies/{code}", params={"sha256": cert["content_sha256"]}
    )
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["number_text"] == "1/ĐT" and view["book"] == BOOK
    assert view["office_agency_code"] == AGENCY and view["office_name"] == "UBND phường Bến Nghé"
    assert view["officer_name"] == "Nguyễn Văn An"
    assert view["paper_type_name"] == "Giấy xác nhận tình trạng hôn nhân"
    assert view["certified_on"] == today.isoformat() and view["valid_today"] is True
    assert view["signatures_valid"] is True
    # Judged by the vault's verifier, offline (the copy carries its validation data).
    assert [(s["indication"], s["timestamped"]) for s in view["signatures"]] == [
        ("TOTAL_PASSED", True),
        ("TOTAL_PASSED", True),
    ]
    assert view["signatures"][0]["signer"] == "Nguyễn Văn An"
    assert view["qr_hash_matches"] is True
    assert view["file_sha256"] == document["content"]["sha256"]
    for secret in (CITIZEN_ID, owner_id, "Nguyễn Thị Hương"):
        assert secret not in r.text
    assert r.headers["referrer-policy"] == "no-referrer"

    r = api.get(f"/public/certified-copies/{code}", params={"sha256": "0" * 64})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in r.text
    assert "Chứng thực bản sao đúng với bản chính" in r.text
    assert "Nguyễn Văn An" in r.text and "1/ĐT" in r.text
    assert "hợp lệ" in r.text and "không khớp" in r.text  # the presented hash is not the record's
    for secret in (CITIZEN_ID, owner_id, "Nguyễn Thị Hương"):
        assert secret not in r.text

    assert api.get("/api/v1/public/certified-copies/" + "A" * 22).status_code == 404
    assert api.get("/public/certified-copies/not-a-code").status_code == 404

    # The owner sees the certification and the public verification in their access log.
    with vault.uows() as uow:
        actions = [
            e.action for e in uow.audit.for_owner(uuid.UUID(owner_id), before_seq=None, limit=50)
        ]
    assert "certified_copy.issue" in actions and "certified_copy.public_verify" in actions


@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_numbers_are_gapless_under_concurrent_allocation_on_postgresql(
    vault: Vault, people: People
) -> None:
    """Twenty transactions take numbers at once, one of them rolls back: 1..20, each once."""
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(21)
    lock = threading.Lock()

    def take(fail: bool) -> None:
        try:
            with vault.uows() as uow:
                start.wait(30)
                number = uow.repository(CertificationRepository).next_number(AGENCY, BOOK, 2026)
                time.sleep(0.01)  # hold the lock a moment, as signing would
                if fail:
                    raise RuntimeError("signing failed")  # rolls back: the number goes back
                uow.commit()
            with lock:
                numbers.append(number)
        except RuntimeError:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(i == 7,)) for i in range(21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(numbers) == list(range(1, 21))
    # Another book, another year: sequences of their own.
    with vault.uows() as uow:
        repo = uow.repository(CertificationRepository)
        assert repo.next_number(AGENCY, "02/2026-SCT/BS-ĐT", 2026) == 1
        assert repo.next_number(AGENCY, BOOK, 2027) == 1
        assert repo.next_number(AGENCY, BOOK, 2026) == 21
        uow.commit()


@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_parallel_certification_requests_get_consecutive_numbers(
    vault: Vault, people: People, signing: VaultSigning, pki: DevPki
) -> None:
    with (
        serve(signing_app(vault, signing)) as base,
        httpx.Client(base_url=base, timeout=120) as http,
    ):
        r = http.post(
            "/api/v1/owners",
            json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn Thị Hương"},
            headers=people.auth("clerk"),
        )
        owner_id = r.json()["id"]
        results: list[Any] = []

        def request() -> None:
            results.append(
                certify(http, people, owner_id, [("trang.png", png_bytes(300, 420), "image/png")])
            )

        threads = [threading.Thread(target=request) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    assert sorted(r.json()["certification"]["number"] for r in results) == [1, 2]
    with vault.uows() as uow:
        for r in results:
            document = uow.documents.get(uuid.UUID(r.json()["document"]["id"]))
            assert document is not None
            pdf = b"".join(vault.documents.read_content(uow, document).chunks)
            assert all(s.bottom_line for s in offline_statuses(pdf, pki))


@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_two_simultaneous_requests_with_one_key_make_one_copy(
    vault: Vault, people: People, signing: VaultSigning
) -> None:
    with (
        serve(signing_app(vault, signing)) as base,
        httpx.Client(base_url=base, timeout=120) as http,
    ):
        owner_id = http.post(
            "/api/v1/owners",
            json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn Thị Hương"},
            headers=people.auth("clerk"),
        ).json()["id"]
        page = png_bytes(300, 420)
        fields = {"paper_type": "diploma", "title": "Bằng", "book": BOOK, "pin": OFFICER_PIN}
        results: list[Any] = []
        start = threading.Barrier(2)

        def request() -> None:
            start.wait(10)
            results.append(
                http.post(
                    f"/api/v1/owners/{owner_id}/certified-copies",
                    data=fields,
                    files=[("pages", ("trang.png", page, "image/png"))],
                    headers={**people.auth("certifier"), "Idempotency-Key": "double-click-1"},
                )
            )

        threads = [threading.Thread(target=request) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        # The same key for another request (other pages) is refused, not answered.
        other = http.post(
            f"/api/v1/owners/{owner_id}/certified-copies",
            data={"paper_type": "diploma", "title": "Bằng", "book": BOOK, "pin": OFFICER_PIN},
            files=[("pages", ("trang.png", png_bytes(310, 420), "image/png"))],
            headers={**people.auth("certifier"), "Idempotency-Key": "double-click-1"},
        )
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    assert len({r.json()["document"]["id"] for r in results}) == 1
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    with vault.uows() as uow:
        assert len(uow.documents.of_types(uuid.UUID(owner_id), ["diploma"])) == 1


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_a_failed_certification_gives_its_number_back(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id = new_owner(api, people)
    page = [("trang.png", png_bytes(300, 420), "image/png")]
    r = certify(api, people, owner_id, page, pin="000000")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "pin"
    r = certify(api, people, owner_id, page)
    assert r.status_code == 201, r.text
    assert r.json()["certification"]["number_text"] == "1/ĐT"
    with vault.uows() as uow:
        docs = uow.documents.of_types(uuid.UUID(owner_id), ["marital_status_certificate"])
    assert len(docs) == 1  # nothing of the failed attempt was kept


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_a_repeated_request_with_its_idempotency_key_takes_no_second_number(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id = new_owner(api, people)
    page = [("trang.png", png_bytes(300, 420), "image/png")]
    key = {"Idempotency-Key": "form-7f3a2c"}
    first = api.post(
        f"/api/v1/owners/{owner_id}/certified-copies",
        data={"paper_type": "diploma", "title": "Bằng", "book": BOOK, "pin": OFFICER_PIN},
        files=[("pages", page[0])],
        headers={**people.auth("certifier"), **key},
    )
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = api.post(
        f"/api/v1/owners/{owner_id}/certified-copies",
        data={"paper_type": "diploma", "title": "Bằng", "book": BOOK, "pin": OFFICER_PIN},
        files=[("pages", page[0])],
        headers={**people.auth("certifier"), **key},
    )
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the same copy, number and verification code
    with vault.uows() as uow:
        assert len(uow.documents.of_types(uuid.UUID(owner_id), ["diploma"])) == 1
    # A new key is a new copy with the next number.
    other = api.post(
        f"/api/v1/owners/{owner_id}/certified-copies",
        data={"paper_type": "diploma", "title": "Bằng", "book": BOOK, "pin": OFFICER_PIN},
        files=[("pages", page[0])],
        headers={**people.auth("certifier"), "Idempotency-Key": "form-0001"},
    )
    assert other.json()["certification"]["number"] == first.json()["certification"]["number"] + 1


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_who_may_certify_and_what_is_refused(api: TestClient, people: People) -> None:
    owner_id = new_owner(api, people)
    page = [("trang.png", png_bytes(), "image/png")]
    assert certify(api, people, owner_id, page, who="receiver").status_code == 403
    assert certify(api, people, owner_id, page, who="issuer").status_code == 403
    # An office without a digital seal configured cannot issue copies.
    assert certify(api, people, owner_id, page, who="other_clerk").status_code == 403
    r = certify(api, people, owner_id, [("x.txt", b"plain text", "text/plain")])
    assert r.status_code == 415
    r = certify(api, people, owner_id, page, paper_type="no_such_type")
    assert r.status_code == 422
    r = api.post(
        f"/api/v1/owners/{owner_id}/certified-copies",
        data={"paper_type": "diploma", "title": "Bằng", "book": "?!", "pin": OFFICER_PIN},
        files=[("pages", page[0])],
        headers=people.auth("certifier"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "book"


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_refusals_carry_a_reason_code(api: TestClient, people: People, vault: Vault) -> None:
    assert {r.value for r in RefusalReason} == set(REFUSAL_REASONS)
    owner_id = new_owner(api, people)
    url = f"/api/v1/owners/{owner_id}/certified-copies/refusals"

    reasons = api.get("/api/v1/certified-copies/refusal-reasons", headers=people.auth("certifier"))
    assert reasons.status_code == 200
    assert {r["code"] for r in reasons.json()} == set(REFUSAL_REASONS)

    r = api.post(
        url,
        json={"paper_type": "diploma", "reason": "altered", "note": "Tẩy xóa ở mục họ tên"},
        headers=people.auth("certifier"),
    )
    assert r.status_code == 201, r.text
    refusal = r.json()
    assert refusal["reason"] == "altered"
    assert refusal["reason_text"].startswith("Bản chính bị tẩy xóa")
    assert refusal["legal_basis"] == "Điều 22 Nghị định 23/2015/NĐ-CP"
    assert refusal["office_agency_code"] == AGENCY

    bad = api.post(
        url, json={"paper_type": "diploma", "reason": "ugly"}, headers=people.auth("certifier")
    )
    assert bad.status_code == 422
    not_certifier = api.post(
        url, json={"paper_type": "diploma", "reason": "damaged"}, headers=people.auth("receiver")
    )
    assert not_certifier.status_code == 403

    with vault.uows() as uow:
        stored = uow.repository(CertificationRepository).refusals_for_owner(uuid.UUID(owner_id))
        actions = [
            e.action for e in uow.audit.for_owner(uuid.UUID(owner_id), before_seq=None, limit=20)
        ]
    assert [(x.reason, x.note) for x in stored] == [("altered", "Tẩy xóa ở mục họ tên")]
    assert "certified_copy.refuse" in actions


def test_the_copy_body_keeps_pages_and_refuses_what_is_not_a_scan() -> None:
    from vault.content import ContentLimits
    from vault.errors import ContentTooLarge, UnsupportedMediaType

    limits = ContentLimits(max_image_pixels=50_000_000, max_pdf_pages=100)
    body = copy_pdf.build_body([tiff_bytes(3), pdf_bytes(2)], limits, max_pages=10)
    assert body.pages == 5 and len(body.content_sha256) == 64
    with pytest.raises(ContentTooLarge):
        copy_pdf.build_body([tiff_bytes(3)], limits, max_pages=2)
    with pytest.raises(UnsupportedMediaType):
        copy_pdf.build_body([b"GIF89a not a scan"], limits, max_pages=10)


def test_migration_0004_runs_both_ways_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from tests.support import postgres
    from vault.db import create_engine_for, migrate

    tables = {"certified_copies", "certification_counters", "certification_refusals"}
    for url in (f"sqlite:///{tmp_path / 'm.db'}", postgres.create_database("vault_cc_mig")):
        try:
            migrate.upgrade(url)
            migrate.downgrade(url, "0003")
            engine = create_engine_for(url)
            with engine.connect() as connection:
                assert not tables & set(inspect(connection).get_table_names())
            migrate.upgrade(url)
            with engine.connect() as connection:
                assert tables <= set(inspect(connection).get_table_names())
            engine.dispose()
        finally:
            if url.startswith("postgresql"):
                postgres.drop_database(url)


def test_the_seal_one_time_passwords_are_never_reused() -> None:
    from signing.issuing.pades import TotpSource
    from signing.totp import totp

    now = [1_000_000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    source = TotpSource(b"seal-secret", clock=lambda: now[0], sleep=sleep)
    step = int(now[0] // 30)
    # The current step, then the next (the service accepts one step ahead) ...
    assert [source(), source()] == [totp(b"seal-secret", step), totp(b"seal-secret", step + 1)]
    assert slept == []
    # ... then it waits until the step after those is within reach.
    assert source() == totp(b"seal-secret", step + 2)
    assert len(slept) == 1 and int(now[0] // 30) == step + 1


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_the_preview_is_the_page_that_is_signed(
    api: TestClient, people: People, vault: Vault, signing: VaultSigning
) -> None:
    """The preview's certification page says what the signed copy's says (the officer as
    their certificate names them, not the account's name), but for the number and the
    verification code, known only once the book's number is taken."""
    owner_id = uuid.UUID(new_owner(api, people))
    request = CopyRequest(
        paper_type="diploma",
        title="Bằng tốt nghiệp trung học phổ thông",
        book=BOOK,
        pages=[png_bytes(300, 420)],
        pin=OFFICER_PIN,
    )
    officer = people.actor("certifier")
    assert officer.name != "Nguyễn Văn An"  # the account's name is not the certificate's
    with vault.uows() as uow:
        preview = signing.copies.preview(uow, officer, owner_id, replace(request, pin=""))
        copy = signing.copies.certify(uow, officer, owner_id, request)
        uow.commit()
    with vault.uows() as uow:
        document = uow.documents.get(copy.document.id)
        assert document is not None
        signed = b"".join(vault.documents.read_content(uow, document).chunks)

    def lines(pdf: bytes, number: str, code: str) -> list[str]:
        text = page_text(pdf, -1).replace(number, "<number>").replace(code, "<code>")
        found = [line.strip() for line in text.splitlines()]
        # The verification URL (with the code) wraps by its length: compared without it.
        start = found.index("Kiểm tra bản sao điện tử này tại:") + 1
        end = next(i for i, line in enumerate(found) if line.startswith("Mã tra cứu:"))
        assert "".join(found[start:end]).endswith(f"<code>?sha256={copy.record.content_sha256}")
        return found[:start] + found[end:]

    shown = lines(preview, "…/ĐT", "…")
    made = lines(signed, copy.number_text, copy.record.verification_code)
    assert "Nguyễn Văn An" in shown and "Số chứng thực: <number>" in "\n".join(shown)
    assert officer.name not in "\n".join(shown)
    assert shown == made
