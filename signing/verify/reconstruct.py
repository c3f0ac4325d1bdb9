"""Rebuilding the cross-reference structure of a file whose chain cannot be read at all.

When `startxref` is missing or points nowhere, a cross-reference table or stream is
truncated or garbled, or a trailer is gone, PDF readers (PDFBox, qpdf, pdf.js, Acrobat) scan
the file for its "N G obj ... endobj" definitions, the last definition of a number winning,
and take the document catalog from the last trailer (or the last catalog object). This module
does the same, for reporting, in two layers:

- the longest prefix of the file, ending at a "%%EOF", whose own chain still reads: its
  revisions are kept as they are, so a signature over that prefix is judged on exactly the
  revision it signed;
- one rebuilt revision on top, listing every object whose last definition in the file is not
  the one that chain resolves to. That revision is what a reconstructing reader shows, and
  the usual comparison with the signed revision decides whether its changes are allowed.

Nothing is invented: every entry points at an object written in the file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.decode_limits import DecodeContext, DecodeLimits
from pyhanko.pdf_utils.reader import PdfFileReader, _read_header_version, process_data_at_eof
from pyhanko.pdf_utils.xref import (
    ObjStreamRef,
    TrailerDictionary,
    XRefBuilder,
    XRefCache,
    XRefSection,
    XRefSectionData,
    XRefSectionMetaInfo,
    XRefSectionType,
)

_HEADER = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b")
_EOF = re.compile(rb"%%EOF")
_TRAILER = re.compile(rb"\btrailer[ \t\r\n\f\x00]*<<")
_STREAM = re.compile(rb"\bstream(\r\n|\n|\r)")
_DIRECT_LENGTH = re.compile(rb"/Length[ \t\r\n\f\x00]+(\d{1,12})(?![ \t\r\n\f\x00]+\d+[ \t\r\n]+R)")
_OBJSTM = re.compile(rb"/Type[ \t\r\n\f\x00]*/ObjStm\b")
_XREF_STREAM = re.compile(rb"/Type[ \t\r\n\f\x00]*/XRef\b")
_CATALOG = re.compile(rb"/Type[ \t\r\n\f\x00]*/Catalog\b")
_BYTE_RANGE = re.compile(
    rb"/ByteRange\s*\[\s*(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s*\]"
)
_SPACE = b" \t\r\n\f\x00"
_MAX_EOF_TRIES = 64
_MAX_OBJSTM_ENTRIES = 100_000


@dataclass(frozen=True)
class _Definition:
    idnum: int
    generation: int
    offset: int
    objstm: bool
    xref_stream: bool
    catalog: bool
    complete: bool  # its "endobj" (and a stream's "endstream") is in the file


@dataclass
class Reconstruction:
    reader: PdfFileReader
    kept_revisions: int  # revisions whose own chain still reads (the prefix)
    rebuilt_revisions: int  # one per signed revision end past the prefix, plus the last
    prefix_end: int  # where that prefix ends (0: no chain could be read at all)
    rebuilt_objects: int  # entries in the rebuilt revision
    trailer_source: str  # where the rebuilt revision's trailer came from


class _RebuiltReader(PdfFileReader):
    """A pyHanko reader whose cross-reference sections are given, not read from startxref.
    Mirrors PdfFileReader.__init__ (pyHanko 0.38) except for reading the xref chain."""

    def __init__(self, data: bytes) -> None:
        stream = io.BytesIO(data)
        self._security_handler = None
        self.strict = False
        self._decode_context = DecodeContext(DecodeLimits(), input_size=len(data))
        self.resolved_objects = {}
        self._header_version = None
        self._input_version = None
        self._historical_resolver_cache = {}
        self.stream = stream
        self._header_version = _read_header_version(stream)
        self.xrefs = XRefCache(self, [])
        self.trailer = TrailerDictionary()
        self.trailer.container_ref = _trailer_ref(self)
        self.has_xref_stream = False
        self.last_startxref = None
        self._embedded_signatures = None


# pyHanko's generic objects carry no annotations on their constructors
def _trailer_ref(reader: PdfFileReader) -> generic.TrailerReference:
    return generic.TrailerReference(reader)  # type: ignore[no-untyped-call]


def _dictionary(items: dict[str, generic.PdfObject]) -> generic.DictionaryObject:
    return generic.DictionaryObject(items)  # type: ignore[no-untyped-call]


def _indirect(reader: PdfFileReader, idnum: int, generation: int) -> generic.IndirectObject:
    return generic.IndirectObject(idnum, generation, reader)  # type: ignore[no-untyped-call]


def _resolve(reader: PdfFileReader, idnum: int, generation: int) -> generic.PdfObject:
    ref = generic.Reference(idnum, generation, reader)
    return reader.get_object(ref)  # type: ignore[no-untyped-call,no-any-return]


def _definitions(data: bytes) -> tuple[list[_Definition], list[int]]:
    """Every top-level "N G obj", in file order, skipping stream bodies (a content stream
    may well contain the text "1 0 obj"); and where such text sits inside another object,
    which a reader that does not skip streams would take for a definition."""
    out: list[_Definition] = []
    hidden: list[int] = []
    pos = 0
    while True:
        match = _HEADER.search(data, pos)
        if match is None:
            return out, hidden
        start = match.end()
        end_obj = data.find(b"endobj", start)
        stream = _STREAM.search(data, start, end_obj if end_obj != -1 else len(data))
        head_end = stream.start() if stream else (end_obj if end_obj != -1 else len(data))
        head = data[start:head_end]
        pos = head_end
        complete = end_obj != -1
        if stream is not None:
            body = stream.end()
            length = _DIRECT_LENGTH.search(head)
            after = body + int(length.group(1)) if length else -1
            if length and data[after : after + 40].lstrip().startswith(b"endstream"):
                pos = after
            else:
                found = data.find(b"endstream", body)
                pos = found if found != -1 else len(data)
            complete = data.find(b"endobj", pos) != -1
        hidden.extend(m.start() for m in _HEADER.finditer(data, start, pos))
        out.append(
            _Definition(
                int(match.group(1)),
                int(match.group(2)),
                match.start(),
                _OBJSTM.search(head) is not None,
                _XREF_STREAM.search(head) is not None,
                _CATALOG.search(head) is not None,
                complete,
            )
        )


def _readable_prefix(reader: PdfFileReader, data: bytes) -> tuple[int, XRefBuilder | None]:
    """The longest prefix ending at a %%EOF whose startxref leads to a readable chain."""
    ends = [m.end() for m in _EOF.finditer(data)][-_MAX_EOF_TRIES:]
    for end in reversed(ends):
        try:
            # the tail is enough to read "startxref N %%EOF" (no copy of a large file)
            prefix = io.BytesIO(data[max(0, end - 4096) : end])
            prefix.seek(-1, io.SEEK_END)  # where pyHanko's reader starts looking
            startxref = process_data_at_eof(prefix)
            builder = XRefBuilder(reader, io.BytesIO(data), strict=False, last_startxref=startxref)
            sections = builder.read_xrefs()  # type: ignore[no-untyped-call]
        except (MemoryError, RecursionError):
            raise
        except Exception:  # noqa: S112 - try the %%EOF before
            continue
        if sections and all(s.meta_info.end_location <= end for s in sections):
            return end, builder
    return 0, None


def _position(chain: XRefCache, idnum: int, generation: int) -> int | None:
    """Where the chain's definition of an object sits in the file (an object stream's own
    position for a compressed object)."""
    resolved = chain[generic.Reference(idnum, generation)] if chain.total_revisions else None
    if isinstance(resolved, ObjStreamRef):
        return _position(chain, resolved.obj_stream_id, 0)
    return resolved


def _trailer_dict(
    reader: PdfFileReader, data: bytes, after: int, definitions: list[_Definition]
) -> tuple[generic.DictionaryObject | None, str]:
    """The rebuilt revision's trailer: the last `trailer` dictionary after the readable
    prefix, else the last cross-reference stream's dictionary there."""
    for match in reversed(list(_TRAILER.finditer(data, after))):
        reader.stream.seek(match.end() - 2)
        try:
            value = generic.DictionaryObject.read_from_stream(reader.stream, _trailer_ref(reader))
        except (MemoryError, RecursionError):
            raise
        except Exception:  # noqa: S112 - a damaged trailer: try the one before
            continue
        if isinstance(value, generic.DictionaryObject) and "/Root" in value:
            return value, "the last trailer dictionary"
    for item in reversed(definitions):
        if item.xref_stream and item.offset >= after:
            try:
                value = _resolve(reader, item.idnum, item.generation)
            except (MemoryError, RecursionError):
                raise
            except Exception:  # noqa: S112 - a garbled stream: try the one before
                continue
            if isinstance(value, generic.DictionaryObject) and "/Root" in value:
                found = _dictionary(
                    {k: v for k, v in value.items() if k in ("/Root", "/Info", "/ID", "/Encrypt")}
                )
                found.container_ref = _trailer_ref(reader)
                return found, "the last cross-reference stream"
    return None, ""


def _signed_revision_ends(data: bytes, after: int) -> list[int]:
    """Where signatures' signed bytes end, when that is a revision end (a "%%EOF") past the
    readable prefix and before the end of the file: each is the end of a revision the
    rebuilt chain must keep, so that its signature is judged on exactly what it signed."""
    ends: set[int] = set()
    for match in _BYTE_RANGE.finditer(data):
        end = int(match.group(3)) + int(match.group(4))
        if (
            after < end < len(data)
            and data[after:end].strip(_SPACE)  # not the readable prefix's own end
            and data[end:].strip(_SPACE)  # not the end of the file
            and data[:end].rstrip(_SPACE).endswith(b"%%EOF")
        ):
            ends.add(end)
    return sorted(ends)


def _revision_trailer(
    reader: PdfFileReader,
    data: bytes,
    span: tuple[int, int],
    definitions: list[_Definition],
    inherit: bool,
) -> tuple[generic.DictionaryObject, str]:
    start, end = span
    trailer, source = _trailer_dict(reader, data[:end], start, definitions)
    if trailer is not None:
        return trailer, source
    catalogs = [d for d in definitions if d.catalog and (start <= d.offset < end or not inherit)]
    if catalogs:  # a new catalog with no trailer naming it: readers take the last one
        item = catalogs[-1]
        trailer = _dictionary({"/Root": _indirect(reader, item.idnum, item.generation)})
        source = "the last catalog object"
    elif inherit:
        trailer, source = _dictionary({}), "the trailer before"
    else:
        raise ValueError("no trailer and no document catalog found")
    trailer.container_ref = _trailer_ref(reader)
    return trailer, source


def _rebuilt_section(
    chain: XRefCache,
    definitions: list[_Definition],
    end: int,
    prefix_end: int,
) -> tuple[XRefSectionData, dict[int, _Definition]]:
    """The objects whose last definition before `end` is not the one `chain` resolves."""
    last: dict[int, _Definition] = {}
    for item in definitions:
        if item.idnum > 0 and item.offset < end:
            last[item.idnum] = item  # the last definition of a number wins
    rebuilt = XRefSectionData()
    for idnum, item in last.items():
        if item.xref_stream:
            continue
        at = _position(chain, idnum, item.generation)
        # an object the readable chain freed or never listed counts only when an update
        # after that chain wrote it; a reader shows unlisted leftovers nowhere
        if (at is None and (item.offset >= prefix_end or not chain.total_revisions)) or (
            at is not None and at < item.offset
        ):
            rebuilt.standard_xrefs[idnum] = (item.generation, item.offset)
            rebuilt.explicit_refs_in_revision.add((idnum, item.generation))
    return rebuilt, last


def rebuild(data: bytes) -> Reconstruction:
    """A reader on `data` whose chain is the longest readable prefix's, plus rebuilt
    revisions ending where signed bytes end and at the end of the file. Raises ValueError
    when nothing usable is found."""
    reader = _RebuiltReader(data)
    prefix_end, builder = _readable_prefix(reader, data)
    sections: list[XRefSection] = list(reversed(builder.sections)) if builder else []
    if builder is not None:
        reader.trailer = builder.trailer
        reader.has_xref_stream = builder.has_xref_stream
    kept = len(sections)
    scanned, hidden = _definitions(data)
    definitions = [d for d in scanned if not d.xref_stream or d.offset < prefix_end]
    ambiguous = [at for at in hidden if at >= prefix_end]
    if ambiguous:
        # readers that scan every "N G obj" and readers that skip stream data would show
        # different documents: no rebuilt view can stand for what every reader shows
        raise ValueError(
            f"an object header sits inside another object's data (byte {ambiguous[0]}): "
            "PDF readers would rebuild this file differently"
        )
    if definitions and not definitions[-1].complete:
        # a cut-off download is not a damaged structure: what was signed is not all there
        raise ValueError(
            f"the file is truncated: object {definitions[-1].idnum} {definitions[-1].generation} "
            "ends with the file"
        )
    rebuilt_objects = 0
    sources: list[str] = []
    start = prefix_end
    for end in [*_signed_revision_ends(data, prefix_end), len(data)]:
        chain = XRefCache(reader, list(sections))
        rebuilt, last = _rebuilt_section(chain, definitions, end, prefix_end)
        trailer, source = _revision_trailer(
            reader, data, (start, end), definitions, inherit=bool(sections)
        )
        sources.append(source)
        size = max([*last, *(s.meta_info.size - 1 for s in sections), 0]) + 1
        trailer["/Size"] = generic.NumberObject(size)  # type: ignore[no-untyped-call]
        trailer.pop("/Prev", None)
        trailer.pop("/XRefStm", None)
        if end == len(data):
            # after the last byte: the final rebuilt revision owns no bytes of the file
            declared = located = len(data)
        else:
            # a signed revision ends at its own "startxref N %%EOF", which the signature's
            # coverage check reads back
            located = data.rfind(b"startxref", start, end)
            located = located if located != -1 else data.rfind(b"%%EOF", start, end)
            try:
                tail = io.BytesIO(data[max(0, end - 4096) : end])
                tail.seek(-1, io.SEEK_END)
                declared = process_data_at_eof(tail)
            except misc.PdfReadError:
                declared = located
        meta = XRefSectionMetaInfo(
            xref_section_type=XRefSectionType.STANDARD,
            size=size,
            declared_startxref=declared,
            start_location=located,
            end_location=located,
            stream_ref=None,
        )
        sections.append(XRefSection(meta, rebuilt))
        reader.xrefs = XRefCache(reader, list(sections))
        reader.trailer._trailer_revisions.insert(0, trailer)  # the newest comes first
        _add_compressed(reader, rebuilt, definitions, last, chain)
        reader.resolved_objects.clear()
        rebuilt_objects += len(rebuilt.standard_xrefs) + len(rebuilt.xrefs_in_objstm)
        start = end
    reader.last_startxref = len(data)
    if "/Root" not in reader.trailer:
        raise ValueError("no document catalog found")
    return Reconstruction(
        reader,
        kept_revisions=kept,
        prefix_end=prefix_end,
        rebuilt_revisions=len(sections) - kept,
        rebuilt_objects=rebuilt_objects,
        trailer_source=sources[-1],
    )


def _add_compressed(
    reader: PdfFileReader,
    rebuilt: XRefSectionData,
    definitions: list[_Definition],
    last: dict[int, _Definition],
    chain: XRefCache,
) -> None:
    """Objects inside the object streams the rebuilt revision lists, unless a later
    standalone definition of the same number follows the object stream."""
    for item in definitions:
        if not item.objstm or rebuilt.standard_xrefs.get(item.idnum) != (
            item.generation,
            item.offset,
        ):
            continue
        try:
            objstm = _resolve(reader, item.idnum, item.generation)
            assert isinstance(objstm, generic.StreamObject)
            count = min(int(objstm["/N"]), _MAX_OBJSTM_ENTRIES)
            numbers = objstm.data.split(maxsplit=2 * count)[: 2 * count]
            ids = [int(numbers[i]) for i in range(0, len(numbers), 2)]
        except (MemoryError, RecursionError):
            raise
        except (misc.PdfError, AssertionError, KeyError, ValueError, TypeError):
            continue
        for index, idnum in enumerate(ids):
            later = last.get(idnum)
            if later is not None and later.offset > item.offset:
                continue  # a standalone definition after the object stream wins
            at = _position(chain, idnum, 0)
            if at is not None and at > item.offset:
                continue
            rebuilt.standard_xrefs.pop(idnum, None)
            rebuilt.xrefs_in_objstm[idnum] = ObjStreamRef(item.idnum, index)
            rebuilt.obj_streams_used.add(item.idnum)
            rebuilt.explicit_refs_in_revision.add((idnum, 0))
