"""The SDK's retention methods against the live API (both backends), sync and async."""

from __future__ import annotations

import pytest
from vault_client import AsyncVaultClient, ConflictError, PermissionDeniedError, VaultClient

from tests.people import People
from tests.test_retention import OLD, owner, paper, run_jobs
from vault.runtime import Vault


def test_holds_delete_and_disposal_through_the_sdk(
    live: str, vault: Vault, people: People, sdk: VaultClient
) -> None:
    owner_id = owner(vault, people)
    due = paper(vault, people, owner_id, "health_certificate", OLD)
    kept = paper(vault, people, owner_id, "procedure_result", OLD)
    fixed = sdk.retention.correct(
        kept, reason="Sai số ký hiệu", requested_by="chủ hồ sơ", reference_number="15/QĐ"
    )
    assert fixed.version == 2 and fixed.reference_number == "15/QĐ"
    rules = {r.paper_type: r for r in sdk.retention.rules()}
    assert rules["birth_certificate"].years is None
    with pytest.raises(ConflictError):
        sdk.retention.delete_document(due)
    with pytest.raises(PermissionDeniedError):
        sdk.retention.place_hold(document=due, reason="clerks cannot")

    with (
        VaultClient(live, access_token=people.token("records")) as records,
        VaultClient(live, access_token=people.token("records2")) as records2,
    ):
        hold = records.retention.place_hold(owner=owner_id, reason="Thanh tra 2026")
        assert records.retention.of_document(due).holds[0].id == hold.id
        assert records.retention.lift_hold(hold, reason="Kết thúc").active is False
        batch = records.retention.request_disposal()
        run_jobs(vault)
        assert [i.document_id for i in records.retention.disposal(batch).items] == [due]
        with pytest.raises(PermissionDeniedError):
            records.retention.decide(batch, approve=True, note="tự duyệt")
        assert records2.retention.decide(batch, approve=True, note="Đồng ý").status == "approved"
        run_jobs(vault)
        detail = records2.retention.disposal(batch)
        assert detail.batch.status == "disposed" and detail.tombstones[0].document_id == due
        assert records.retention.of_document(due).tombstone is not None


@pytest.mark.anyio
async def test_the_async_client_reads_rules_and_holds(
    live: str, vault: Vault, people: People
) -> None:
    owner_id = owner(vault, people)
    document = paper(vault, people, owner_id, "driving_licence", OLD)
    async with AsyncVaultClient(live, access_token=people.token("records")) as records:
        assert len(await records.retention.rules()) >= 12
        hold = await records.retention.place_hold(document=document, reason="Vụ việc 3")
        assert [h.id for h in await records.retention.holds(active=True)] == [hold.id]
        state = await records.retention.of_document(document)
        assert state.retain_until is not None and state.holds[0].reason == "Vụ việc 3"
