"""Queries: every word of the query must be in the document. A query with diacritics is
answered in two tiers: documents with every word spelt as typed, then those that match only
once folded ("đường" first, then "dương" and "dưỡng"; `duong` finds all three alike). A
cursor says which tier a page ended in, and after which document.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from enum import StrEnum

from ocr.db import LexemeMatch
from ocr.folding import fold, tokenize
from vault.errors import InvalidInput

MAX_TERMS = 16
MAX_QUERY_CHARS = 200


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
class Tier:
    kind: MatchKind
    match: LexemeMatch


def tiers(query: ParsedQuery) -> list[Tier]:
    if not query.ranked:
        return [Tier(MatchKind.EXACT, LexemeMatch(query.folded))]
    return [
        Tier(MatchKind.EXACT, LexemeMatch(query.exact)),
        Tier(MatchKind.FOLDED, LexemeMatch(query.folded, not_all_of=query.exact)),
    ]


def encode_cursor(tier: int, last: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(bytes([tier]) + last.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, uuid.UUID | None]:
    if cursor is None:
        return 0, None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) != 17 or raw[0] > 1:
            raise ValueError("bad length")
        return raw[0], uuid.UUID(bytes=raw[1:])
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput("cursor", "the cursor is not one this server handed out") from exc
