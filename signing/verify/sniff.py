"""Is it a PDF at all: a check cheap enough for the parent process (no pyHanko import)."""

from __future__ import annotations

import re

# ISO 32000: the header may be preceded by up to 1024 bytes of junk.
_HEADER = re.compile(rb"%PDF-(\d\.\d)")


def sniff_pdf(data: bytes) -> bool:
    """True when `data` carries a PDF header in its first 1024 bytes."""
    return _HEADER.search(data[: 1024 + 8]) is not None


def header_version(data: bytes) -> str | None:
    match = _HEADER.search(data[: 1024 + 8])
    return match.group(1).decode() if match else None
