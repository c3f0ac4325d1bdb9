"""A faster reader for PDF hex strings, for pyHanko's parser, installed in the workers.

pyHanko reads a hex string one byte at a time through a generator; a signature's /Contents
is a hex string of 10-40 KB, so reading one signature dictionary took ~100 ms here, most
of a whole validation. This reads it in one slice and decodes it with `binascii`. Anything
unusual (a comment inside the string, a character that is not a hex digit or whitespace,
the end of the file) goes back to pyHanko's own reader from the same position, so the
result, and every error, is exactly pyHanko's.
"""

from __future__ import annotations

import binascii
from typing import IO, Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

_original = generic.read_hex_string_from_stream
_HEX = b"0123456789abcdefABCDEF"
_CHUNK = 1 << 16


def read_hex_string_from_stream(stream: IO[bytes]) -> Any:
    start = stream.tell()
    stream.read(1)  # the "<"
    body = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:  # unterminated: let pyHanko report it
            stream.seek(start)
            return _original(stream)
        end = chunk.find(b">")
        if end >= 0:
            body += chunk[:end]
            break
        body += chunk
    digits = bytes(body).translate(None, PDF_WHITESPACE)
    if b"%" in body or digits.translate(None, _HEX):
        stream.seek(start)
        return _original(stream)
    stream.seek(start + 1 + len(body) + 1)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def install() -> None:
    """Makes pyHanko's object parser use the reader above (idempotent, process-wide)."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream


def uninstall() -> None:
    generic.read_hex_string_from_stream = _original
