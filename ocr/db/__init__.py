"""OCR's own tables and their repositories, on the vault's declarative `Base`. The only part
of `ocr` that imports SQLAlchemy or `vault.db`; the rest gets a repository from the unit of
work: `uow.repository(TextRepository)`, `uow.repository(SearchIndexRepository)`."""

from ocr.db.search_index import (
    IndexEntry,
    IndexFilters,
    IndexScope,
    LexemeMatch,
    SearchIndexRepository,
)
from ocr.db.texts import TextRepository

__all__ = [
    "IndexEntry",
    "IndexFilters",
    "IndexScope",
    "LexemeMatch",
    "SearchIndexRepository",
    "TextRepository",
]
