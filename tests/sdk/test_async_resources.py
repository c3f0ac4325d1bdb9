"""Every resource through AsyncVaultClient, against the API served for real on both
backends: the same methods as the sync client, awaited."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from vault_client import (
    AsyncCursorPage,
    AsyncVaultClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    Password,
    PermissionDeniedError,
    Reuse,
)
from vault_client.types import DocumentStatus, DossierStatus, Procedure, Requirement, Role

from tests.factories import CITIZEN_ID, padded_pdf, pdf_bytes, png_bytes
from tests.people import AGENCY, People
from tests.sdk.conftest import FAST_RETRY, AgencySystem
from vault.runtime import Vault

pytestmark = pytest.mark.anyio

VIETNAM = timezone(timedelta(hours=7))
RECEIVED = datetime(2025, 1, 15, 9, 0, tzinfo=VIETNAM)


async def test_owners_and_documents(async_sdk: AsyncVaultClient, tmp_path: Path) -> None:
    client = async_sdk
    owner = await client.owners.create(
        kind="citizen", identifier=CITIZEN_ID, display_name="Nguyễn Thị Hương"
    )
    assert (await client.owners.lookup(CITIZEN_ID)).id == owner.id
    assert await client.owners.get(owner.id) == owner
    with pytest.raises(BadRequestError):
        await client.owners.lookup("not a number")

    content = padded_pdf(400_000)
    path = tmp_path / "scan.pdf"
    path.write_bytes(content)
    seen: list[int] = []
    docs = [
        await client.documents.upload(
            owner,
            path,
            paper_type="birth_certificate",
            title="Giấy khai sinh",
            origin="issued_result",
            on_progress=lambda done, _total: seen.append(done),
        ),
        await client.documents.upload(
            owner,
            io.BytesIO(png_bytes()),
            paper_type="chip_id_card",
            title="CCCD",
            origin="issued_result",
        ),
        await client.documents.upload(
            owner,
            pdf_bytes(),
            paper_type="driving_licence",
            title="GPLX",
            origin="issued_result",
            valid_until=date(2035, 1, 1),
        ),
    ]
    assert seen[-1] == len(content)
    page = await client.documents.list(owner=owner, limit=2)
    assert isinstance(page, AsyncCursorPage) and len(page.items) == 2
    nxt = await page.next_page()
    assert nxt is not None and len(nxt.items) == 1 and await nxt.next_page() is None
    assert [d.id async for d in client.documents.list(owner=owner, limit=1)] == [
        d.id for d in reversed(docs)
    ]
    assert [p.next_cursor async for p in page.iter_pages()][-1] is None
    valid = [d.id async for d in client.documents.list(owner=owner, valid_on=date(2040, 1, 1))]
    assert docs[2].id not in valid
    assert await client.documents.get(docs[0].id) == docs[0]

    v2 = await client.documents.new_version(
        docs[2],
        pdf_bytes(2),
        paper_type="driving_licence",
        title="GPLX cấp lại",
        origin="issued_result",
    )
    versions = await client.documents.versions(v2)
    assert [v.status for v in versions] == [DocumentStatus.SUPERSEDED, DocumentStatus.CURRENT]

    target = tmp_path / "copy.pdf"
    result = await client.documents.download(docs[0], target)
    assert result.verified and target.read_bytes() == content
    sink = io.BytesIO()
    await client.documents.download(docs[1], sink)
    assert sink.getvalue() == png_bytes()
    async with client.documents.stream(docs[0], offset=10, length=20) as part:
        assert part.status_code == 206
        assert b"".join([c async for c in part.aiter_bytes()]) == content[10:30]


async def test_dossiers_reuse_catalogue_indicators(async_sdk: AsyncVaultClient) -> None:
    client = async_sdk
    owner = await client.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="H")
    card = await client.documents.upload(
        owner, png_bytes(), paper_type="chip_id_card", title="CCCD", origin="issued_result"
    )
    dossier = await client.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0001",
        procedure_code="1.001193",
        owner=owner,
        received_at=RECEIVED,
    )
    assert (await client.dossiers.get(dossier)).id == dossier.id
    assert [d.id async for d in client.dossiers.list(owner=owner)] == [dossier.id]
    assert len((await client.dossiers.list(owner=owner, limit=1)).items) == 1
    plan = await client.reuse.needed_papers(dossier)
    chip = next(n for n in plan.needed if n.paper_type == "chip_id_card")
    attached = await client.reuse.attach(dossier, chip.usable[0].document)
    assert attached.document_id == card.id and attached.reused is Reuse.YES
    result = await client.documents.upload(
        owner, pdf_bytes(), paper_type="procedure_result", title="KQ", origin="issued_result"
    )
    added = await client.dossiers.add_result(dossier, document=result, result_code="KQ.G15.000031")
    assert added.result_code == "KQ.G15.000031"
    assert {a.document_id for a in await client.dossiers.attachments(dossier)} == {
        card.id,
        result.id,
    }
    assert (await client.dossiers.close(dossier)).status is DossierStatus.CLOSED
    with pytest.raises(ConflictError):
        await client.reuse.attach(dossier, card)

    assert any(p.code == "chip_id_card" for p in await client.catalogue.paper_types())
    assert any(p.code == "1.001193" for p in await client.catalogue.procedures())
    assert (await client.catalogue.procedure("1.001193")).code == "1.001193"
    new = Procedure(
        code="2.000889",
        name_vi="Trích lục",
        requirements=[Requirement(paper_type="chip_id_card", component_name="CCCD")],
    )
    assert await client.acting_for("admin").catalogue.put_procedure(new) == new
    monthly = await client.indicators.monthly(agency_code=AGENCY, month="2025-01")
    assert monthly.dossiers_received == 1
    csv = await client.indicators.monthly_csv(agency_code=AGENCY, month="2025-01")
    assert "4.3" in csv


async def test_consents_access_log_auth_and_probes(
    async_sdk: AsyncVaultClient, system: AgencySystem, vault: Vault, people: People
) -> None:
    client = async_sdk
    owner = await client.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="H")
    with vault.uows() as uow:
        vault.auth.add_owner_account(uow, owner_id=owner.id, username="huong", password="pw-1234")
        uow.commit()
    card = await client.documents.upload(
        owner, png_bytes(), paper_type="chip_id_card", title="CCCD", origin="issued_result"
    )
    await client.documents.get(card)
    async with AsyncVaultClient(
        client.base_url, credentials=Password("huong", "pw-1234"), retry=FAST_RETRY
    ) as me:
        consent = await me.consents.create(
            agency_code=AGENCY, paper_types=["chip_id_card"], purpose="Vay vốn"
        )
        assert [c.id for c in await me.consents.list()] == [consent.id]
        assert (await me.consents.receipt(consent)).receipt.services[0].purpose == "Vay vốn"
        assert not (await me.consents.revoke(consent)).active
        records = [r async for r in me.access_log.list(limit=1)]
        assert any(r.document_id == card.id and r.action == "document.read" for r in records)
        first = await me.access_log.list(limit=1)
        assert len(first.items) == 1
        assert (await me.auth.me()).owner_id == owner.id

    identity = await client.auth.me()
    assert identity.client_id == system.client_id
    assert (await client.acting_for("auditor").auth.me()).roles == [Role.AUDITOR]
    token = await client.auth.client_credentials(
        client_id=system.client_id, client_secret=system.client_secret, officer="receiver"
    )
    assert token.expires_in > 0
    assert (await client.auth.login(username="huong", password="pw-1234")).expires_in > 0
    with pytest.raises(AuthenticationError):
        await client.auth.oidc("x.y.z")
    assert (await client.auth.jwks()).keys
    assert (await client.health.alive()).status == "ok"
    assert (await client.health.ready()).ready
    with pytest.raises(PermissionDeniedError):
        await client.acting_for("other_receiver").auth.me()
    with pytest.raises(NotFoundError):
        await client.owners.lookup("001099012345")


async def test_portal_sync_from_the_async_client(async_sdk: AsyncVaultClient) -> None:
    client = async_sdk
    owner = await client.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="H")
    await client.dossiers.create(
        dossier_code=f"{AGENCY}-250115-0001",
        procedure_code="1.001193",
        owner=owner,
        received_at=RECEIVED,
    )
    admin = client.acting_for("admin")
    assert (await admin.portal_sync.status()).pending == 1
    assert await admin.portal_sync.dead_letters(agency_code=AGENCY) == []
    assert await admin.portal_sync.replay() == 0
    report = await client.portal_sync.reconciliation(agency_code=AGENCY, month="2025-01")
    assert report.differences[0].reasons == ["not_synced", "pending:1"]
