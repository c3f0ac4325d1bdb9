"""Byte-level checks of the file and of each signature's /ByteRange, on the raw bytes.

These do not rely on pyHanko's coverage verdict: universal signature forgery (a missing,
empty or malformed /Contents or /ByteRange) and signature wrapping (signed bytes moved so
that a crafted /ByteRange still hashes to the signed value) are caught here by insisting on
the one shape an honest signer produces: the byte range starts at 0, its gap is exactly the
hex string that is this signature dictionary's /Contents, and it ends exactly where a
revision of the file ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.verify.report import Finding, Severity

_EOF = re.compile(rb"%%EOF(\r\n|\r|\n)?")
_HEX_STRING = re.compile(rb"<[0-9A-Fa-f]*>")
_CONTENTS_KEY_BEFORE = re.compile(rb"/Contents\s*$")


@dataclass(frozen=True)
class RevisionBounds:
    index: int
    start: int  # first byte of this revision's update (0 for the original)
    end: int  # just after its %%EOF marker (and end-of-line)


def revision_bounds(data: bytes, reader: PdfFileReader) -> list[RevisionBounds]:
    """Where each revision ends: the first %%EOF after its cross-reference section. A stray
    "%%EOF" inside a stream elsewhere cannot fake a revision end this way."""
    bounds: list[RevisionBounds] = []
    start = 0
    for revision in range(reader.xrefs.total_revisions):
        info = reader.xrefs.get_xref_container_info(revision)
        match = _EOF.search(data, info.end_location)
        # max(): a linearized file's first-page section comes first in the file but reads
        # as a later revision; it then spans no bytes of its own.
        end = max(match.end() if match else len(data), start)
        bounds.append(RevisionBounds(revision, start, end))
        start = end
    return bounds


def revisions_with_signature_dictionaries(data: bytes, bounds: list[RevisionBounds]) -> set[int]:
    """Revisions whose bytes hold a /ByteRange key: where signatures were added, including
    ones a later revision detached from the form."""
    found: set[int] = set()
    at = data.find(b"/ByteRange")
    while at != -1:
        found.update(b.index for b in bounds if b.start <= at < b.end)
        at = data.find(b"/ByteRange", at + 1)
    return found


@dataclass(frozen=True)
class ByteRangeCheck:
    byte_range: tuple[int, ...]
    ok: bool
    signed_end: int | None  # where the signed bytes end, when the range is well formed
    findings: tuple[Finding, ...]


def _as_ints(value: object) -> tuple[int, ...] | None:
    if not isinstance(value, generic.ArrayObject | list):
        return None
    out: list[int] = []
    for item in value:
        # bool is an int subclass; floats are not offsets
        if isinstance(item, bool) or not isinstance(item, int):
            return None
        out.append(int(item))
    return tuple(out)


def check_byte_range(
    data: bytes,
    raw_byte_range: object,
    contents: bytes | None,
    sig_offset: int | None,
    bounds: list[RevisionBounds],
) -> ByteRangeCheck:
    """`raw_byte_range` as parsed from the signature dictionary; `contents` the decoded
    /Contents string; `sig_offset` where the signature dictionary's object starts (None:
    inside an object stream, or unknown)."""
    errors: list[tuple[str, str]] = []

    def fail(code: str, message: str) -> ByteRangeCheck:
        finding = Finding(code, Severity.ERROR, message)
        return ByteRangeCheck(values or (), False, None, (finding,))

    values = _as_ints(raw_byte_range)
    if values is None:
        return fail("BYTE_RANGE_MALFORMED", "/ByteRange is not an array of integers")
    if len(values) != 4:
        return fail(
            "BYTE_RANGE_MALFORMED",
            f"/ByteRange has {len(values)} numbers; a PDF signature has exactly 4",
        )
    start1, len1, start2, len2 = values
    size = len(data)
    if min(values) < 0:
        return fail("BYTE_RANGE_MALFORMED", "/ByteRange has a negative number")
    if start1 != 0:
        return fail("BYTE_RANGE_NOT_FROM_START", "the signed bytes do not start at offset 0")
    if len1 <= 0 or len2 <= 0:
        return fail("BYTE_RANGE_MALFORMED", "/ByteRange parts overlap or are empty")
    if start2 <= len1:
        return fail("BYTE_RANGE_OVERLAP", "/ByteRange parts overlap or are empty (no gap)")
    if start2 + len2 > size:
        return fail(
            "BYTE_RANGE_OUTSIDE_FILE",
            f"/ByteRange reaches byte {start2 + len2}, past the end of the file ({size} bytes)",
        )
    if contents is None:
        return fail("CONTENTS_MISSING", "the signature dictionary has no usable /Contents")
    gap = data[len1:start2]
    if _HEX_STRING.fullmatch(gap) is None:
        return fail(
            "BYTE_RANGE_GAP_NOT_CONTENTS",
            "the unsigned gap of the /ByteRange is not a single hexadecimal string",
        )
    hex_digits = gap[1:-1]
    if len(hex_digits) % 2 or bytes.fromhex(hex_digits.decode()) != contents:
        return fail(
            "BYTE_RANGE_GAP_NOT_CONTENTS",
            "the unsigned gap of the /ByteRange is not this signature's /Contents value "
            "(signature wrapping?)",
        )
    if sig_offset is None:
        errors.append(
            (
                "BYTE_RANGE_INCONSISTENT",
                "the signature dictionary is not a plain object in the file body",
            )
        )
    else:
        # The gap must be the /Contents value of the very object the field points at.
        if not (sig_offset < len1) or data.find(b"endobj", sig_offset, len1) != -1:
            errors.append(
                (
                    "BYTE_RANGE_INCONSISTENT",
                    "the /ByteRange gap lies outside the signature dictionary it belongs to "
                    "(signature wrapping?)",
                )
            )
        elif _CONTENTS_KEY_BEFORE.search(data[max(sig_offset, len1 - 64) : len1]) is None:
            errors.append(
                (
                    "BYTE_RANGE_INCONSISTENT",
                    "the /ByteRange gap is not preceded by this dictionary's /Contents key",
                )
            )
    signed_end = start2 + len2
    containing = [b for b in bounds if b.end == signed_end]
    if not containing:
        errors.append(
            (
                "BYTE_RANGE_INCONSISTENT",
                "the signed bytes do not end where a revision of the file ends "
                "(signature wrapping or a crafted /ByteRange)",
            )
        )
    elif sig_offset is not None and not (containing[0].start <= sig_offset < containing[0].end):
        errors.append(
            (
                "SIGNATURE_DICTIONARY_INCONSISTENT",
                "the signature dictionary is not part of the revision it signs",
            )
        )
    findings = tuple(Finding(code, Severity.ERROR, message) for code, message in errors)
    return ByteRangeCheck(values, not errors, signed_end, findings)


def count_signature_dictionaries(data: bytes) -> int:
    """Raw /ByteRange keys in the file body, to notice signatures no form field points at
    (they would otherwise go unreported)."""
    return data.count(b"/ByteRange")
