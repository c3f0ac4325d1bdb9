"""Every resource through VaultClient, against the API served for real on both backends."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
from vault_client import (
    AuthenticationError,
    BadRequestError,
    ClientCredentials,
    ConflictError,
    CursorPage,
    NotFoundError,
    Password,
    PermissionDeniedError,
    Reuse,
    VaultClient,
)
from vault_client.types import (
    AttachmentRole,
    Document,
    DocumentOrigin,
    DocumentStatus,
    DossierStatus,
    Owner,
    OwnerKind,
    Procedure,
    Requirement,
    Role,
)

from tests.factories import CITIZEN_ID, OTHER_CITIZEN_ID, padded_pdf, pdf_bytes, png_bytes
from tests.people import AGENCY, People
from tests.sdk.conftest import FAST_RETRY, AgencySystem
from vault.runtime import Vault

VIETNAM = timezone(timedelta(hours=7))
RECEIVED = datetime(2025, 1, 15, 9, 0, tzinfo=VIETNAM)


def issued(client: VaultClient, owner: Owner, content: object, **fields: object) -> Document:
    """A result AGENCY issued, stored by its officer: one it may read back."""
    defaults: dict[str, object] = {
        "paper_type": "birth_certificate",
        "title": "Giấy khai sinh",
        "origin": "issued_result",
    }
    return client.documents.upload(owner, content, **{**defaults, **fields})  # type: ignore[arg-type]


def test_owners(sdk: VaultClient) -> None:
    owner = sdk.owners.create(
        kind="citizen", identifier=CITIZEN_ID, display_name="Nguyễn Thị Hương"
    )
    assert owner.kind is OwnerKind.CITIZEN
    assert owner.display_name == "Nguyễn Thị Hương"
    again = sdk.owners.create(
        kind=OwnerKind.CITIZEN, identifier=CITIZEN_ID, display_name="Nguyễn Thị Hương"
    )
    assert again.id == owner.id  # registering is idempotent on the identifier
    assert sdk.owners.lookup(CITIZEN_ID) == owner
    assert sdk.owners.get(owner) == sdk.owners.get(owner.id) == sdk.owners.get(str(owner.id))
    assert CITIZEN_ID not in repr(owner)  # personal data stays out of logs

    with pytest.raises(NotFoundError) as missing:
        sdk.owners.lookup(OTHER_CITIZEN_ID)
    assert missing.value.status_code == 404
    assert missing.value.problem.type == "urn:vault:problem:not-found"
    with pytest.raises(BadRequestError) as bad:
        sdk.owners.create(kind="citizen", identifier="12345", display_name="X")
    assert bad.value.status_code == 422
    assert [e.field for e in bad.value.field_errors] == ["identifier"]
    with pytest.raises(ValueError, match="must be a UUID"):
        sdk.owners.get("../../admin")  # never reaches a URL


def test_documents_upload_list_versions_and_download(sdk: VaultClient, tmp_path: Path) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    # From a path, with progress.
    scan = tmp_path / "khai-sinh.pdf"
    content = padded_pdf(600_000)
    scan.write_bytes(content)
    progress: list[tuple[int, int | None]] = []
    first = sdk.documents.upload(
        owner,
        scan,
        paper_type="birth_certificate",
        title="Giấy khai sinh",
        origin=DocumentOrigin.ISSUED_RESULT,
        reference_number="15/QĐ-UBND",
        issue_date=date(2020, 1, 2),
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert first.content.size == len(content)
    assert first.content.sha256 == hashlib.sha256(content).hexdigest()
    assert first.reference_number == "15/QĐ-UBND" and first.issue_date == date(2020, 1, 2)
    assert first.issuer_agency_code == AGENCY
    assert progress[0] == (0, len(content)) and progress[-1] == (len(content), len(content))
    assert len(progress) > 2  # streamed in pieces
    # From a file object, from where it stands (what comes before is not sent).
    stream = io.BytesIO(b"ignored prefix" + png_bytes())
    stream.seek(len(b"ignored prefix"))
    second = issued(sdk, owner, stream, paper_type="chip_id_card")
    assert second.content.media_type == "image/png"
    # From bytes.
    third = issued(sdk, owner, pdf_bytes(), paper_type="driving_licence")

    # Iterating walks every page; the explicit page API shows the pages.
    listed = sdk.documents.list(owner=owner, limit=2)
    assert isinstance(listed, CursorPage)
    assert len(listed.items) == 2 and listed.has_next_page()
    assert [d.id for d in listed] == [third.id, second.id, first.id]
    pages = list(listed.iter_pages())
    assert [len(p.items) for p in pages] == [2, 1]
    assert pages[-1].next_page() is None
    resumed = sdk.documents.list(owner=owner, limit=2, cursor=listed.next_cursor)
    assert [d.id for d in resumed.items] == [first.id]
    only = sdk.documents.list(owner=owner, paper_type="chip_id_card")
    assert [d.id for d in only] == [second.id]
    assert list(sdk.documents.list(owner=owner, origin="certified_copy")) == []
    assert sdk.documents.get(first) == first

    # A reissue supersedes; the old version stays on record.
    v2 = sdk.documents.new_version(
        first,
        pdf_bytes(2),
        paper_type="birth_certificate",
        title="Giấy khai sinh (cấp lại)",
        origin="issued_result",
    )
    assert v2.version == 2 and v2.supersedes_id == first.id and v2.lineage_id == first.lineage_id
    versions = sdk.documents.versions(v2)
    assert [d.version for d in versions] == [1, 2]
    assert versions[0].status is DocumentStatus.SUPERSEDED
    current = {d.id for d in sdk.documents.list(owner=owner)}
    everything = {d.id for d in sdk.documents.list(owner=owner, include_superseded=True)}
    assert first.id not in current and everything == current | {first.id}

    # Download to a path (checked against the vault's SHA-256), and to a stream.
    got: list[int] = []
    target = tmp_path / "out" / "copy.pdf"
    target.parent.mkdir()
    result = sdk.documents.download(first, target, on_progress=lambda n, _: got.append(n))
    assert target.read_bytes() == content
    assert result.verified and result.sha256 == first.content.sha256
    assert result.size == len(content) and result.media_type == "application/pdf"
    assert result.path == target and got[-1] == len(content)
    assert not list(target.parent.glob("*.part"))
    sink = io.BytesIO()
    assert sdk.documents.download(first.id, sink).path is None
    assert sink.getvalue() == content

    # The content as a stream, whole or a byte range.
    with sdk.documents.stream(first) as body:
        assert body.status_code == 200 and body.etag == f'"{first.content.sha256}"'
        assert b"".join(body.iter_bytes()) == content
    with sdk.documents.stream(first, offset=100, length=50) as part:
        assert part.status_code == 206
        assert part.total_size == len(content) and part.length == 50
        assert b"".join(part.iter_bytes()) == content[100:150]
    with pytest.raises(BadRequestError) as beyond, sdk.documents.stream(first, offset=len(content)):
        pass
    assert beyond.value.status_code == 416


def test_dossiers_and_reuse(sdk: VaultClient, people: People) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    card = issued(sdk, owner, png_bytes(), paper_type="chip_id_card")
    dossier = sdk.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0001",
        procedure_code="1.001193",
        owner=owner,
        received_at=RECEIVED,
    )
    assert dossier.status is DossierStatus.OPEN and dossier.receiving_agency_code == AGENCY
    same = sdk.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0001",
        procedure_code="1.001193",
        owner=owner.id,
        received_at=RECEIVED,
    )
    assert same.id == dossier.id  # idempotent on the code, and says so
    assert same.already_recorded and not dossier.already_recorded
    assert sdk.dossiers.get(dossier.id) == dossier
    with pytest.raises(ValueError, match="time zone"):
        sdk.dossiers.create(
            dossier_code=f"{AGENCY}-250115-0002",
            procedure_code="1.001193",
            owner=owner,
            received_at=datetime(2025, 1, 15, 9, 0),
        )

    plan = sdk.reuse.needed_papers(dossier)
    assert plan.procedure_code == "1.001193" and plan.received_on == date(2025, 1, 15)
    needed = {n.paper_type: n for n in plan.needed}
    assert needed["chip_id_card"].on_file and needed["chip_id_card"].action == "attach"
    assert [c.document.id for c in needed["chip_id_card"].usable] == [card.id]
    assert [n.paper_type for n in plan.to_ask] == ["marriage_certificate"]
    (usable,) = needed["chip_id_card"].candidates
    assert usable.refusals == [] and [n.code for n in usable.notes] == ["unsigned"]
    assert str(usable.notes[0]) == "no digital signature"

    attached = sdk.reuse.attach(dossier, card)
    assert attached.reused is Reuse.YES and attached.from_warehouse
    assert attached.role is AttachmentRole.COMPONENT
    assert sdk.reuse.attach(dossier, card).attached_at == attached.attached_at
    # The scan of the paper the citizen brought, digitised for this dossier.
    scan = sdk.documents.upload(
        owner,
        png_bytes(),
        paper_type="marriage_certificate",
        title="GCN kết hôn",
        dossier=dossier,
    )
    assert scan.origin is DocumentOrigin.DIGITISED
    flags = {a.document_id: a for a in sdk.dossiers.attachments(dossier)}
    assert flags[scan.id].digitised and flags[scan.id].reused is Reuse.NO
    with pytest.raises(BadRequestError) as bad:
        sdk.reuse.attach(dossier, card, reused=Reuse.BY_REPLACING_RESULT)
    assert bad.value.field_errors[0].field == "replacing_result_code"

    result = issued(sdk, owner, pdf_bytes(), paper_type="procedure_result", title="Kết quả")
    recorded = sdk.dossiers.add_result(dossier, document=result, result_code="KQ.G15.000031")
    assert recorded.role is AttachmentRole.RESULT and recorded.result_code == "KQ.G15.000031"
    with pytest.raises(ConflictError):
        sdk.dossiers.add_result(dossier, document=result, result_code="KQ.G15.000031")

    other = sdk.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0002",
        procedure_code="1.001193",
        owner=owner,
        received_at=RECEIVED,
    )
    page = sdk.dossiers.list(owner=owner, limit=1)
    assert len(page.items) == 1 and {d.id for d in page} == {dossier.id, other.id}
    closed = sdk.dossiers.close(dossier)
    assert closed.status is DossierStatus.CLOSED
    assert sdk.dossiers.close(dossier).status is DossierStatus.CLOSED  # harmless twice
    with pytest.raises(ConflictError) as conflict:
        sdk.reuse.attach(dossier, scan)
    assert conflict.value.problem.status == 409
    with pytest.raises(ConflictError, match="closed: a new filing needs a new dossier code"):
        sdk.dossiers.create(  # never the closed dossier handed back for a new filing
            dossier_code=f"{AGENCY}-250115-0001",
            procedure_code="1.001193",
            owner=owner,
            received_at=RECEIVED,
        )
    # Another agency's officer may not look at the plan.
    with pytest.raises(PermissionDeniedError):
        VaultClient(
            sdk.base_url, access_token=people.token("other_clerk"), retry=FAST_RETRY
        ).reuse.needed_papers(other)


def test_consents_receipts_and_access_log(sdk: VaultClient, vault: Vault, people: People) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    with vault.uows() as uow:
        vault.auth.add_owner_account(
            uow, owner_id=owner.id, username="huong", password="mật khẩu dài"
        )
        uow.commit()
    card = VaultClient(sdk.base_url, access_token=people.token("other_clerk")).documents.upload(
        owner, png_bytes(), paper_type="chip_id_card", title="CCCD", origin="issued_result"
    )
    verifier = sdk.acting_for("verifier")
    with pytest.raises(PermissionDeniedError):
        verifier.documents.get(card)

    with VaultClient(sdk.base_url, credentials=Password("huong", "mật khẩu dài")) as me:
        consent = me.consents.create(
            agency_code=AGENCY, paper_types=["chip_id_card"], purpose="Mở tài khoản", days=30
        )
        assert consent.active and consent.paper_types == ["chip_id_card"]
        assert verifier.documents.get(card).id == card.id
        assert [c.id for c in me.consents.list()] == [consent.id]
        receipt = me.consents.receipt(consent)
        assert receipt.receipt.consent_receipt_id == consent.id
        assert receipt.receipt.pii_controllers[0].agency_code == AGENCY
        key = jwt.PyJWK(me.auth.jwks().keys[0].model_dump(exclude_none=True)).key
        signed = jwt.decode(receipt.jws, key, algorithms=["EdDSA"], options={"verify_aud": False})
        assert signed["receipt"]["consentReceiptID"] == str(consent.id)
        revoked = me.consents.revoke(consent)
        assert not revoked.active and revoked.revoked_at is not None
        assert me.consents.revoke(consent).revoked_at == revoked.revoked_at
        with pytest.raises(PermissionDeniedError):
            verifier.documents.get(card)
        with pytest.raises(TypeError):
            me.consents.create(agency_code=AGENCY, paper_types="chip_id_card", purpose="x")

        log = me.access_log.list(limit=1)
        assert len(log.items) == 1 and log.has_next_page()
        entries = list(log)
        assert [e.seq for e in entries] == sorted((e.seq for e in entries), reverse=True)
        denied = [e for e in entries if e.outcome == "denied"]
        assert denied and denied[0].agency_code == AGENCY
        assert any(e.action == "document.read" and e.outcome != "denied" for e in entries)
    with pytest.raises(PermissionDeniedError):
        sdk.access_log.list()  # officers have no access log of their own
    with pytest.raises(PermissionDeniedError):
        sdk.consents.create(agency_code=AGENCY, paper_types=["chip_id_card"], purpose="x")


def test_jobs_status_and_cancel(sdk: VaultClient, vault: Vault) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    document = issued(sdk, owner, pdf_bytes())
    with vault.uows() as uow:
        (ocr,) = uow.jobs.for_document(document.id)  # no worker runs here: it waits
    admin = sdk.acting_for("admin")
    job = admin.jobs.get(ocr.id)
    assert (job.kind, job.status, job.finished) == ("ocr", "pending", False)
    assert job.subject is not None and job.subject.id == document.id
    assert job.progress.done == 0
    # The upload's OCR was asked for by no one: only administrators see it.
    with pytest.raises(PermissionDeniedError):
        sdk.jobs.get(ocr.id)
    with pytest.raises(NotFoundError):
        admin.jobs.get(uuid.uuid4())
    cancelled = admin.jobs.cancel(ocr.id)
    assert (cancelled.status, cancelled.cancel_requested, cancelled.finished) == (
        "cancelled",
        True,
        True,
    )
    with pytest.raises(ConflictError):
        admin.jobs.cancel(ocr.id)


def test_catalogue_and_indicators(sdk: VaultClient) -> None:
    types = {p.code: p for p in sdk.catalogue.paper_types()}
    assert "birth_certificate" in types and types["birth_certificate"].name_vi
    procedures = {p.code: p for p in sdk.catalogue.procedures()}
    assert sdk.catalogue.procedure("1.001193") == procedures["1.001193"]
    with pytest.raises(NotFoundError):
        sdk.catalogue.procedure("9.999999")
    new = Procedure(
        code="2.000889",
        name_vi="Cấp bản sao trích lục hộ tịch",
        requirements=[Requirement(paper_type="chip_id_card", component_name="CCCD")],
    )
    with pytest.raises(PermissionDeniedError):
        sdk.catalogue.put_procedure(new)
    admin = sdk.acting_for("admin")
    assert admin.catalogue.put_procedure(new) == new
    assert sdk.catalogue.procedure("2.000889").requirements[0].paper_type == "chip_id_card"

    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    sdk.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0001",
        procedure_code="1.001193",
        owner=owner,
        received_at=RECEIVED,
    )
    monthly = sdk.indicators.monthly(agency_code=AGENCY, month="2025-01")
    assert monthly.dossiers_received == 1 and monthly.month == "2025-01"
    assert monthly.get("4.3").denominator == 1
    assert sdk.indicators.monthly(agency_code=AGENCY, month=date(2025, 1, 31)) == monthly
    csv = sdk.indicators.monthly_csv(agency_code=AGENCY, month="2025-01")
    assert csv.splitlines()[0].startswith("agency_code,month,code")
    with pytest.raises(BadRequestError) as bad:
        sdk.indicators.monthly(agency_code=AGENCY, month="January")
    assert bad.value.field_errors[0].field == "month"


def test_auth_identity_tokens_and_probes(
    sdk: VaultClient, system: AgencySystem, vault: Vault, people: People
) -> None:
    me = sdk.auth.me()
    assert me.client_id == system.client_id and me.agency_code == AGENCY
    assert set(me.roles) == {Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER}
    assert sdk.acting_for("receiver").auth.me().roles == [Role.RECEIVING_OFFICER]
    token = sdk.auth.client_credentials(
        client_id=system.client_id, client_secret=system.client_secret, officer="issuer"
    )
    assert token.token_type == "Bearer" and 0 < token.expires_in <= 3600
    assert token.access_token.get_secret_value() not in repr(token)
    with VaultClient(sdk.base_url, access_token=token.access_token.get_secret_value()) as other:
        assert other.auth.me().roles == [Role.ISSUING_OFFICER]

    with vault.uows() as uow:
        vault.auth.add_officer(
            uow,
            username="lan",
            full_name="Trần Thị Lan",
            agency_code=AGENCY,
            roles=[],
            password="correct horse",
        )
        uow.commit()
    assert sdk.auth.login(username="lan", password="correct horse").expires_in > 0
    with pytest.raises(AuthenticationError) as wrong:
        sdk.auth.login(username="lan", password="wrong")
    assert wrong.value.www_authenticate == 'Bearer realm="vault"'
    with pytest.raises(AuthenticationError):
        sdk.auth.oidc("not.a.token")  # OpenID Connect is not configured in the tests

    # Client credentials: wrong secret, another agency's officer.
    with (
        VaultClient(
            sdk.base_url, credentials=ClientCredentials(system.client_id, "wrong", "clerk")
        ) as bad,
        pytest.raises(AuthenticationError),
    ):
        bad.auth.me()
    with pytest.raises(PermissionDeniedError) as foreign:
        sdk.acting_for("other_receiver").auth.me()
    assert "own agency" in foreign.value.detail

    assert sdk.health.alive().status == "ok"
    ready = sdk.health.ready()
    assert ready.ready and set(ready.checks.values()) == {"ok"}
    anonymous = VaultClient(sdk.base_url)
    assert anonymous.auth.jwks().keys[0].kty == "OKP"
    with pytest.raises(AuthenticationError):
        anonymous.auth.me()
    anonymous.close()


def test_ids_and_dates_are_typed_on_the_way_out(sdk: VaultClient) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    assert isinstance(owner.id, uuid.UUID)
    assert owner.created_at.tzinfo is not None and owner.created_at <= datetime.now(UTC)
    with pytest.raises(NotFoundError):
        sdk.documents.get(uuid.uuid4())


def test_portal_sync_queue_and_reconciliation(sdk: VaultClient) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="H")
    dossier = sdk.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0001",
        procedure_code="1.001193",
        owner=owner,
        received_at=RECEIVED,
    )
    with pytest.raises(ConflictError):
        sdk.dossiers.mark_returned(dossier)  # no result recorded yet
    admin = sdk.acting_for("admin")
    # No portal is configured here: the event waits in the outbox.
    status = admin.portal_sync.status()
    assert (status.pending, status.delivered, status.dead) == (1, 0, 0)
    assert admin.portal_sync.dead_letters() == []
    assert admin.portal_sync.replay() == 0
    with pytest.raises(PermissionDeniedError):
        sdk.portal_sync.status()  # the queue is for administrators and auditors
    report = sdk.portal_sync.reconciliation(agency_code=AGENCY, month=date(2025, 1, 15))
    assert not report.agrees and report.dossiers == 1 and report.pending == 1
    [difference] = report.differences
    assert difference.dossier_id == dossier.id
    assert difference.reasons == ["not_synced", "pending:1"]
