"""The disposal record (biên bản hủy tài liệu): made after an approved disposal, sealed with
the approving office's digital seal through the real signing service (SoftHSM2 behind the CSC
API, a real TSA and OCSP), stored in the vault and downloaded through the API."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pypdfium2
from fastapi.testclient import TestClient

from api.job_handlers import job_registry
from signing.csc_server.dev_pki import DevPki
from signing.issuing.disposal_record import DisposalRecordMaker
from signing.issuing.signer_settings import SignerSettings
from signing.issuing.wiring import VaultSigning
from tests.factories import CITIZEN_ID, png_bytes
from tests.people import People
from tests.signing.vault.conftest import offline_statuses, pdfsig
from vault.domain import DocumentOrigin, OwnerKind
from vault.jobs import JobRunner
from vault.runtime import Vault
from vault.services import NewDocument


def test_a_disposal_ends_with_a_sealed_downloadable_record(
    vault: Vault,
    people: People,
    signing: VaultSigning,
    signer_settings: SignerSettings,
    pki: DevPki,
    nss_db: str,
    tmp_path: Path,
) -> None:
    with vault.uows() as uow:
        owner, _ = vault.owners.register(
            uow, people.actor("clerk"), OwnerKind.CITIZEN, CITIZEN_ID, "Lê Thị Mai"
        )
        uow.commit()
    issued = date(2015, 3, 1)
    shas = []
    for _ in range(3):
        meta = NewDocument(
            "health_certificate",
            "Giấy khám sức khỏe",
            DocumentOrigin.ISSUED_RESULT,
            issue_date=issued,
            valid_until=issued + timedelta(days=365),
        )
        with vault.uows() as uow:
            d = vault.documents.upload(
                uow, people.actor("clerk"), owner.id, meta, io.BytesIO(png_bytes())
            )
            uow.commit()
        shas.append(d.blob.sha256)

    assert signing.signer is not None
    maker = DisposalRecordMaker(vault, signer_settings, signing.signer)
    runner = JobRunner(vault.uows, job_registry(vault, record_maker=maker), poll_seconds=0.05)
    with vault.uows() as uow:
        batch = vault.retention.request_list(uow, people.actor("records"))
        uow.commit()
    while runner.process_next() is not None:
        pass
    with vault.uows() as uow:
        vault.retention.decide(
            uow, people.actor("records2"), batch.id, approve=True, note="Đồng ý hủy 3 giấy tờ"
        )
        uow.commit()
    while runner.process_next() is not None:
        pass

    from tests.conftest import api_app

    with TestClient(api_app(vault, signing.verifier), headers=people.auth("auditor")) as api:  # type: ignore[arg-type]
        listed = api.get("/api/v1/retention/disposals").json()
        assert listed[0]["has_record"] is True and listed[0]["status"] == "disposed"
        r = api.get(f"/api/v1/retention/disposals/{batch.id}/record")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        pdf = r.content
        # only the readers of disposal lists
        r = api.get(f"/api/v1/retention/disposals/{batch.id}/record", headers=people.auth("clerk"))
        assert r.status_code == 403

    (seal,) = offline_statuses(pdf, pki)
    assert seal.bottom_line and seal.trusted and not seal.revoked, seal.summary()
    assert "con dấu số" in seal.signing_cert.subject.human_friendly
    report = pdfsig(pdf, nss_db, tmp_path)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report

    doc = pypdfium2.PdfDocument(pdf)
    text = "".join(str(page.get_textpage().get_text_range()) for page in doc)
    assert "BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ" in text
    assert f"Danh mục số: {batch.id}" in text
    assert "Số tài liệu đã hủy: 3" in text
    assert people.actor("records2").name in text
    for sha in shas:
        assert sha in text
