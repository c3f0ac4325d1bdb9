"""Searching the stored papers: Vietnamese, diacritics-insensitive, exact spelling first.

- `ocr.search.indexing`: the lexemes of a document, and its row in the index; `reindex`;
- `ocr.search.query`: parsing a query, its tiers (exact spelling, then folded), cursors;
- `ocr.search.snippets`: where the words are in a page, and the highlighted window shown;
- `ocr.search.service`: the use case, under `vault.access`, audited.
"""

from ocr.search.indexing import (
    ReindexReport,
    index_document,
    index_entry,
    is_indexed,
    lexemes_of,
    metadata_texts,
    reindex,
)
from ocr.search.query import MatchKind, ParsedQuery, Term, parse_query
from ocr.search.service import SearchFilters, SearchHit, SearchService, index_scope
from ocr.search.snippets import Snippet, make_snippet

__all__ = [
    "MatchKind",
    "ParsedQuery",
    "ReindexReport",
    "SearchFilters",
    "SearchHit",
    "SearchService",
    "Snippet",
    "Term",
    "index_document",
    "index_entry",
    "index_scope",
    "is_indexed",
    "lexemes_of",
    "make_snippet",
    "metadata_texts",
    "parse_query",
    "reindex",
]
