"""Reading real-world PDFs that deviate from the standard, to report on them.

Signing software writes files with inconsistent cross-reference tables (a trailer /Size
smaller than the table, sections whose sizes go down, offsets that miss their object by a
few bytes), hybrid-reference files (/XRefStm in a classic trailer, as office suites write
them) and files encrypted with an empty user password. PDF readers open all of these; a
verifier that refuses them gives no verdict at all.

Leniency here only decides *where objects are*: what each signature signs is still taken
byte for byte from its /ByteRange, checked by `structure.check_byte_range`, and every
object a signature depends on is still read from the bytes of the file. A repaired offset
points at the same "N G obj" the damaged entry meant, found by scanning the objects as
readers do; nothing is ever invented, so leniency can explain a failure but never turn one
into a pass.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import XRefSectionData

from signing.verify.reconstruct import rebuild
from signing.verify.report import Finding, Severity

_WHITESPACE = b" \t\r\n\f\x00"
_OBJ_HEADER = re.compile(rb"(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b")
# Names of signature fields, for files that cannot be read at all.
_FIELD_NAME = re.compile(rb"/T\s*\(((?:[^()\\]|\\.){1,200})\)")
_SIG_VALUE = re.compile(rb"/FT\s*/Sig\b")


class UnreadablePdf(Exception):
    """Not even a lenient reading finds the document's cross-reference structure."""


@dataclass
class OpenedPdf:
    reader: PdfFileReader
    findings: list[Finding] = field(default_factory=list)
    lenient: bool = False  # strict parsing failed; read as PDF readers do
    repaired_offsets: int = 0  # cross-reference entries re-pointed at their object
    hybrid: bool = False
    encrypted: bool = False
    reconstructed: bool = False  # no chain could be read: rebuilt by scanning the objects


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def open_pdf(data: bytes) -> OpenedPdf:
    """A reader for `data`: strict when the file allows it, else lenient with its
    cross-reference entries checked against the objects in the file. Raises UnreadablePdf,
    or `EncryptedPdf` when a password other than the empty one is needed."""
    try:
        opened = OpenedPdf(PdfFileReader(io.BytesIO(data), strict=True))
    except (MemoryError, RecursionError):
        raise
    except Exception as strict_exc:
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:
            return _reconstructed(data, exc)
        opened = OpenedPdf(reader, lenient=True)
        opened.findings.append(
            Finding(
                "STRUCTURE_LENIENT_READ",
                Severity.WARNING,
                "the cross-reference structure does not follow the PDF standard "
                f"({_describe(strict_exc)}); it was read as PDF readers read it",
            )
        )
    return _finish(data, opened)


def _reconstructed(data: bytes, exc: Exception) -> OpenedPdf:
    """Even a lenient reading finds no cross-reference chain: rebuild it by scanning the
    objects (see `reconstruct`). What each signature signed is still checked byte for byte;
    the rebuilt final revision is compared with the signed one like any update."""
    try:
        rebuilt = rebuild(data)
    except (MemoryError, RecursionError):
        raise
    except Exception as rebuild_exc:
        raise UnreadablePdf(
            f"{_describe(exc)}; rebuilding the cross-reference failed too "
            f"({_describe(rebuild_exc)})"
        ) from exc
    kept = (
        f"the first {rebuilt.kept_revisions} revision(s) (up to byte {rebuilt.prefix_end}) "
        "still read as written; the rest"
        if rebuilt.kept_revisions
        else "the whole file"
    )
    kept += f" ({rebuilt.rebuilt_revisions} revision(s))"
    opened = OpenedPdf(rebuilt.reader, lenient=True, reconstructed=True)
    opened.findings.append(
        Finding(
            "XREF_RECONSTRUCTED",
            Severity.WARNING,
            f"the cross-reference chain cannot be read ({_describe(exc)}): {kept} was "
            f"rebuilt by scanning the file's objects, as PDF readers do "
            f"({rebuilt.rebuilt_objects} object(s); catalog from {rebuilt.trailer_source}); "
            "other readers may rebuild a damaged file differently",
        )
    )
    return _finish(data, opened)


def _finish(data: bytes, opened: OpenedPdf) -> OpenedPdf:
    reader = opened.reader
    opened.repaired_offsets = 0 if opened.reconstructed else _repair_offsets(data, reader)
    if opened.repaired_offsets:
        opened.lenient = True
        opened.findings.append(
            Finding(
                "XREF_OFFSETS_REPAIRED",
                Severity.WARNING,
                f"{opened.repaired_offsets} cross-reference entries do not point at their "
                "object; the objects were located by scanning the file, as PDF readers do",
            )
        )
    if reader.xrefs.hybrid_xrefs_present:
        opened.hybrid = True
        # pyHanko's validator refuses hybrid files from a strict reader; the conflict it
        # fears (table and stream naming different objects) is reported below instead.
        reader.strict = False
        opened.findings.extend(_hybrid_findings(reader))
    if reader.encrypted:
        opened.encrypted = True
        try:
            result = reader.decrypt(b"")
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:
            raise EncryptedPdf(f"the encryption cannot be opened ({_describe(exc)})") from exc
        if result.status is AuthStatus.FAILED:
            raise EncryptedPdf("encrypted with a password: the document cannot be read")
        opened.findings.append(
            Finding(
                "ENCRYPTED",
                Severity.INFO,
                "the document is encrypted with an empty user password; it was opened "
                "without a password and verified",
            )
        )
    return opened


class EncryptedPdf(Exception):
    """The document needs a password."""


def _sections(reader: PdfFileReader) -> list[tuple[int, XRefSectionData]]:
    """(where the section starts, its data) for every section, hybrid streams included."""
    out: list[tuple[int, XRefSectionData]] = []
    xrefs = reader.xrefs
    for revision in range(xrefs.total_revisions):
        data = xrefs.get_xref_data(revision)
        start = xrefs.get_xref_container_info(revision).start_location
        out.append((start, data))
        if data.hybrid is not None:
            out.append((data.hybrid.meta_info.start_location, data.hybrid.xref_data))
    return out


def _header_at(data: bytes, offset: int, idnum: int, generation: int) -> bool:
    if not 0 <= offset < len(data):
        return False
    while offset < len(data):  # pyHanko skips whitespace and comments before a header
        if data[offset] in _WHITESPACE:
            offset += 1
        elif data[offset] == 0x25:  # "%": a comment, up to the end of its line
            end = min(
                (i for i in (data.find(b"\n", offset), data.find(b"\r", offset)) if i != -1),
                default=len(data),
            )
            offset = end
        else:
            break
    match = _OBJ_HEADER.match(data, offset)
    return match is not None and (int(match.group(1)), int(match.group(2))) == (idnum, generation)


def _repair_offsets(data: bytes, reader: PdfFileReader) -> int:
    """Point every in-use entry that misses its object at the object's definition: the last
    one before the section that lists it (an update's objects precede its xref section)."""
    sections = _sections(reader)
    broken = [
        (start, section, idnum)
        for start, section in sections
        for idnum, (generation, offset) in section.standard_xrefs.items()
        if not _header_at(data, offset, idnum, generation)
    ]
    if not broken:
        return 0
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for match in _OBJ_HEADER.finditer(data):
        found[(int(match.group(1)), int(match.group(2)))].append(match.start())
    repaired = 0
    for start, section, idnum in broken:
        generation, _offset = section.standard_xrefs[idnum]
        candidates = found.get((idnum, generation), [])
        before = [c for c in candidates if c < start]
        if before or candidates:
            section.standard_xrefs[idnum] = (generation, (before or candidates)[-1])
            repaired += 1
    return repaired


def _hybrid_findings(reader: PdfFileReader) -> list[Finding]:
    """A hybrid section's stream may only add objects its table does not list as in use;
    otherwise readers that ignore /XRefStm and readers that use it show different
    documents."""
    findings = [
        Finding(
            "HYBRID_XREF",
            Severity.INFO,
            "hybrid-reference file (/XRefStm in a classic trailer); read as ISO 32000-2 "
            "7.5.8.4 prescribes",
        )
    ]
    xrefs = reader.xrefs
    for revision in range(xrefs.total_revisions):
        data = xrefs.get_xref_data(revision)
        if data.hybrid is None:
            continue
        stream = data.hybrid.xref_data
        clash = sorted(
            idnum
            for idnum in set(stream.standard_xrefs) | set(stream.xrefs_in_objstm)
            if idnum in data.standard_xrefs
        )
        if clash:
            findings.append(
                Finding(
                    "HYBRID_XREF_CONFLICT",
                    Severity.WARNING,
                    f"revision {revision}: the /XRefStm stream redefines object(s) "
                    f"{', '.join(map(str, clash[:10]))} that the table already lists: "
                    "readers may show different documents",
                    revision,
                )
            )
    return findings


@dataclass(frozen=True)
class RawSignature:
    field_name: str | None
    byte_range: tuple[int, ...] | None
    # What could still be checked without the document structure: whether the bytes the
    # /ByteRange names hash to the CMS's signed messageDigest (None: could not be told).
    digest_matches: bool | None = None


_CONTENTS = re.compile(rb"/Contents\s*<([0-9A-Fa-f\s]*)>")


def _raw_digest_matches(data: bytes, byte_range: tuple[int, ...], window: bytes) -> bool | None:
    import hashlib

    from asn1crypto import cms

    contents = _CONTENTS.search(window)
    if contents is None or len(byte_range) != 4:
        return None
    start1, len1, start2, len2 = byte_range
    if min(byte_range) < 0 or start2 + len2 > len(data):
        return None
    try:
        info = cms.ContentInfo.load(bytes.fromhex(contents.group(1).decode()))
        signer = info["content"]["signer_infos"][0]
        algorithm = signer["digest_algorithm"]["algorithm"].native
        expected = next(
            a["values"][0].native
            for a in signer["signed_attrs"]
            if a["type"].native == "message_digest"
        )
        digest = hashlib.new(algorithm)
    except Exception:
        return None
    digest.update(data[start1 : start1 + len1])
    digest.update(data[start2 : start2 + len2])
    return bool(digest.digest() == expected)


def scan_signatures(data: bytes) -> list[RawSignature]:
    """Signature dictionaries found by scanning the bytes, for a file that cannot be read:
    at least their number, and the names of the signature fields."""
    names: list[str] = []
    for match in _SIG_VALUE.finditer(data):
        window = data[max(0, match.start() - 2000) : match.end() + 2000]
        name = _FIELD_NAME.search(window)
        if name is not None:
            text = name.group(1).decode("latin-1")
            if text not in names:
                names.append(text)
    ranges: list[tuple[tuple[int, ...] | None, bool | None]] = []
    for match in re.finditer(rb"/ByteRange\s*\[([^\]]{0,120})\]", data):
        try:
            values = tuple(int(x) for x in match.group(1).split())
        except ValueError:
            ranges.append((None, None))
            continue
        # /Contents sits in the same dictionary, before or after /ByteRange
        window_start = data.rfind(b"obj", 0, match.start())
        window_end = data.find(b"endobj", match.end())
        window = data[max(window_start, 0) : window_end if window_end != -1 else len(data)]
        ranges.append((values, _raw_digest_matches(data, values, window)))
    count = max(len(ranges), len(names))
    return [
        RawSignature(
            names[i] if i < len(names) else None,
            ranges[i][0] if i < len(ranges) else None,
            ranges[i][1] if i < len(ranges) else None,
        )
        for i in range(count)
    ]
