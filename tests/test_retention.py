"""Retention, legal holds and disposal, on both backends (SQLite + folder, PostgreSQL + S3).

Every path that deletes an object or a document is tried on a retained and on a held record;
disposal is run end to end through the job runner: listed, approved by a second records
officer, crypto-shredded, tombstoned."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from api.job_handlers import job_registry
from tests.factories import CITIZEN_ID, OTHER_CITIZEN_ID, png_bytes
from tests.people import People
from vault.domain import DocumentOrigin, OwnerKind
from vault.errors import NotFound, PermissionDenied
from vault.jobs import JobRunner
from vault.retention import SHREDDED_KEY_ID, BatchStatus, DocumentDisposed, RetainedRecord
from vault.runtime import Vault
from vault.services import NewDocument, reconcile
from vault.storage.base import ObjectMissing

OLD = date(2015, 3, 1)  # a health certificate issued then is past its 5 years


def owner(vault: Vault, people: People, identifier: str = CITIZEN_ID) -> uuid.UUID:
    with vault.uows() as uow:
        found, _ = vault.owners.register(
            uow, people.actor("clerk"), OwnerKind.CITIZEN, identifier, "Nguyễn Thị Hương"
        )
        uow.commit()
    return found.id


def paper(
    vault: Vault, people: People, owner_id: uuid.UUID, paper_type: str, issued: date | None
) -> uuid.UUID:
    meta = NewDocument(
        paper_type=paper_type,
        title=f"{paper_type} test",
        origin=DocumentOrigin.ISSUED_RESULT,
        issue_date=issued,
        valid_until=issued + timedelta(days=1) if issued else None,
    )
    with vault.uows() as uow:
        document = vault.documents.upload(
            uow, people.actor("clerk"), owner_id, meta, io.BytesIO(png_bytes())
        )
        uow.commit()
    return document.id


def object_key(vault: Vault, document_id: uuid.UUID) -> str:
    with vault.uows() as uow:
        document = uow.documents.get(document_id)
        assert document is not None
        return document.blob.object_key


def stored(vault: Vault, key: str) -> bool:
    try:
        b"".join(vault.uows.blobs.get(key, 0, 4))
    except ObjectMissing:
        return False
    return True


def readable(vault: Vault, document_id: uuid.UUID) -> bool:
    with vault.uows() as uow:
        document = uow.documents.get(document_id)
        assert document is not None
        return bool(b"".join(vault.content.read(uow, document).chunks))


def run_jobs(vault: Vault) -> None:
    runner = JobRunner(vault.uows, job_registry(vault, record_maker=None), poll_seconds=0.05)
    while runner.process_next() is not None:
        pass


def actions(vault: Vault, action: str) -> list[tuple[str, str | None]]:
    with vault.engine.connect() as c:
        rows = c.execute(
            text("SELECT outcome, detail FROM audit_entries WHERE action = :a ORDER BY seq"),
            {"a": action},
        )
        return [(r.outcome, r.detail) for r in rows]


# -- the catalogue ----------------------------------------------------------------------------


def test_every_paper_type_has_a_period_and_its_source(vault: Vault) -> None:
    with vault.uows() as uow:
        rules = {r.paper_type: r for r in vault.retention.rules(uow)}
        types = {t.code for t in uow.paper_types.list()}
    assert set(rules) == types
    assert rules["birth_certificate"].permanent
    assert "Luật Hộ tịch" in rules["birth_certificate"].basis
    assert rules["health_certificate"].years == 5
    assert "10/2022/TT-BNV" in rules["health_certificate"].basis


def test_only_an_administrator_changes_a_period_and_it_is_audited(
    vault: Vault, people: People
) -> None:
    with vault.uows() as uow, pytest.raises(PermissionDenied):
        vault.retention.set_rule(uow, people.actor("records"), "diploma", 3, "wrong person")
    with vault.uows() as uow:
        rule = vault.retention.set_rule(
            uow, people.actor("admin"), "driving_licence", 12, "Quyết định của tỉnh, thử nghiệm"
        )
        uow.commit()
    assert rule.years == 12 and rule.updated_by == people.actor("admin").name
    assert actions(vault, "retention.rule")[-1][1].startswith("driving_licence: 10 -> 12")
    with vault.uows() as uow:  # back, for the other tests of this database
        vault.retention.set_rule(
            uow, people.actor("admin"), "driving_licence", 10, "Circular 10/2022/TT-BNV"
        )
        uow.commit()


# -- no path deletes a retained or held record ------------------------------------------------


@pytest.mark.parametrize("state", ["retained", "held"])
def test_every_delete_path_is_refused(vault: Vault, people: People, state: str) -> None:
    owner_id = owner(vault, people)
    if state == "retained":  # permanent: a birth certificate
        document_id = paper(vault, people, owner_id, "birth_certificate", OLD)
    else:  # past its period, but held
        document_id = paper(vault, people, owner_id, "health_certificate", OLD)
        with vault.uows() as uow:
            vault.retention.place_hold(
                uow, people.actor("records"), document_id=document_id, reason="Vụ án số 12/2026"
            )
            uow.commit()
    key = object_key(vault, document_id)

    # 1. the store the vault hands out (every service, command and job deletes through it)
    with pytest.raises(RetainedRecord):
        vault.uows.blobs.delete(key)
    # 2. a unit of work that rolls back deletes the objects it wrote: never a retained one
    with vault.uows() as uow:
        uow.wrote_object(key)
        uow.rollback()
    # 3. maintenance: reconcile with no grace at all
    report = reconcile(vault.uows, grace=timedelta(0))
    assert key not in report.orphans_removed
    # 4. the service (the API's and the CLI's DELETE), an administrator's included
    for who in ("admin", "records", "clerk"):
        with vault.uows() as uow, pytest.raises(RetainedRecord):
            vault.retention.delete_document(uow, people.actor(who), document_id)
    assert [o for o, _ in actions(vault, "document.delete")] == ["denied"] * 3
    # 5. the database itself, for whoever reaches it with SQL
    with vault.engine.connect() as c, pytest.raises(Exception, match="never deleted"):
        c.execute(
            text("DELETE FROM documents WHERE id = :i"),
            {"i": document_id.hex if vault.engine.dialect.name == "sqlite" else document_id},
        )
    with vault.engine.connect() as c, pytest.raises(Exception, match="tombstone"):
        c.execute(
            text("UPDATE blobs SET wrapped_key = :k WHERE object_key = :o"), {"k": b"", "o": key}
        )
    # 6. disposal: never listed
    with vault.uows() as uow:
        batch = vault.retention.request_list(uow, people.actor("records"))
        uow.commit()
    run_jobs(vault)
    with vault.uows() as uow:
        found, items, _ = vault.retention.batch(uow, people.actor("records"), batch.id)
    assert found.examined == 1 and items == []

    assert stored(vault, key) and readable(vault, document_id)


def test_a_hold_on_the_owner_covers_every_paper_and_lifting_it_is_audited(
    vault: Vault, people: People
) -> None:
    owner_id = owner(vault, people)
    document_id = paper(vault, people, owner_id, "health_certificate", OLD)
    with vault.uows() as uow, pytest.raises(PermissionDenied):
        vault.retention.place_hold(uow, people.actor("clerk"), owner_id=owner_id, reason="x yz")
    with vault.uows() as uow:
        hold = vault.retention.place_hold(
            uow, people.actor("records"), owner_id=owner_id, reason="Thanh tra năm 2026"
        )
        uow.commit()
    with vault.uows() as uow:
        state = vault.retention.of_document(uow, people.actor("auditor"), document_id)
    assert [h.id for h in state.holds] == [hold.id] and state.retain_until == date(2020, 3, 1)
    with vault.uows() as uow:
        lifted = vault.retention.lift_hold(uow, people.actor("admin"), hold.id, "Đã kết thúc")
        uow.commit()
    assert lifted.lifted_by == people.actor("admin").name and not lifted.active
    with vault.uows() as uow:
        assert vault.retention.of_document(uow, people.actor("records"), document_id).holds == []
    assert [o for o, _ in actions(vault, "retention.hold")] == ["ok"]
    assert actions(vault, "retention.hold_lifted")[0][1].endswith("Đã kết thúc")


# -- disposal ---------------------------------------------------------------------------------


def test_disposal_lists_approves_shreds_and_keeps_a_tombstone(vault: Vault, people: People) -> None:
    owner_id = owner(vault, people)
    other = owner(vault, people, OTHER_CITIZEN_ID)
    due = paper(vault, people, owner_id, "health_certificate", OLD)
    kept = paper(vault, people, owner_id, "birth_certificate", OLD)
    recent = paper(vault, people, owner_id, "health_certificate", date.today())
    held = paper(vault, people, other, "criminal_record_extract", OLD)
    late_hold = paper(vault, people, other, "health_certificate", OLD)
    with vault.uows() as uow:
        vault.retention.place_hold(
            uow, people.actor("records"), document_id=held, reason="Khiếu nại đang giải quyết"
        )
        uow.commit()
    due_key = object_key(vault, due)
    with vault.uows() as uow:
        sha = uow.documents.get(due).blob.sha256  # type: ignore[union-attr]

    with vault.uows() as uow:
        batch = vault.retention.request_list(uow, people.actor("records"))
        uow.commit()
    run_jobs(vault)
    with vault.uows() as uow:
        listed, items, _ = vault.retention.batch(uow, people.actor("auditor"), batch.id)
    assert listed.examined == 5
    assert {i.document_id for i in items} == {due, late_hold}

    # four eyes: who asked for the list does not approve it; other roles cannot
    for who in ("records", "admin"):
        with vault.uows() as uow, pytest.raises(PermissionDenied):
            vault.retention.decide(uow, people.actor(who), batch.id, approve=True, note="ok ok")
    # a hold placed after the listing still wins
    with vault.uows() as uow:
        vault.retention.place_hold(
            uow, people.actor("admin"), document_id=late_hold, reason="Yêu cầu của tòa án"
        )
        uow.commit()
    with vault.uows() as uow:
        vault.retention.decide(
            uow, people.actor("records2"), batch.id, approve=True, note="Đã rà soát danh mục"
        )
        uow.commit()
    run_jobs(vault)

    with vault.uows() as uow:
        done, _, stones = vault.retention.batch(uow, people.actor("records"), batch.id)
        blob = uow.documents.get(due).blob  # type: ignore[union-attr]
        wrapped = uow.documents.wrapped_key(blob.id)
    assert done.status is BatchStatus.DISPOSED
    assert [(s.document_id, s.sha256) for s in stones] == [(due, sha)]
    assert stones[0].approved_by == people.actor("records2").name
    # crypto-shredded: the data key is gone and so is the object
    assert blob.key_id == SHREDDED_KEY_ID and wrapped == b""
    assert not stored(vault, due_key)
    with pytest.raises(DocumentDisposed):
        readable(vault, due)
    for survivor in (kept, recent, held, late_hold):
        assert readable(vault, survivor)
    assert [o for o, _ in actions(vault, "document.disposed")] == ["ok"]
    # the row stays (the document's history), and reconcile and key rotation pass over it
    assert reconcile(vault.uows, grace=timedelta(0)).missing_objects == []
    with vault.uows() as uow:
        assert uow.blob_rows.count_not_wrapped_by(vault.keyring.active_key_id) == 0
    # a decided batch is not decided again
    with vault.uows() as uow, pytest.raises(Exception, match="already decided"):
        vault.retention.decide(uow, people.actor("records2"), batch.id, approve=True, note="x2x")


def test_a_rejected_list_disposes_of_nothing(vault: Vault, people: People) -> None:
    owner_id = owner(vault, people)
    due = paper(vault, people, owner_id, "health_certificate", OLD)
    with vault.uows() as uow:
        batch = vault.retention.request_list(uow, people.actor("records"))
        uow.commit()
    run_jobs(vault)
    with vault.uows() as uow:
        decided = vault.retention.decide(
            uow, people.actor("records2"), batch.id, approve=False, note="Cần thẩm định lại"
        )
        uow.commit()
    run_jobs(vault)
    assert decided.status is BatchStatus.REJECTED and readable(vault, due)
    with vault.uows() as uow, pytest.raises(NotFound):
        vault.retention.record(uow, people.actor("records"), batch.id)
