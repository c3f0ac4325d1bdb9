"""Searching the stored papers: Vietnamese, diacritics-insensitive, exact spelling first.

Indexing: each document is one row of lexemes, made from its title, reference number and the
text of every page. A word gives its folded form ("đường" → "duong", `ocr.folding.fold`) and,
when it has diacritics, its exact form too; a document number ("15/QĐ-UBND") stays one word,
and also gives its parts and runs of parts ("15", "qđ", "ubnd", "qđ-ubnd"), so a part
alone still finds it. Folding happens here, once, for both backends.

Searching: every word of the query must be in the document. A query with diacritics is
answered in two tiers: documents with every word spelt as typed, then those that match only
once folded ("đường" first, then "dương" and "dưỡng"; `duong` finds all three alike). Within
a tier, newest first. Only documents the caller may see are searched (`vault.access`), and
every search is audited.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from ocr.folding import fold, tokenize
from vault.access import READING_ROLES, AccessPolicy, Basis, Grant, Visibility, audit_draft
from vault.auth import Actor, ActorKind
from vault.db import UnitOfWork, UnitOfWorkFactory
from vault.db.text_repository import IndexEntry, IndexFilters, IndexScope, LexemeMatch
from vault.domain import Document, Page
from vault.errors import InvalidInput, PermissionDenied
from vault.jobs import OCR_KIND, JobSubject
from vault.services import cursors
from vault.texts import ExtractedPage

log = logging.getLogger(__name__)

MAX_TERMS = 16
MAX_QUERY_CHARS = 200
# No word of a real paper is longer; longer "words" are OCR noise (a row of dots, a scratch).
MAX_LEXEME_CHARS = 60
# A bound on one document's entry: PostgreSQL's tsvector holds at most 1 MB, and a
# Vietnamese character takes up to 3 bytes.
MAX_LEXEMES_CHARS = 200_000
# Runs of parts are indexed for document numbers of up to this many parts.
MAX_COMPOUND_PARTS = 6
SNIPPET_CHARS = 180
# Pages of a result read to find its snippet: enough for almost every paper.
SNIPPET_PAGES = 20

# The token pattern of ocr.folding.tokenize, here with positions (tests hold them equal).
_TOKEN = re.compile(r"[^\W_]+(?:[/.\-][^\W_]+)*")
_PART = re.compile(r"[^/.\-]+")
_SPACE = re.compile(r"\s+")


# -- lexemes ---------------------------------------------------------------------------


def _pieces(token: str) -> list[tuple[str, int, int]]:
    """The token, then (for a document number) every run of two or more of its parts,
    longest first, then its parts; each with its [start, end) in the token.
    "123/2024/tp-ks" → itself, "123/2024/tp", "2024/tp-ks", "123/2024", "2024/tp",
    "tp-ks", "123", "2024", "tp", "ks"."""
    pieces = [(token, 0, len(token))]
    if _PART.fullmatch(token):
        return pieces  # a plain word, the common case
    parts = [(m.start(), m.end()) for m in _PART.finditer(token)]
    if len(parts) <= MAX_COMPOUND_PARTS:
        for size in range(len(parts) - 1, 1, -1):
            for first in range(len(parts) - size + 1):
                start, end = parts[first][0], parts[first + size - 1][1]
                pieces.append((token[start:end], start, end))
    pieces.extend((token[a:b], a, b) for a, b in parts)
    return pieces


def lexemes_of(texts: Iterable[str]) -> str:
    """The space-separated lexemes of these texts, each once: folded forms, and exact forms
    where they differ (diacritics kept, lower case)."""
    seen: dict[str, None] = {}
    size = 0
    for text in texts:
        for token in tokenize(text, folded=False):
            for piece, _, _ in _pieces(token):
                if len(piece) > MAX_LEXEME_CHARS:
                    continue
                for form in (fold(piece), piece):
                    if form not in seen:
                        seen[form] = None
                        size += len(form) + 1
            if size > MAX_LEXEMES_CHARS:
                log.warning("a document's lexemes are cut at %d characters", MAX_LEXEMES_CHARS)
                return " ".join(seen)
    return " ".join(seen)


def metadata_texts(document: Document) -> list[str]:
    return [document.title, document.reference_number or ""]


def index_entry(document: Document, page_texts: Sequence[str]) -> IndexEntry:
    return IndexEntry(
        document_id=document.id,
        owner_id=document.owner_id,
        paper_type=document.paper_type,
        # Only a verified issuer opens a paper to its agency (a scan's stated one does not).
        issuer_agency_code=document.verified_issuer,
        issue_date=document.issue_date,
        lexemes=lexemes_of([*metadata_texts(document), *page_texts]),
    )


def index_document(uow: UnitOfWork, document: Document, page_texts: Sequence[str]) -> None:
    """Puts the document in the search index (replacing its entry), in this transaction."""
    uow.search.put(index_entry(document, page_texts))


@dataclass(frozen=True, slots=True)
class ReindexReport:
    documents: int  # indexed
    ocr_enqueued: int  # documents never OCR'd (stored before OCR existed) now queued


def reindex(
    uows: UnitOfWorkFactory, *, batch: int = 200, enqueue_missing_ocr: bool = False
) -> ReindexReport:
    """Rebuilds the index from the stored documents and their extracted text, a batch per
    transaction (searches keep working meanwhile). With `enqueue_missing_ocr`, documents
    that have neither text nor an OCR job (stored before OCR existed) get one."""
    done = enqueued = 0
    after: uuid.UUID | None = None
    while True:
        with uows() as uow:
            documents = uow.search.documents_after(after, batch)
            if not documents:
                break
            ids = [d.id for d in documents]
            texts = uow.texts.page_texts(ids)
            for document in documents:
                index_document(uow, document, texts[document.id])
            if enqueue_missing_ocr:
                extracted = uow.texts.extracted(ids)
                jobs = uow.jobs.latest_for(ids, OCR_KIND)
                for document_id in ids:
                    if document_id not in extracted and document_id not in jobs:
                        uow.jobs.enqueue(OCR_KIND, subject=JobSubject.document(document_id))
                        enqueued += 1
            uow.commit()
        done += len(documents)
        after = documents[-1].id
    with uows() as uow:
        uow.search.optimise()
        uow.commit()
    return ReindexReport(done, enqueued)


# -- queries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    exact: str  # as typed, lower case
    folded: str

    @property
    def accented(self) -> bool:
        return self.exact != self.folded


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    terms: tuple[Term, ...]

    @property
    def ranked(self) -> bool:
        """Whether exact and folded matches are told apart (the query has diacritics)."""
        return any(t.accented for t in self.terms)

    @property
    def exact(self) -> tuple[str, ...]:
        return tuple(t.exact for t in self.terms)

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(t.folded for t in self.terms)


def parse_query(q: str) -> ParsedQuery:
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput("q", f"at most {MAX_QUERY_CHARS} characters")
    terms: dict[str, Term] = {}
    for token in tokenize(q, folded=False):
        terms.setdefault(token, Term(token, fold(token)))
    if not terms:
        raise InvalidInput("q", "give at least one word or number to search for")
    if len(terms) > MAX_TERMS:
        raise InvalidInput("q", f"at most {MAX_TERMS} words")
    return ParsedQuery(tuple(terms.values()))


class MatchKind(StrEnum):
    EXACT = "exact"  # every word as typed, diacritics included
    FOLDED = "folded"  # some word only without its diacritics


@dataclass(frozen=True, slots=True)
class _Tier:
    kind: MatchKind
    match: LexemeMatch


def _tiers(query: ParsedQuery) -> list[_Tier]:
    if not query.ranked:
        return [_Tier(MatchKind.EXACT, LexemeMatch(query.folded))]
    return [
        _Tier(MatchKind.EXACT, LexemeMatch(query.exact)),
        _Tier(MatchKind.FOLDED, LexemeMatch(query.folded, not_all_of=query.exact)),
    ]


def _encode_cursor(tier: int, last: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(bytes([tier]) + last.bytes).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[int, uuid.UUID | None]:
    if cursor is None:
        return 0, None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) != 17 or raw[0] > 1:
            raise ValueError("bad length")
        return raw[0], uuid.UUID(bytes=raw[1:])
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput("cursor", "the cursor is not one this server handed out") from exc


# -- snippets --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str  # from the original (accented) text, whitespace collapsed
    highlights: tuple[tuple[int, int], ...]  # [start, end) of matched words in `text`


@dataclass(frozen=True, slots=True)
class _Found:
    text: str  # the text searched: NFC, whitespace collapsed
    spans: list[tuple[int, int, bool]] = field(default_factory=list)  # start, end, exact
    exact_terms: set[str] = field(default_factory=set)
    folded_terms: set[str] = field(default_factory=set)


def _flat(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


# fold() of single characters, kept as they are met: folding a page is then one
# str.translate, much cheaper than fold() over the page.
_FOLDED_CHARS: dict[int, str] = {}


def _fold_page(text: str) -> str:
    for char in set(text):
        if ord(char) not in _FOLDED_CHARS:
            _FOLDED_CHARS[ord(char)] = fold(char)
    return text.translate(_FOLDED_CHARS)


def _find(text: str, query: ParsedQuery) -> _Found:
    """Where the query's words are in `text`: a whole word, or a part or run of parts of a
    document number, compared folded; exact when spelt as typed."""
    flat = _flat(text)
    found = _Found(flat)
    folded = _fold_page(flat)
    if not any(term.folded in folded for term in query.terms):
        return found  # most pages of a long paper: no need to look word by word
    by_folded: dict[str, list[Term]] = {}
    for term in query.terms:
        by_folded.setdefault(term.folded, []).append(term)
    # When folding keeps every character in place (Vietnamese in NFC does), words are found
    # in the folded text and read back from the original at the same positions.
    aligned = len(folded) == len(flat)
    for match in _TOKEN.finditer(folded if aligned else flat):
        folded_word = match.group() if aligned else fold(match.group())
        compound = _PART.fullmatch(folded_word) is None
        if not compound and folded_word not in by_folded:
            continue
        word = flat[match.start() : match.end()]
        lowered = word.lower()
        if len(lowered) != len(word):  # a letter whose lower case is longer: whole word only
            lowered = word
        taken: list[tuple[int, int]] = []
        for piece, start, end in _pieces(lowered):
            if any(a < end and start < b for a, b in taken):
                continue  # inside a longer piece already highlighted
            key = folded_word[start:end] if len(folded_word) == len(lowered) else fold(piece)
            terms = by_folded.get(key)
            if not terms:
                continue
            exact = False
            for term in terms:
                found.folded_terms.add(term.folded)
                if piece == term.exact:
                    found.exact_terms.add(term.exact)
                    exact = True
            taken.append((start, end))
            found.spans.append((match.start() + start, match.start() + end, exact))
    found.spans.sort()
    return found


def _snippet(found: _Found, width: int = SNIPPET_CHARS) -> Snippet | None:
    flat, spans = found.text, found.spans
    if not spans:
        return None
    anchor = next((s for s in spans if s[2]), spans[0])
    start = max(0, anchor[0] - width // 3)
    end = min(len(flat), start + width)
    start = max(0, min(start, end - width))
    # Whole words at the edges.
    if start > 0:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < anchor[0] else start
    if end < len(flat):
        space = flat.rfind(" ", anchor[1], end)
        end = space if space > 0 else end
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(flat) else ""
    body = flat[start:end]
    shift = len(prefix) - start
    highlights = tuple((a + shift, b + shift) for a, b, _ in spans if a >= start and b <= end)
    return Snippet(prefix + body + suffix, highlights)


def make_snippet(text: str, query: ParsedQuery, width: int = SNIPPET_CHARS) -> Snippet | None:
    """A window of `text` around the first match (an exact one if any), with every match
    in it highlighted; None if no word of the query is in `text`."""
    return _snippet(_find(text, query), width)


# -- the use case ----------------------------------------------------------------------


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


@dataclass(frozen=True)
class _Visible:
    """The documents the caller may see, as index conditions, and the grants behind them."""

    scope: IndexScope
    grants: dict[uuid.UUID, Visibility]
    issuer_agency: str | None = None

    def grant_for(self, document: Document) -> Grant | None:
        visibility = self.grants.get(document.owner_id)
        if visibility is None:
            if self.issuer_agency is None or document.verified_issuer != self.issuer_agency:
                return None
            visibility = Visibility(document.owner_id, issuer_agency=self.issuer_agency)
        return visibility.grant_for(document)


def _scope_of(visibility: Visibility) -> IndexScope:
    if visibility.everything:
        return IndexScope(owners=frozenset({visibility.owner_id}))
    owner = visibility.owner_id
    return IndexScope(
        issuer_agency=visibility.issuer_agency,
        owner_types=frozenset((owner, t) for t in visibility.by_type),
        document_ids=frozenset(visibility.by_document),
    )


def _union(scopes: Iterable[IndexScope], issuer_agency: str | None) -> IndexScope:
    owners: set[uuid.UUID] = set()
    owner_types: set[tuple[uuid.UUID, str]] = set()
    document_ids: set[uuid.UUID] = set()
    for scope in scopes:
        owners |= scope.owners
        owner_types |= scope.owner_types
        document_ids |= scope.document_ids
    return IndexScope(
        frozenset(owners), issuer_agency, frozenset(owner_types), frozenset(document_ids)
    )


def agency_visibilities(
    uow: UnitOfWork, agency_code: str, *, at: datetime | None = None
) -> dict[uuid.UUID, Visibility]:
    """What `AccessPolicy.visibility` gives an officer of `agency_code` (with a reading role)
    for each owner who has an open dossier at the agency or a live consent for it, read with
    a few queries for all of them. The rules are the policy's; the tests hold the two equal."""
    at = at or datetime.now(UTC)
    by_type: dict[uuid.UUID, dict[str, Grant]] = {}
    by_document: dict[uuid.UUID, dict[uuid.UUID, Grant]] = {}
    dossiers = uow.search.open_dossiers_of(agency_code)
    procedures = uow.search.paper_types_needed(sorted({d.procedure_code for d in dossiers}))
    for dossier in dossiers:
        purpose = f"dossier {dossier.code} (procedure {dossier.procedure_code})"
        grant = Grant(Basis.DOSSIER, purpose, dossier_id=dossier.id)
        types = by_type.setdefault(dossier.owner_id, {})
        documents = by_document.setdefault(dossier.owner_id, {})
        for paper_type in procedures[dossier.procedure_code]:
            types.setdefault(paper_type, grant)
        for document_id in dossier.attached:
            documents.setdefault(document_id, grant)
    for consent in uow.search.active_consents_of(agency_code, at):
        grant = Grant(Basis.CONSENT, f"consent: {consent.purpose}", consent_id=consent.id)
        types = by_type.setdefault(consent.owner_id, {})
        by_document.setdefault(consent.owner_id, {})
        for paper_type in consent.paper_types:
            types.setdefault(paper_type, grant)
    return {
        owner: Visibility(
            owner, issuer_agency=agency_code, by_type=types, by_document=by_document[owner]
        )
        for owner, types in by_type.items()
    }


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
        found = _find(text, query)
        if not found.spans:
            continue
        exact_seen |= found.exact_terms
        snippet = _snippet(found)
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
        first_tier, before = _decode_cursor(cursor)
        visible = self._visible(uow, actor, filters.owner_id)
        index_filters = IndexFilters(
            owner_id=filters.owner_id,
            paper_type=filters.paper_type,
            issued_from=filters.issued_from,
            issued_to=filters.issued_to,
            include_superseded=filters.include_superseded,
        )
        tiers = _tiers(query)
        found: list[tuple[int, Document]] = []
        if not visible.scope.empty:
            for number in range(first_tier, len(tiers)):
                documents = uow.search.search(
                    tiers[number].match,
                    visible.scope,
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
            next_cursor = _encode_cursor(found[-1][0], found[-1][1].id)
        hits = []
        pages = uow.texts.first_pages([d.id for _, d in found], SNIPPET_PAGES)
        for number, document in found:
            # The index applied the access rules; the policy's own answer is checked again
            # for what is shown.
            if visible.grant_for(document) is None:
                log.error("search scope let through document %s; not shown", document.id)
                continue
            hits.append(_hit(document, pages[document.id], query, tiers[number].kind))
        self._audit(uow, actor, filters, hits, visible)
        return Page(hits, next_cursor)

    def _visible(self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID | None) -> _Visible:
        def deny(reason: str) -> PermissionDenied:
            return self._access.deny(uow, actor, "search", reason, owner_id=owner_id)

        if actor.kind is ActorKind.OWNER:
            assert actor.owner_id is not None
            if owner_id is not None and owner_id != actor.owner_id:
                raise deny("an owner searches only their own warehouse")
            own = self._access.visibility(uow, actor, actor.owner_id)
            return _Visible(_scope_of(own), {actor.owner_id: own})
        if owner_id is not None:
            visibility = self._access.visibility(uow, actor, owner_id)
            if visibility.nothing:
                raise deny("nothing in this warehouse is open to you")
            return _Visible(_scope_of(visibility), {owner_id: visibility})
        # No owner given: what the agency issued, and every warehouse open to it.
        agency = actor.agency_code
        if agency is None or not actor.has(*READING_ROLES):
            return _Visible(IndexScope(), {})  # auditors, administrators: no papers
        grants = agency_visibilities(uow, agency)
        scope = _union((_scope_of(v) for v in grants.values()), agency)
        return _Visible(scope, grants, issuer_agency=agency)

    def _audit(
        self,
        uow: UnitOfWork,
        actor: Actor,
        filters: SearchFilters,
        hits: Sequence[SearchHit],
        visible: _Visible,
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
