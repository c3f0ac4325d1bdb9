"""The search index: one row of lexemes per document, and the queries over it on both
backends (PostgreSQL's tsvector under a GIN index, SQLite's FTS5). What the lexemes are and
which documents a caller may see are decided by `ocr.search` and `vault.access`; here they
are only conditions on the index."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    any_,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Subquery

from ocr.db.models import SearchIndexRow
from vault.db.models import DocumentRow
from vault.db.repositories import _select_documents, document_from_columns
from vault.domain import Document


@dataclass(frozen=True, slots=True)
class IndexEntry:
    document_id: uuid.UUID
    owner_id: uuid.UUID
    paper_type: str
    issuer_agency_code: str | None
    issue_date: date | None
    lexemes: str  # space-separated; made by the caller


@dataclass(frozen=True, slots=True)
class LexemeMatch:
    """Rows having every lexeme of `all_of`, and not all of `not_all_of` (if given)."""

    all_of: tuple[str, ...]
    not_all_of: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexScope:
    """The documents a search may return: the access rules as conditions on the index."""

    owners: frozenset[uuid.UUID] = frozenset()  # everything of these owners
    issuer_agency: str | None = None  # everything this agency issued
    owner_types: frozenset[tuple[uuid.UUID, str]] = frozenset()  # (owner, paper type)
    document_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.owners or self.issuer_agency or self.owner_types or self.document_ids)


@dataclass(frozen=True, slots=True)
class IndexFilters:
    owner_id: uuid.UUID | None = None
    paper_type: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    include_superseded: bool = False


def _tsquery(match: LexemeMatch) -> str:
    def conj(lexemes: tuple[str, ...]) -> str:
        quoted = ("'" + x.replace("\\", "\\\\").replace("'", "''") + "'" for x in lexemes)
        return " & ".join(quoted)

    query = conj(match.all_of)
    if match.not_all_of:
        query = f"{query} & !({conj(match.not_all_of)})"
    return query


def _fts5_query(match: LexemeMatch) -> str:
    def conj(lexemes: tuple[str, ...]) -> str:
        return " AND ".join('"' + x.replace('"', '""') + '"' for x in lexemes)

    query = f"({conj(match.all_of)})"
    if match.not_all_of:
        query = f"{query} NOT ({conj(match.not_all_of)})"
    return query


# PostgreSQL: words in at least this share of documents are looked for on the newest
# candidates one by one, PROBE of them at most; rarer ones through the GIN index.
COMMON = 0.03
PROBE = 1000
FREQUENCIES_TTL = 600.0  # seconds
_FREQUENCIES: dict[str, tuple[float, dict[str, float], float]] = {}
_FREQUENCIES_LOCK = threading.Lock()
_BITMAP_ONLY = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
)
_PLANNER_DEFAULTS = (
    "SELECT set_config(name, reset_val, true) FROM pg_settings"
    " WHERE name IN ('enable_seqscan', 'enable_indexscan')"
)


class SearchIndexRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    @property
    def _dialect(self) -> str:
        return self._s.get_bind().dialect.name

    # -- writing -------------------------------------------------------------------------

    def put(self, entry: IndexEntry) -> None:
        """Adds the document to the index, or replaces its entry."""
        self.remove(entry.document_id)
        lexemes: Any = entry.lexemes
        if self._dialect == "postgresql":
            lexemes = cast(literal(entry.lexemes), TSVECTOR)
        self._s.execute(
            insert(SearchIndexRow).values(
                document_id=entry.document_id,
                owner_id=entry.owner_id,
                paper_type=entry.paper_type,
                issuer_agency_code=entry.issuer_agency_code,
                issue_date=entry.issue_date,
                lexemes=lexemes,
            )
        )

    def remove(self, document_id: uuid.UUID) -> None:
        self._s.execute(delete(SearchIndexRow).where(SearchIndexRow.document_id == document_id))

    def clear(self) -> int:
        result = self._s.execute(delete(SearchIndexRow))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def count(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(SearchIndexRow)) or 0)

    def optimise(self) -> None:
        """After a rebuild: SQLite rebuilds its FTS5 table from the index rows (whatever
        drifted is gone) and merges its segments. PostgreSQL's GIN index is transactional."""
        if self._dialect == "sqlite":
            self._s.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))
            self._s.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))

    # -- reading -------------------------------------------------------------------------

    @staticmethod
    def _fts_matches(match: LexemeMatch) -> ColumnElement[bool]:
        """SQLite: the rows whose FTS5 entry matches."""
        return text(
            "search_index.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :fts)"
        ).bindparams(fts=_fts5_query(match))  # type: ignore[return-value]

    def _in_scope(self, scope: IndexScope) -> ColumnElement[bool]:
        si = SearchIndexRow
        postgres = self._dialect == "postgresql"

        def among(column: Any, values: Sequence[uuid.UUID]) -> ColumnElement[bool]:
            # PostgreSQL: one array parameter (= ANY), not a parameter per id to bind.
            if postgres:
                ids: ColumnElement[bool] = column == any_(
                    literal(list(values), ARRAY(Uuid(as_uuid=True)))
                )
                return ids
            return column.in_(values)  # type: ignore[no-any-return]

        allowed: list[ColumnElement[bool]] = []
        if scope.owners:
            allowed.append(among(si.owner_id, sorted(scope.owners)))
        if scope.issuer_agency is not None:
            allowed.append(si.issuer_agency_code == scope.issuer_agency)
        # (owner, type) pairs grouped by type: a few `paper_type = t AND owner_id IN (...)`,
        # whose long lists PostgreSQL hashes, rather than one row-value IN list.
        owners_by_type: dict[str, list[uuid.UUID]] = {}
        for owner, paper_type in sorted(scope.owner_types):
            owners_by_type.setdefault(paper_type, []).append(owner)
        for paper_type, owners in sorted(owners_by_type.items()):
            allowed.append(and_(si.paper_type == paper_type, among(si.owner_id, owners)))
        if scope.document_ids:
            allowed.append(among(si.document_id, sorted(scope.document_ids)))
        return or_(*allowed) if allowed else false()

    def search(
        self,
        match: LexemeMatch,
        scope: IndexScope,
        filters: IndexFilters,
        *,
        before_id: uuid.UUID | None,
        limit: int,
    ) -> list[Document]:
        """Matching documents in scope, newest first (ids are time-ordered)."""
        candidates = self._candidates(scope, filters, before_id)
        if self._dialect == "postgresql":
            return self._search_pg(candidates, match, limit)
        si = SearchIndexRow
        hits = (
            candidates.where(self._fts_matches(match))
            .order_by(si.document_id.desc())
            .limit(limit)
            .subquery()
        )
        return self._documents_in(hits)

    def _documents_in(self, hits: Subquery) -> list[Document]:
        """The documents whose ids `hits` selects, newest first, in the same statement."""
        rows = self._s.execute(
            _select_documents()
            .join(hits, hits.c.document_id == DocumentRow.id)
            .order_by(DocumentRow.id.desc())
        )
        return [document_from_columns(r) for r in rows]

    def _candidates(
        self, scope: IndexScope, filters: IndexFilters, before_id: uuid.UUID | None
    ) -> Select[Any]:
        """The documents the search may return, whatever their words."""
        si = SearchIndexRow
        q = select(si.document_id).where(self._in_scope(scope))
        if filters.owner_id is not None:
            q = q.where(si.owner_id == filters.owner_id)
        if filters.paper_type is not None:
            q = q.where(si.paper_type == filters.paper_type)
        if filters.issued_from is not None:
            q = q.where(si.issue_date >= filters.issued_from)
        if filters.issued_to is not None:
            q = q.where(si.issue_date <= filters.issued_to)
        if not filters.include_superseded:
            # A version is superseded when another names it (documents.supersedes_id is
            # unique, hence indexed): always current, never a copy to keep in step.
            newer = aliased(DocumentRow)
            q = q.where(~exists().where(newer.supersedes_id == si.document_id))
        if before_id is not None:
            q = q.where(si.document_id < before_id)
        return q

    def _search_pg(self, candidates: Select[Any], match: LexemeMatch, limit: int) -> list[Document]:
        """The newest `limit` candidates whose lexemes match.

        Checking one document's lexemes means reading them from TOAST, which the planner
        takes to be free. Left to itself it either checks every candidate newest first
        (ruinous when the words are rare) or fetches every match through the GIN index
        before sorting them (ruinous when they are common). So the strategy is chosen here,
        from the lexeme frequencies ANALYZE keeps: common words are checked on the newest
        candidates (PROBE of them at most: enough matches are found long before), rare
        words go through the GIN index, which is cheap for them.
        """
        si = SearchIndexRow
        query = cast(_tsquery(match), TSQUERY)
        common = self._frequency(match.all_of) >= COMMON
        if common:
            window = (
                candidates.add_columns(si.lexemes)
                .order_by(si.document_id.desc())
                .limit(PROBE)
                .subquery()
            )
            found = self._documents_in(
                select(window.c.document_id)
                .where(window.c.lexemes.op("@@")(query))
                .order_by(window.c.document_id.desc())
                .limit(limit)
                .subquery()
            )
            if len(found) >= limit:
                return found
            # Common overall, rare among these candidates: the index after all.
        # Every match through the GIN index (the materialised CTE keeps the planner from
        # walking the candidates newest first), then the newest of them.
        matches = (
            candidates.where(si.lexemes.op("@@")(query)).cte("matches").prefix_with("MATERIALIZED")
        )
        hits = (
            select(matches.c.document_id)
            .order_by(matches.c.document_id.desc())
            .limit(limit)
            .subquery()
        )
        if not common:
            return self._documents_in(hits)
        # The planner thinks these words common too: bitmap scans only, or it would read
        # every candidate's lexemes in a sequential scan.
        self._s.execute(text(_BITMAP_ONLY))
        try:
            return self._documents_in(hits)
        finally:
            self._s.execute(text(_PLANNER_DEFAULTS))

    def _frequency(self, lexemes: Sequence[str]) -> float:
        """Estimated share of documents having all these lexemes (independence assumed)."""
        known, floor = self._lexeme_frequencies()
        share = 1.0
        for lexeme in lexemes:
            share *= known.get(lexeme, floor / 2)
        return share

    def _lexeme_frequencies(self) -> tuple[dict[str, float], float]:
        """The most common lexemes and their frequencies, from pg_stats; cached a while
        per database (ANALYZE refreshes them no more often)."""
        bind = self._s.get_bind()
        key = str(bind.engine.url)
        now = time.monotonic()
        with _FREQUENCIES_LOCK:
            cached = _FREQUENCIES.get(key)
            if cached is not None and cached[0] > now:
                return cached[1], cached[2]
        row = self._s.execute(
            text(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                " WHERE schemaname = current_schema() AND tablename = 'search_index'"
                " AND attname = 'lexemes'"
            )
        ).one_or_none()
        known: dict[str, float] = {}
        if row is not None and row[0] is not None:
            known = dict(zip(row[0], row[1], strict=False))
        floor = min(known.values(), default=0.0)
        with _FREQUENCIES_LOCK:
            _FREQUENCIES[key] = (now + FREQUENCIES_TTL, known, floor)
        return known, floor

    def count_documents(self) -> int:
        """Every stored document (all versions): the total `vault reindex` walks."""
        return int(self._s.scalar(select(func.count()).select_from(DocumentRow)) or 0)

    def documents_after(self, after_id: uuid.UUID | None, limit: int) -> list[Document]:
        """Every stored document (all versions), in id order: what `vault reindex` walks."""
        q = _select_documents().order_by(DocumentRow.id).limit(limit)
        if after_id is not None:
            q = q.where(DocumentRow.id > after_id)
        return [document_from_columns(r) for r in self._s.execute(q)]

    def is_indexed(self, document_id: uuid.UUID) -> bool:
        found = self._s.scalar(
            select(SearchIndexRow.id).where(SearchIndexRow.document_id == document_id)
        )
        return found is not None
