"""Vietnamese folding and tokens for search.

`fold` maps "Nguyễn Thị Hương" to "nguyen thi huong" and "Đồng Nai" to "dong nai". Unicode
decomposition strips the tones and the breve, circumflex and horn, but not the bar of đ: Đ/đ is
a letter of its own (U+0110/U+0111) with no decomposition, so it is mapped explicitly. Tesseract
sometimes reads Đ as the look-alike Icelandic eth Ð (U+00D0); that folds to d as well.

Folding is lossy ("duong" is dương, đường and dưỡng): index the exact and the folded form and
rank exact matches first (see DOMAIN.md).

`tokenize` keeps document numbers whole: "15/QĐ-UBND", "123/2024/TP-KS", dates "15/03/2024"
and 12-digit ID numbers are one token each, so a search for the number finds the number.
"""

from __future__ import annotations

import re
import unicodedata

# Letters with a stroke or look-alikes that no decomposition reaches.
_STROKES = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})

# A word, then any number of (connector, word) pairs: "/", "-" or "." between two word
# characters joins them ("QĐ-UBND", "123/2024/TP-KS", "1.2"); a trailing one does not.
_TOKEN = re.compile(r"[^\W_]+(?:[/.\-][^\W_]+)*")
_CONNECTORS = re.compile(r"[/.\-]")


def fold(text: str) -> str:
    """Lower-case, every diacritic removed, đ → d. Whitespace and punctuation are kept."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare).lower()


def tokenize(text: str, *, folded: bool = True, with_parts: bool = False) -> list[str]:
    """Search tokens in reading order.

    folded: fold each token (the default, for the folded index); False keeps the exact
    spelling, lower-cased, for the exact index.
    with_parts: after a compound token ("15/qd-ubnd"), also emit its parts ("15", "qd",
    "ubnd"), so that "ubnd" alone still matches.
    """
    # NFC first: in decomposed input the combining marks are not word characters and would
    # split "Hương" into pieces.
    normal = unicodedata.normalize("NFC", text)
    tokens: list[str] = []
    for match in _TOKEN.finditer(normal):
        token = fold(match.group()) if folded else match.group().lower()
        tokens.append(token)
        if with_parts and _CONNECTORS.search(token):
            tokens.extend(part for part in _CONNECTORS.split(token) if part)
    return tokens
