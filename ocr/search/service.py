"""Searching the stored papers: the use case. Only documents the caller may see are
searched: `vault.access` decides which (`AccessPolicy.reach`, `visibility`), turned here into
conditions on the index and applied again, document by document, to what is shown. Within a
tier, newest first. Every search is audited.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ocr.db import IndexFilters, IndexScope, SearchIndexRepository, TextRepository
from ocr.search.indexing import metadata_texts
from ocr.search.query import (
    MatchKind,
    ParsedQuery,
    decode_cursor,
    encode_cursor,
    parse_query,
    tiers,
)
from ocr.search.snippets import Snippet, find_terms, snippet_of
from vault.access import AccessPolicy, Reach, audit_draft
from vault.auth import Actor, ActorKind
from vault.domain import Document, Page
from vault.errors import InvalidInput, PermissionDenied
from vault.services import cursors
from vault.texts import ExtractedPage

if TYPE_CHECKING:
    from vault.services import UnitOfWork

log = logging.getLogger(__name__)

# Pages of a result read to find its snippet: enough for almost every paper.
SNIPPET_PAGES = 20


@dataclass(frozen=True, slots=True)
class SearchFilters:
    owner_id: uuid.UUID | None = None
    paper_type: str | None = None
    issued_from: date | None = None  # the paper's issue date, inclusive
    issued_to: date | None = None
    include_superseded: bool = False


@dataclass(frozen=True, slots=True)
class SearchHit:
    document: Document
    match: MatchKind
    page: int | None  # the page the snippet is from; None: from the title or number
    snippet: Snippet


def index_scope(reach: Reach) -> IndexScope:
    """What `vault.access` lets the caller see, as conditions the index can apply: owners open
    in full, (owner, paper type) pairs and documents granted, and what the agency issued. A
    translation, not a decision: every document found is shown only if `reach.grant_for`
    gives a grant. (Within one warehouse the agency's issuer grant is held to that owner by
    the search's own owner filter.)"""
    owners: set[uuid.UUID] = set()
    owner_types: set[tuple[uuid.UUID, str]] = set()
    document_ids: set[uuid.UUID] = set()
    issuer_agency = reach.issuer_agency
    for visibility in reach.visibilities.values():
        owner = visibility.owner_id
        if visibility.everything:
            owners.add(owner)
            continue
        issuer_agency = issuer_agency or visibility.issuer_agency
        owner_types |= {(owner, t) for t in visibility.by_type}
        document_ids |= set(visibility.by_document)
    return IndexScope(
        frozenset(owners), issuer_agency, frozenset(owner_types), frozenset(document_ids)
    )


def _hit(
    document: Document, pages: Sequence[ExtractedPage], query: ParsedQuery, tier: MatchKind
) -> SearchHit:
    """The result for one document: where the query's words are best (the page with the
    most of them spelt as typed, else the first match) and how it matched."""
    exact_seen: set[str] = set()
    first: tuple[int | None, Snippet] | None = None
    best: tuple[int | None, Snippet] | None = None
    best_score = -1
    texts: list[tuple[int | None, str]] = [(None, " · ".join(metadata_texts(document)))]
    texts += [(p.number, p.text) for p in pages]
    for page, text in texts:
        found = find_terms(text, query)
        if not found.spans:
            continue
        exact_seen |= found.exact_terms
        snippet = snippet_of(found)
        assert snippet is not None
        first = first or (page, snippet)
        score = len(found.exact_terms) * 100 + len(found.folded_terms)
        if page is not None and score > best_score:
            best, best_score = (page, snippet), score
            if len(found.exact_terms) == len(query.terms):
                break  # every word as typed: no page can do better
    chosen = best or first or (None, Snippet(document.title, ()))
    kind = tier
    if not query.ranked:
        kind = MatchKind.EXACT if exact_seen >= set(query.exact) else MatchKind.FOLDED
    return SearchHit(document, kind, chosen[0], chosen[1])


class SearchService:
    def __init__(self, access: AccessPolicy) -> None:
        self._access = access

    def search(
        self,
        uow: UnitOfWork,
        actor: Actor,
        q: str,
        filters: SearchFilters,
        *,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[SearchHit]:
        limit = cursors.check_limit(limit, maximum=100)
        if (
            filters.issued_from is not None
            and filters.issued_to is not None
            and filters.issued_from > filters.issued_to
        ):
            raise InvalidInput("from", "the range starts after it ends")
        query = parse_query(q)
        first_tier, before = decode_cursor(cursor)
        visible = self._visible(uow, actor, filters.owner_id)
        scope = index_scope(visible)
        index_filters = IndexFilters(
            owner_id=filters.owner_id,
            paper_type=filters.paper_type,
            issued_from=filters.issued_from,
            issued_to=filters.issued_to,
            include_superseded=filters.include_superseded,
        )
        ranked = tiers(query)
        index = uow.repository(SearchIndexRepository)
        found: list[tuple[int, Document]] = []
        if not scope.empty:
            for number in range(first_tier, len(ranked)):
                documents = index.search(
                    ranked[number].match,
                    scope,
                    index_filters,
                    before_id=before if number == first_tier else None,
                    limit=limit + 1 - len(found),
                )
                found.extend((number, d) for d in documents)
                if len(found) > limit:
                    break
        next_cursor = None
        if len(found) > limit:
            found = found[:limit]
            next_cursor = encode_cursor(found[-1][0], found[-1][1].id)
        hits = []
        pages = uow.repository(TextRepository).first_pages([d.id for _, d in found], SNIPPET_PAGES)
        for number, document in found:
            # The index applied the access rules as conditions; the policy's own answer
            # decides what is shown.
            if visible.grant_for(document) is None:
                log.error("search scope let through document %s; not shown", document.id)
                continue
            hits.append(_hit(document, pages[document.id], query, ranked[number].kind))
        self._audit(uow, actor, filters, hits, visible)
        return Page(hits, next_cursor)

    def _visible(self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID | None) -> Reach:
        def deny(reason: str) -> PermissionDenied:
            return self._access.deny(uow, actor, "search", reason, owner_id=owner_id)

        if actor.kind is ActorKind.OWNER:
            if owner_id is not None and owner_id != actor.owner_id:
                raise deny("an owner searches only their own warehouse")
            return self._access.reach(uow, actor)
        if owner_id is not None:
            visibility = self._access.visibility(uow, actor, owner_id)
            if visibility.nothing:
                raise deny("nothing in this warehouse is open to you")
            return Reach({owner_id: visibility})
        # No owner given: what the agency issued, and every warehouse open to it.
        return self._access.reach(uow, actor)

    def _audit(
        self,
        uow: UnitOfWork,
        actor: Actor,
        filters: SearchFilters,
        hits: Sequence[SearchHit],
        visible: Reach,
    ) -> None:
        # The query text is not recorded: it may carry an ID number or a name, and the audit
        # log keeps everything for good. Who searched, with which filters, and which papers
        # were shown (per owner, so each owner sees it in their access log) is.
        used = [
            name
            for name, value in (
                ("owner", filters.owner_id),
                ("type", filters.paper_type),
                ("from", filters.issued_from),
                ("to", filters.issued_to),
            )
            if value is not None
        ]
        uow.record(
            audit_draft(
                actor,
                "search",
                owner_id=filters.owner_id,
                detail=f"{len(hits)} results; filters: {', '.join(used) or 'none'}",
            )
        )
        if actor.kind is ActorKind.OWNER:
            return
        by_owner: dict[uuid.UUID, list[Document]] = {}
        for hit in hits:
            by_owner.setdefault(hit.document.owner_id, []).append(hit.document)
        for owner_id, documents in by_owner.items():
            purposes = sorted(
                {g.purpose for d in documents if (g := visible.grant_for(d)) is not None}
            )
            ids = " ".join(str(d.id) for d in documents)
            uow.record(
                audit_draft(
                    actor,
                    "search.result",
                    owner_id=owner_id,
                    document_id=documents[0].id if len(documents) == 1 else None,
                    purpose="; ".join(purposes)[:500] or None,
                    detail=f"shown in search results: {ids}"[:1000],
                )
            )
