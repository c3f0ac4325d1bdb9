"""The answering side of reuse between provinces, in process (SQLite and PostgreSQL): this
vault's own access rule decides what a peer's officer may see, and every answer is audited."""

from __future__ import annotations

import io
import uuid

import pytest

from tests.factories import CITIZEN_ID, OTHER_CITIZEN_ID, pdf_bytes
from tests.people import People
from vault.access import PeerPurpose
from vault.domain import DocumentOrigin, OwnerKind
from vault.errors import PermissionDenied
from vault.runtime import Vault
from vault.services import NewDocument

PEER_AGENCY = "000.00.40.H11"


def purpose(**changes: str) -> PeerPurpose:
    fields = {
        "peer": "tinh-c",
        "peer_label": "tỉnh C",
        "agency_prefix": "000.00.40",
        "agency_code": PEER_AGENCY,
        "officer_id": "officer-9",
        "officer_name": "Trần Văn Chín",
        "dossier_code": f"{PEER_AGENCY}-250115-0003",
        "procedure_code": "1.002809",  # driving licence: licence, health certificate, ID card
    }
    return PeerPurpose(**{**fields, **changes})


def _paper(
    vault: Vault, people: People, owner_id: uuid.UUID, paper_type: str, **kw: object
) -> None:
    with vault.uows() as uow:
        vault.documents.upload(
            uow,
            people.actor("clerk"),
            owner_id,
            NewDocument(
                paper_type=paper_type,
                title=paper_type,
                origin=DocumentOrigin.ISSUED_RESULT,
                issuer_agency_code="000.00.15.H57",
                **kw,  # type: ignore[arg-type]
            ),
            io.BytesIO(pdf_bytes()),
        )
        uow.commit()


@pytest.fixture
def owner(vault: Vault, people: People) -> uuid.UUID:
    with vault.uows() as uow:
        found, _ = vault.owners.register(
            uow, people.actor("clerk"), OwnerKind.CITIZEN, CITIZEN_ID, "Nguyễn Thị Hương"
        )
        uow.commit()
    return found.id


def test_only_the_papers_the_procedure_needs_with_reasons(
    vault: Vault, people: People, owner: uuid.UUID
) -> None:
    from datetime import date

    _paper(vault, people, owner, "driving_licence", issue_date=date(2020, 1, 1))
    _paper(vault, people, owner, "health_certificate", issue_date=date(2023, 1, 10))  # expired
    _paper(vault, people, owner, "birth_certificate")  # not needed by 1.002809
    with vault.uows() as uow:
        lookup = vault.peer_answers.candidates(
            uow,
            purpose(),
            CITIZEN_ID,
            ["driving_licence", "health_certificate", "birth_certificate"],
        )
        uow.commit()
    offered = {o.document.paper_type: o for o in lookup.offered}
    assert set(offered) == {"driving_licence", "health_certificate"}
    assert offered["driving_licence"].usable
    assert not offered["health_certificate"].usable
    assert [r.code for r in offered["health_certificate"].reasons] == ["expired"]
    assert [(t, r.code) for t, r in lookup.refused] == [("birth_certificate", "not_needed")]
    with vault.uows() as uow:
        entries = [e for e in uow.audit.iter_all() if e.owner_id == owner]
    asked = [e for e in entries if e.action == "peer.reuse_candidates"]
    assert {e.outcome for e in asked} == {"ok", "denied"}
    assert all(e.actor_name == "Trần Văn Chín" and e.agency_code == PEER_AGENCY for e in asked)
    assert all(e.client_id == "peer:tinh-c" for e in asked)
    assert all("000.00.40.H11-250115-0003" in (e.purpose or "") for e in asked)


@pytest.mark.parametrize(
    "changes",
    [
        {"agency_code": "000.00.15.H57"},  # not one of the peer's agencies
        {"dossier_code": "000.00.40.H12-250115-0003"},  # another agency received it
    ],
)
def test_a_peer_speaks_only_for_its_agencies_and_their_dossiers(
    vault: Vault, people: People, owner: uuid.UUID, changes: dict[str, str]
) -> None:
    _paper(vault, people, owner, "driving_licence")
    with vault.uows() as uow, pytest.raises(PermissionDenied):
        vault.peer_answers.candidates(uow, purpose(**changes), CITIZEN_ID, ["driving_licence"])
    with vault.uows() as uow:
        denied = [e for e in uow.audit.iter_all() if e.outcome == "denied"]
    assert denied and denied[-1].owner_id == owner  # the owner sees the attempt


def test_an_unknown_citizen_or_procedure_gives_nothing(
    vault: Vault, people: People, owner: uuid.UUID
) -> None:
    _paper(vault, people, owner, "driving_licence")
    with vault.uows() as uow:
        nobody = vault.peer_answers.candidates(
            uow, purpose(), OTHER_CITIZEN_ID, ["driving_licence"]
        )
        unknown = vault.peer_answers.candidates(
            uow, purpose(procedure_code="9.999999"), CITIZEN_ID, ["driving_licence"]
        )
    assert nobody.offered == () and nobody.refused == ()
    assert unknown.offered == ()
    assert [t for t, _ in unknown.refused] == ["driving_licence"]
