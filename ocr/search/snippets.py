"""Snippets: a window of a page's original (accented) text around the query's words, every
match in it highlighted. Words are found folded, as the index finds them, and read back
from the original at the same positions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ocr.folding import fold
from ocr.search.indexing import PART, pieces_of
from ocr.search.query import ParsedQuery, Term

SNIPPET_CHARS = 180

# The token pattern of ocr.folding.tokenize, here with positions (tests hold them equal).
_TOKEN = re.compile(r"[^\W_]+(?:[/.\-][^\W_]+)*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str  # from the original (accented) text, whitespace collapsed
    highlights: tuple[tuple[int, int], ...]  # [start, end) of matched words in `text`


@dataclass(frozen=True, slots=True)
class Found:
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


def find_terms(text: str, query: ParsedQuery) -> Found:
    """Where the query's words are in `text`: a whole word, or a part or run of parts of a
    document number, compared folded; exact when spelt as typed."""
    flat = _flat(text)
    found = Found(flat)
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
        compound = PART.fullmatch(folded_word) is None
        if not compound and folded_word not in by_folded:
            continue
        word = flat[match.start() : match.end()]
        lowered = word.lower()
        if len(lowered) != len(word):  # a letter whose lower case is longer: whole word only
            lowered = word
        taken: list[tuple[int, int]] = []
        for piece, start, end in pieces_of(lowered):
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


def snippet_of(found: Found, width: int = SNIPPET_CHARS) -> Snippet | None:
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
    return snippet_of(find_terms(text, query), width)
