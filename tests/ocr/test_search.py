"""Search on both backends: Vietnamese folding, exact spelling first, document numbers as
typed, highlighted snippets, filters and paging, access rules, audit, and reindexing."""

from __future__ import annotations

import argparse
import io
import re
import uuid
from contextlib import AbstractContextManager
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from api.progress import progress_display
from ocr.cli import reindex_main
from ocr.db import SearchIndexRepository
from ocr.folding import tokenize
from ocr.search import (
    MatchKind,
    SearchFilters,
    SearchHit,
    SearchService,
    lexemes_of,
    make_snippet,
    parse_query,
    reindex,
)
from ocr.search.snippets import _TOKEN
from tests.conftest import Backend
from tests.ocr import corpus
from tests.ocr.vault_support import api_client, new_owner, store, text_page, with_text
from tests.people import AGENCY, People
from tests.test_access_matrix import (
    GRANTING_PATHS,
    NON_READING_OFFICERS,
    PATHS,
    READING_OFFICERS,
    SCANNED_BY_B,
    build_world,
)
from vault.auth import Actor
from vault.db.job_models import JobRow
from vault.domain import Document
from vault.errors import InvalidInput, PermissionDenied
from vault.jobs import JobStatus
from vault.progress import Progress
from vault.runtime import Vault

CITIZEN = "079203001234"
OTHER_CITIZEN = "001099012345"
PNG = text_page("x")  # content does not matter here: the text is given, not read


def find(
    vault: Vault, actor: Actor, q: str, filters: SearchFilters | None = None, **kw: object
) -> list[SearchHit]:
    with vault.uows() as uow:
        page = SearchService(vault.access).search(
            uow,
            actor,
            q,
            filters or SearchFilters(),
            **kw,  # type: ignore[arg-type]
        )
        uow.commit()
    return page.items


def ids(hits: list[SearchHit]) -> list[uuid.UUID]:
    return [h.document.id for h in hits]


def paper(vault: Vault, actor: Actor, owner: uuid.UUID, *pages: str, **meta: object) -> Document:
    document = store(vault, actor, owner, PNG, **meta)  # type: ignore[arg-type]
    with_text(vault, document, *pages)
    return document


@pytest.fixture
def clerk(people: People) -> Actor:
    return people.actor("clerk")


@pytest.fixture
def owner(vault: Vault, clerk: Actor) -> uuid.UUID:
    return new_owner(vault, clerk, CITIZEN, "Nguyễn Thị Hương")


def test_names_and_places_are_found_without_diacritics(
    vault: Vault, clerk: Actor, owner: uuid.UUID
) -> None:
    birth = paper(vault, clerk, owner, "Họ, chữ đệm, tên: NGUYỄN THỊ HƯƠNG\nNơi sinh: Đồng Nai")
    other = paper(vault, clerk, owner, "Họ và tên: Trần Văn Nam\nNơi sinh: Hà Nội")
    assert ids(find(vault, clerk, "nguyen thi huong")) == [birth.id]
    assert ids(find(vault, clerk, "Nguyễn Thị Hương")) == [birth.id]
    assert ids(find(vault, clerk, "dong nai")) == [birth.id]
    assert ids(find(vault, clerk, "DONG NAI")) == [birth.id]
    assert ids(find(vault, clerk, "ha noi")) == [other.id]
    assert find(vault, clerk, "dong nam") == []  # every word must be there
    # đ is its own letter: plain accent stripping would leave it, folding does not.
    assert ids(find(vault, clerk, "Ðồng Nai")) == [birth.id]  # Icelandic eth, as OCR reads it


def test_exact_spelling_comes_before_folded_matches(
    vault: Vault, clerk: Actor, owner: uuid.UUID
) -> None:
    # The exact one is the oldest: recency alone would put it last.
    road = paper(vault, clerk, owner, "Số 12 đường Lê Lợi")
    name = paper(vault, clerk, owner, "Ông Dương Văn Minh")
    care = paper(vault, clerk, owner, "Trung tâm dưỡng lão")

    hits = find(vault, clerk, "đường")
    assert ids(hits) == [road.id, care.id, name.id]
    assert [h.match for h in hits] == [MatchKind.EXACT, MatchKind.FOLDED, MatchKind.FOLDED]
    assert ids(find(vault, clerk, "dưỡng")) == [care.id, name.id, road.id]
    assert set(ids(find(vault, clerk, "duong"))) == {road.id, name.id, care.id}
    # With two words, exact means both as typed.
    assert ids(find(vault, clerk, "đường Lê Lợi"))[0] == road.id
    assert ids(find(vault, clerk, "đường le loi")) == [road.id]


def test_document_numbers_are_found_as_typed(vault: Vault, clerk: Actor, owner: uuid.UUID) -> None:
    decision = paper(vault, clerk, owner, "QUYẾT ĐỊNH\nSố: 15/QĐ-UBND\nngày 15/03/2024")
    lookalike = paper(vault, clerk, owner, "Số: 27/QĐ-UBND\nĐiều 15. Hiệu lực")
    registry = paper(vault, clerk, owner, "Số: 123/2024/TP-KS")
    assert ids(find(vault, clerk, "15/QĐ-UBND")) == [decision.id]
    assert ids(find(vault, clerk, "15/qd-ubnd")) == [decision.id]
    assert ids(find(vault, clerk, "Số 15/QĐ-UBND")) == [decision.id]
    assert set(ids(find(vault, clerk, "QĐ-UBND"))) == {decision.id, lookalike.id}
    assert set(ids(find(vault, clerk, "ubnd"))) == {decision.id, lookalike.id}
    assert ids(find(vault, clerk, "123/2024/TP-KS")) == [registry.id]
    assert ids(find(vault, clerk, "TP-KS")) == [registry.id]
    assert ids(find(vault, clerk, "15/03/2024")) == [decision.id]
    # The document's own reference number and title are indexed too.
    numbered = paper(vault, clerk, owner, reference_number="88/GP-SXD", title="Giấy phép xây dựng")
    assert ids(find(vault, clerk, "88/GP-SXD")) == [numbered.id]
    assert ids(find(vault, clerk, "giay phep xay dung")) == [numbered.id]


def test_snippets_highlight_the_original_accented_words(
    vault: Vault, clerk: Actor, owner: uuid.UUID
) -> None:
    filler = " ".join(["Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014;"] * 6)
    paper(
        vault,
        clerk,
        owner,
        "Trang một",
        f"{filler}\nHọ và tên:   NGUYỄN Thị Hương, sinh tại Đồng Nai.\n{filler}",
    )
    [hit] = find(vault, clerk, "nguyen thi huong")
    assert hit.page == 2 and hit.match is MatchKind.FOLDED
    marked = [hit.snippet.text[a:b] for a, b in hit.snippet.highlights]
    assert marked == ["NGUYỄN", "Thị", "Hương"]
    assert "Họ và tên: NGUYỄN Thị Hương, sinh tại Đồng Nai." in hit.snippet.text
    assert hit.snippet.text.startswith("… ") and hit.snippet.text.endswith(" …")
    assert len(hit.snippet.text) < 220

    [hit] = find(vault, clerk, "Nguyễn Thị Hương")
    assert hit.match is MatchKind.EXACT

    snippet = make_snippet("Số: 15/QĐ-UBND của UBND tỉnh", parse_query("ubnd"))
    assert snippet is not None
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["UBND", "UBND"]


def test_filters_and_paging(vault: Vault, clerk: Actor, owner: uuid.UUID) -> None:
    other = new_owner(vault, clerk, OTHER_CITIZEN, "Trần Văn Nam")
    old = paper(vault, clerk, owner, "Đồng Nai", issue_date=date(2020, 5, 1))
    birth = paper(
        vault, clerk, owner, "Đồng Nai", paper_type="birth_certificate", title="Giấy khai sinh"
    )
    recent = paper(vault, clerk, owner, "Đồng Nai", issue_date=date(2024, 5, 1))
    theirs = paper(vault, clerk, other, "Dong Nai")

    assert ids(find(vault, clerk, "dong nai")) == [theirs.id, recent.id, birth.id, old.id]
    assert ids(find(vault, clerk, "dong nai", SearchFilters(owner_id=other))) == [theirs.id]
    by_type = SearchFilters(paper_type="birth_certificate")
    assert ids(find(vault, clerk, "dong nai", by_type)) == [birth.id]
    in_2024 = SearchFilters(issued_from=date(2024, 1, 1), issued_to=date(2024, 12, 31))
    assert ids(find(vault, clerk, "dong nai", in_2024)) == [recent.id]
    with pytest.raises(InvalidInput):
        find(
            vault,
            clerk,
            "dong nai",
            SearchFilters(issued_from=date(2025, 1, 1), issued_to=date(2024, 1, 1)),
        )

    # Pages run across both tiers: exact ones first, then folded, each newest first.
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        with vault.uows() as uow:
            page = SearchService(vault.access).search(
                uow, clerk, "Đồng Nai", SearchFilters(), cursor=cursor, limit=1
            )
            uow.commit()
        seen += ids(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [recent.id, birth.id, old.id, theirs.id]

    with pytest.raises(InvalidInput):
        find(vault, clerk, " ,;- ")
    with pytest.raises(InvalidInput):
        find(vault, clerk, "dong", cursor="not-a-cursor")


def test_a_reissue_hides_the_version_it_supersedes(
    vault: Vault, clerk: Actor, owner: uuid.UUID
) -> None:
    import io

    from vault.domain import DocumentOrigin
    from vault.services import NewDocument

    first = paper(vault, clerk, owner, "Giấy phép kinh doanh số 7")
    meta = NewDocument("procedure_result", "Quyết định", DocumentOrigin.ISSUED_RESULT)
    with vault.uows() as uow:
        second = vault.documents.new_version(uow, clerk, first.id, meta, io.BytesIO(PNG))
        uow.commit()
    with_text(vault, second, "Giấy phép kinh doanh số 7 (cấp lại)")
    assert ids(find(vault, clerk, "giay phep kinh doanh")) == [second.id]
    every = SearchFilters(include_superseded=True)
    assert ids(find(vault, clerk, "giay phep kinh doanh", every)) == [second.id, first.id]


def test_search_obeys_the_access_rules(client: TestClient, vault: Vault, people: People) -> None:
    """The access matrix of tests/test_access_matrix.py, through search."""
    world = build_world(client, vault, people)
    reindex(vault.uows)  # index the papers (title "Thẻ căn cước") without any OCR
    all_ids = {cell.document_id for cell in world.values()}

    def visible(who: str) -> set[str]:
        found = {str(i) for i in ids(find(vault, people.actor(who), "the can cuoc"))}
        assert found <= all_ids
        return found

    for role in READING_OFFICERS:
        want = {world[p].document_id for p in PATHS if p in GRANTING_PATHS}
        assert visible(role) == want, role
    for role in NON_READING_OFFICERS:
        # Agency B issued every paper but "issued"'s and its scans': it finds what it issued.
        want = {world[p].document_id for p in PATHS if p != "issued" and p not in SCANNED_BY_B}
        assert visible(role) == (want if role == "other_clerk" else set()), role
    assert visible("owner-self") == {world["none"].document_id}

    # Within one warehouse: the same rules; an owner searches only their own.
    consent = world["consent"]
    receiver = people.actor("receiver")
    only = SearchFilters(owner_id=uuid.UUID(consent.owner_id))
    assert [str(i) for i in ids(find(vault, receiver, "the can cuoc", only))] == [
        consent.document_id
    ]
    closed = SearchFilters(owner_id=uuid.UUID(world["none"].owner_id))
    assert find(vault, receiver, "the can cuoc", closed) == []
    with pytest.raises(PermissionDenied):
        find(vault, people.actor("auditor"), "the can cuoc", closed)
    with pytest.raises(PermissionDenied):
        find(vault, people.actor("owner-self"), "the can cuoc", only)

    # Every search is audited, the papers shown in each owner's own log; the words are not.
    with vault.uows() as uow:
        entries = list(uow.audit.iter_all())
    searches = [e for e in entries if e.action == "search"]
    assert len(searches) >= len(READING_OFFICERS) + len(NON_READING_OFFICERS) + 1
    shown = [e for e in entries if e.action == "search.result"]
    consent_log = [
        e for e in shown if str(e.owner_id) == consent.owner_id and e.agency_code == AGENCY
    ]
    assert consent_log and all(e.purpose and e.purpose.startswith("consent:") for e in consent_log)
    assert not any("can cuoc" in (e.detail or "") for e in entries)
    denied = [e for e in entries if e.action == "search" and e.outcome == "denied"]
    assert len(denied) == 2


def test_search_shows_exactly_what_the_access_policy_grants(
    client: TestClient, vault: Vault, people: People
) -> None:
    """The access rule has one home, vault.access: for every kind of searcher, a paper is
    found across warehouses, and within its own, exactly when the policy grants it to them."""
    world = build_world(client, vault, people)
    reindex(vault.uows)
    searchers = [*READING_OFFICERS, *NON_READING_OFFICERS, "owner-self"]
    for name in searchers:
        actor = people.actor(name)
        with vault.uows() as uow:
            reach = vault.access.reach(uow, actor)
            granted: set[str] = set()
            for cell in world.values():
                document = uow.documents.get(uuid.UUID(cell.document_id))
                assert document is not None
                grant = vault.access.visibility(uow, actor, document.owner_id).grant_for(document)
                # Across warehouses, the policy's answer is the same as for one owner.
                assert reach.grant_for(document) == grant, (name, cell)
                if grant is not None:
                    granted.add(cell.document_id)
        assert {str(i) for i in ids(find(vault, actor, "the can cuoc"))} == granted, name
        for cell in world.values():
            within = SearchFilters(owner_id=uuid.UUID(cell.owner_id))
            try:
                found = {str(i) for i in ids(find(vault, actor, "the can cuoc", within))}
            except PermissionDenied:
                found = set()
            assert found == granted & {cell.document_id}, (name, cell)


def test_reindex_rebuilds_the_index_from_stored_documents(
    backend: Backend, vault: Vault, clerk: Actor, owner: uuid.UUID
) -> None:
    birth = paper(vault, clerk, owner, "Nơi sinh: Đồng Nai")
    bare = store(vault, clerk, owner, PNG, title="Thẻ căn cước")  # no text yet: title only
    with vault.uows() as uow:
        assert uow.repository(SearchIndexRepository).clear() == 1
        uow.commit()
    assert find(vault, clerk, "dong nai") == []

    shown = io.StringIO()

    def display(label: str) -> AbstractContextManager[Progress]:
        return progress_display(label, stream=shown, every=0)

    args = argparse.Namespace(batch=1, ocr_missing=False)
    assert reindex_main(args, backend.settings, display) == 0
    # A line per batch of one, counted against the documents there are.
    lines = shown.getvalue().splitlines()
    assert lines[0].startswith("reindex: documents: 0/2 done")
    assert lines[1].startswith("reindex: documents: 1/2 done")
    assert lines[-1].startswith("reindex: documents: 2/2 done")
    assert ids(find(vault, clerk, "dong nai")) == [birth.id]
    assert ids(find(vault, clerk, "the can cuoc")) == [bare.id]
    with vault.uows() as uow:
        assert uow.repository(SearchIndexRepository).count() == 2
    # Again: idempotent.
    assert reindex(vault.uows).documents == 2
    assert ids(find(vault, clerk, "dong nai")) == [birth.id]

    # A paper stored before OCR existed has no job: --ocr-missing queues one.
    with vault.uows() as uow:
        uow.session.execute(delete(JobRow).where(JobRow.subject_id == bare.id))
        uow.commit()
    report = reindex(vault.uows, enqueue_missing_ocr=True)
    assert (report.documents, report.ocr_enqueued) == (2, 1)
    with vault.uows() as uow:
        assert [j.status for j in uow.jobs.for_document(bare.id)] == [JobStatus.PENDING]


def test_search_over_http(vault: Vault, people: People, clerk: Actor, owner: uuid.UUID) -> None:
    road = paper(
        vault, clerk, owner, "Số 12 đường Lê Lợi <i>, tỉnh Đồng Nai", issue_date=date(2024, 1, 2)
    )
    name = paper(vault, clerk, owner, "Ông Dương Văn Minh, tỉnh Đồng Nai")
    with api_client(vault, people.auth("clerk")) as client:
        r = client.get("/api/v1/search", params={"q": "đường"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [i["document"]["id"] for i in body["items"]] == [str(road.id), str(name.id)]
        first = body["items"][0]
        assert first["match"] == "exact" and first["page"] == 1
        assert "<mark>đường</mark> Lê Lợi &lt;i&gt;," in first["snippet"]["html"]
        assert first["document"]["title"] == "Quyết định"

        r = client.get(
            "/api/v1/search",
            params={"q": "dong nai", "from": "2024-01-01", "to": "2024-12-31", "limit": 5},
        )
        assert [i["document"]["id"] for i in r.json()["items"]] == [str(road.id)]
        r = client.get("/api/v1/search", params={"q": "dong nai", "limit": 1})
        assert r.json()["next_cursor"] is not None
        r = client.get("/api/v1/search", params={"q": ""})
        assert r.status_code == 422
        r = client.get("/api/v1/search", params={"q": "...", "owner_id": str(owner)})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "q"
        r = client.get("/api/v1/search", params={"q": "dong"}, headers={"Authorization": ""})
        assert r.status_code == 401


# -- units ---------------------------------------------------------------------------------


def test_snippet_tokens_are_the_folding_tokens() -> None:
    """ocr.search finds words with the pattern of ocr.folding.tokenize, with positions."""
    for document in corpus.DOCUMENTS:
        text = document.truth + " 15/QĐ-UBND, ngày 1.2.2024 - a_b"
        spans = [m.group().lower() for m in _TOKEN.finditer(text)]
        assert spans == tokenize(text, folded=False)


def test_lexemes_keep_numbers_whole_and_both_spellings() -> None:
    lexemes = lexemes_of(["Số 15/QĐ-UBND, đường Nguyễn Huệ, " + "x" * 80]).split()
    assert {"15/qd-ubnd", "15/qđ-ubnd", "qđ-ubnd", "qd-ubnd", "ubnd", "15"} <= set(lexemes)
    assert {"duong", "đường", "nguyen", "nguyễn", "hue", "huệ", "so", "số"} <= set(lexemes)
    assert len(lexemes) == len(set(lexemes))
    assert not any(len(x) > 60 for x in lexemes)
    assert re.fullmatch(r"\S+( \S+)*", lexemes_of(["a  b\n\tc"]))


def test_queries_are_bounded() -> None:
    with pytest.raises(InvalidInput):
        parse_query(" ".join(f"w{i}" for i in range(17)))
    with pytest.raises(InvalidInput):
        parse_query("x" * 201)
    assert parse_query("Đồng đồng ĐỒNG").exact == ("đồng",)
