"""Our own analysis of every incremental update: what each revision changed.

pyHanko's difference analysis, used alone, rated a real shadow "replace" attack as mere
form filling. This module does not reuse it: for each revision it takes a snapshot of what
a viewer renders and what the signature machinery relies on, and compares consecutive
snapshots zone by zone:

- pages: their number and order, and per page the content streams, the resources and the
  other attributes (inherited ones included), with annotations compared apart;
- annotations: added, removed, or changed (appearance, value, or anything else such as the
  rectangle or the hidden flag);
- form fields: values, structure, signature fields (whose dictionary must never change once
  signed);
- the catalog (anything but the page tree, the form and the DSS), the trailer's /Root and
  /Encrypt, and the DSS and metadata (always allowed to change);
- the cross-reference sections: an update that points an object at bytes already in the
  file, instead of writing it anew, is the mark of a shadow "hide" attack.

Objects are fingerprinted by where the bytes that define them are in the file (the same
bytes always parse to the same object), combined with the fingerprints of the objects they
refer to. So a change anywhere beneath a page (a font, an image, a form XObject), however it
was made (a new object, an object stream, a redirected xref entry), changes that page's
fingerprint, and no stream is decoded (no decompression bomb can be triggered here).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.pdf_utils.xref import ObjStreamRef

from signing.verify.report import (
    ChangeKind,
    Finding,
    ObjectChange,
    PageChange,
    RevisionReport,
    Severity,
)
from signing.verify.structure import RevisionBounds

_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
# Keys that point back up the object graph: following them would make every page depend on
# every other page, and every annotation on its page.
_BACK_LINKS = frozenset({"/Parent", "/P", "/Popup", "/IRT"})
# Annotation keys compared apart (appearance, value) or not rendered (modification date).
# A field's default appearance (/DA, /DS, /RV) and a widget's appearance characteristics
# (/MK) only say how a viewer draws the value: viewers rewrite them when a form is filled.
_ANNOT_APPEARANCE = frozenset({"/AP", "/AS", "/DA", "/DS", "/RV", "/MK"})
_ANNOT_VOLATILE = frozenset({"/M"})
_FIELD_VALUE = frozenset({"/V"})
# Catalog entries that may change after signing without changing what was signed.
_CATALOG_ZONES = frozenset({"/Pages", "/AcroForm", "/DSS"})
_CATALOG_METADATA = frozenset({"/Metadata", "/Extensions", "/Version"})
# Form keys that signing legitimately updates (the field list is compared field by field).
_ACROFORM_ALLOWED = frozenset({"/Fields", "/SigFlags"})
# Form keys that writers rewrite without changing what is signed (default appearance and
# resources for fields drawn later, the "regenerate appearances" hint).
_ACROFORM_ARTEFACTS = frozenset({"/DA", "/DR", "/NeedAppearances"})
# Catalog entries viewers and writers rewrite: viewing preferences, outlines, structure,
# the usage-rights/permissions dictionary. /Names and /OpenAction are judged by content.
_CATALOG_ARTEFACTS = frozenset(
    {
        "/PageMode",
        "/PageLayout",
        "/ViewerPreferences",
        "/Lang",
        "/MarkInfo",
        "/StructTreeRoot",
        "/Outlines",
        "/PieceInfo",
        "/Threads",
        "/Perms",
    }
)
# Name trees that add behaviour or content, not just names: changes to them are not artefacts.
_ACTIVE_NAME_TREES = frozenset({"/JavaScript", "/EmbeddedFiles", "/AlternatePresentations"})
# Actions an /OpenAction may take without changing what is shown: go to a place.
_BENIGN_ACTIONS = frozenset({"/GoTo"})
_RESOURCE_CATEGORIES = (
    "/Font",
    "/XObject",
    "/ExtGState",
    "/ColorSpace",
    "/Pattern",
    "/Shading",
    "/Properties",
)
# Bounded decoding of a page's content, only to see which resource names it uses.
_MAX_CONTENT_BYTES = 8 * 1024 * 1024
MAX_CHANGED_OBJECTS_LISTED = 100
MAX_FINDINGS_PER_REVISION = 200


class AnalysisLimitExceeded(Exception):
    """The document's object graph is too large or too deep to analyse within the limits."""


class RevisionUnreadable(Exception):
    """One revision's document (its catalog, pages or form) cannot be read."""


@dataclass(frozen=True)
class AnnotSnap:
    key: str  # "12 0" or "direct:<page>:<index>"
    subtype: str
    field_name: str | None
    field_type: str | None
    appearance: bytes
    value: bytes
    rest: bytes
    visible: bool = False
    rect: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class PageSnap:
    key: str
    content: bytes
    resources: bytes
    attributes: bytes
    annots: tuple[AnnotSnap, ...]
    # (category, name) -> fingerprint, for telling resources added from resources changed
    resource_names: dict[tuple[str, str], bytes] = field(default_factory=dict)
    # resource names the content streams use (None: the content could not be decoded);
    # computed only when needed (a resources change), as it decodes the content
    used_names: Callable[[], frozenset[str] | None] = lambda: None


@dataclass(frozen=True)
class FieldSnap:
    name: str
    field_type: str | None
    filled: bool
    value: bytes
    rest: bytes
    value_type: str | None  # /Sig or /DocTimeStamp for filled signature fields
    # The field shows a value (non-empty /V, not /Off): what a signer of this revision saw
    shows_value: bool = False


@dataclass
class Snapshot:
    revision: int
    root: str
    encrypt: bytes
    info: bytes
    catalog: dict[str, bytes]
    metadata: dict[str, bytes]
    dss: bytes
    acroform: dict[str, bytes]
    fields: dict[str, FieldSnap]
    pages: list[PageSnap]
    names: dict[str, bytes] = field(default_factory=dict)  # /Names subtrees
    open_action: str | None = None  # "destination", an action type, or None


def _ref_key(ref: generic.Reference | generic.IndirectObject) -> str:
    return f"{ref.idnum} {ref.generation}"


class _Fingerprinter:
    """Fingerprints of objects as one revision sees them (see the module docstring)."""

    def __init__(self, reader: PdfFileReader, revision: int, budget: list[int]) -> None:
        self.reader = reader
        self.revision = revision
        self.resolver: HistoricalResolver = reader.get_historical_resolver(revision)
        self._memo: dict[tuple[int, int], bytes] = {}
        self._budget = budget  # shared across revisions: [nodes left]
        self.opaque: set[tuple[int, int]] = set()

    def _spend(self) -> None:
        self._budget[0] -= 1
        if self._budget[0] < 0:
            raise AnalysisLimitExceeded("the document has too many objects to analyse")

    def location(self, idnum: int, generation: int, depth: int = 0) -> bytes:
        if depth > 4:
            raise AnalysisLimitExceeded("object streams nested too deep")
        marker = self.reader.xrefs.get_historical_ref(
            generic.Reference(idnum, generation), self.revision
        )
        if marker is None:
            return b"missing"
        if isinstance(marker, ObjStreamRef):
            stream_loc = self.location(marker.obj_stream_id, 0, depth + 1)
            return b"os%d.%d:" % (marker.obj_stream_id, marker.ix_in_stream) + stream_loc
        return b"@%d" % int(marker)

    def resolve(self, obj: object) -> object:
        """The object itself, or what a reference points at (None if unreadable)."""
        if isinstance(obj, generic.IndirectObject):
            try:
                resolved: object = self.resolver.get_object(obj.reference)
            except Exception:  # a broken reference is a fact, not a crash
                return None
            return resolved
        return obj

    def as_list(self, obj: object) -> list[object]:
        resolved = self.resolve(obj)
        return list(resolved) if isinstance(resolved, list) else []

    def as_dict(self, obj: object) -> generic.DictionaryObject | None:
        resolved = self.resolve(obj)
        return resolved if isinstance(resolved, generic.DictionaryObject) else None

    def ref(self, idnum: int, generation: int) -> bytes:
        key = (idnum, generation)
        if key in self.opaque:
            return b"opaque:%d.%d" % key
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        self._memo[key] = b"cycle:%d.%d" % key  # while its children are visited
        self._spend()
        digest = hashlib.sha256(b"R" + self.location(idnum, generation))
        try:
            obj = self.resolver.get_object(generic.Reference(idnum, generation))
        except Exception:
            digest.update(b"unreadable")
        else:
            # The object's own bytes are fixed by its location; what it refers to is not.
            for child in self._child_refs(obj, 0):
                digest.update(child)
        result = digest.digest()
        self._memo[key] = result
        return result

    def _child_refs(self, obj: object, depth: int) -> Iterator[bytes]:
        if depth > 64:
            raise AnalysisLimitExceeded("object nested too deep")
        if isinstance(obj, generic.IndirectObject):
            yield self.ref(obj.idnum, obj.generation)
        elif isinstance(obj, generic.DictionaryObject):  # streams included
            for key in sorted(obj.keys()):
                if key in _BACK_LINKS:
                    continue
                value = obj.raw_get(key)
                if isinstance(value, generic.IndirectObject | generic.DictionaryObject | list):
                    yield key.encode()
                    yield from self._child_refs(value, depth + 1)
        elif isinstance(obj, list):
            for index, item in enumerate(obj):
                if isinstance(item, generic.IndirectObject | generic.DictionaryObject | list):
                    yield b"[%d]" % index
                    yield from self._child_refs(item, depth + 1)

    def value(self, obj: object, depth: int = 0) -> bytes:
        """Fingerprint of a value that may be direct (a dict inside a page dict)."""
        if depth > 64:
            raise AnalysisLimitExceeded("object nested too deep")
        self._spend()
        if isinstance(obj, generic.IndirectObject):
            return self.ref(obj.idnum, obj.generation)
        digest = hashlib.sha256()
        if isinstance(obj, generic.StreamObject):
            digest.update(b"S" + hashlib.sha256(obj.encoded_data or b"").digest())
        if isinstance(obj, generic.DictionaryObject):
            digest.update(b"D")
            for key in sorted(obj.keys()):
                if key in _BACK_LINKS:
                    continue
                digest.update(key.encode() + b"=" + self.value(obj.raw_get(key), depth + 1))
        elif isinstance(obj, list):
            digest.update(b"A")
            for item in obj:
                digest.update(self.value(item, depth + 1))
        elif isinstance(obj, generic.TextStringObject | generic.ByteStringObject):
            digest.update(b"s" + obj.original_bytes)
        else:
            digest.update(type(obj).__name__.encode() + b":" + str(obj).encode())
        return digest.digest()

    def dict_without(self, obj: generic.DictionaryObject, skip: frozenset[str]) -> bytes:
        digest = hashlib.sha256(b"D")
        for key in sorted(obj.keys()):
            if key in skip or key in _BACK_LINKS:
                continue
            digest.update(key.encode() + b"=" + self.value(obj.raw_get(key)))
        return digest.digest()


def _name(obj: object) -> str | None:
    return str(obj) if isinstance(obj, generic.NameObject) else None


def _get(obj: generic.DictionaryObject, key: str) -> object:
    """The value under `key`, dereferenced (dict.get would return a bare reference)."""
    if key not in obj:
        return None
    try:
        value: object = obj[key]
    except Exception:  # an unreadable reference reads as absent
        return None
    return value


def _ident(key: str) -> tuple[int, int]:
    idnum, generation = key.split()
    return int(idnum), int(generation)


def _visible(annot: generic.DictionaryObject) -> bool:
    """Whether an annotation draws something: an appearance, an area, not hidden."""
    if "/AP" not in annot:
        return False
    flags = _get(annot, "/F")
    if isinstance(flags, int) and flags & (0b10 | 0b100000):  # Hidden, NoView
        return False
    rect = _get(annot, "/Rect")
    if not isinstance(rect, list) or len(rect) != 4:
        return False
    try:
        x1, y1, x2, y2 = (float(v) for v in rect)
    except (TypeError, ValueError):
        return False
    return abs(x2 - x1) > 0 and abs(y2 - y1) > 0


def _text(obj: object) -> str | None:
    if isinstance(obj, generic.TextStringObject):
        return str(obj)
    if isinstance(obj, generic.ByteStringObject):
        return str(obj.original_bytes.decode("latin-1"))
    return None


def _shows_value(value: object) -> bool:
    """A field value a reader sees: not absent, null, empty or the /Off state."""
    if value is None or isinstance(value, generic.NullObject):
        return False
    if isinstance(value, generic.NameObject):
        return str(value) != "/Off"
    if isinstance(value, (generic.TextStringObject, generic.ByteStringObject)):
        return bool(_text(value))
    if isinstance(value, generic.ArrayObject):
        return len(value) > 0
    return True


def _walk_fields(
    fp: _Fingerprinter,
    fields: object,
    parent_name: str,
    parent_type: str | None,
    out: dict[str, tuple[generic.DictionaryObject, str | None, str]],
    seen: set[tuple[int, int]],
    depth: int,
) -> None:
    """Terminal form fields: fully qualified name -> (field dict, type, ref key)."""
    if depth > 32:
        raise AnalysisLimitExceeded("form field tree too deep")
    for index, item in enumerate(fp.as_list(fields)):
        key = _ref_key(item) if isinstance(item, generic.IndirectObject) else f"direct:{index}"
        if isinstance(item, generic.IndirectObject):
            ident = (item.idnum, item.generation)
            if ident in seen:
                continue
            seen.add(ident)
        node = fp.as_dict(item)
        if node is None:
            continue
        partial = _text(_get(node, "/T"))
        if partial is None:
            name = parent_name
        else:
            name = f"{parent_name}.{partial}" if parent_name else partial
        field_type = _name(_get(node, "/FT")) or parent_type
        kids = node.raw_get("/Kids") if "/Kids" in node else None
        # Kids with a /T are fields; kids without are the field's widgets.
        kid_dicts = [fp.as_dict(k) for k in fp.as_list(kids)]
        if any(k is not None and "/T" in k for k in kid_dicts):
            _walk_fields(fp, kids, name, field_type, out, seen, depth + 1)
            continue
        unique = name or f"(unnamed {key})"
        while unique in out:  # duplicate names are themselves suspicious; keep both
            unique += "'"
        out[unique] = (node, field_type, key)


def _page_leaves(
    fp: _Fingerprinter, root_pages: object
) -> list[tuple[str, generic.DictionaryObject, dict[str, object]]]:
    """The pages in order, each with its inherited attributes."""
    pages: list[tuple[str, generic.DictionaryObject, dict[str, object]]] = []
    seen: set[tuple[int, int]] = set()

    def walk(node_ref: object, inherited: dict[str, object], depth: int) -> None:
        if depth > 64:
            raise AnalysisLimitExceeded("page tree too deep")
        key = _ref_key(node_ref) if isinstance(node_ref, generic.IndirectObject) else "direct"
        if isinstance(node_ref, generic.IndirectObject):
            ident = (node_ref.idnum, node_ref.generation)
            if ident in seen:
                raise AnalysisLimitExceeded("the page tree has a cycle")
            seen.add(ident)
        node = fp.as_dict(node_ref)
        if node is None:
            return
        here = dict(inherited)
        for name in _INHERITABLE:
            if name in node:
                here[name] = node.raw_get(name)
        is_leaf = _name(_get(node, "/Type")) == "/Page" or "/Kids" not in node
        if is_leaf:
            pages.append((key, node, here))
            if len(pages) > 100_000:
                raise AnalysisLimitExceeded("too many pages")
            return
        for kid in fp.as_list(node.raw_get("/Kids")):
            walk(kid, here, depth + 1)

    walk(root_pages, {}, 0)
    return pages


def _rect(
    fp: _Fingerprinter, annot: generic.DictionaryObject
) -> tuple[float, float, float, float] | None:
    values = fp.as_list(annot.raw_get("/Rect")) if "/Rect" in annot else []
    numbers = [fp.resolve(v) for v in values]
    if len(numbers) != 4 or not all(
        isinstance(n, int | float) and not isinstance(n, bool) for n in numbers
    ):
        return None
    a, b, c, d = (float(n) for n in numbers)  # type: ignore[arg-type]
    return (a, b, c, d)


def _resource_names(fp: _Fingerprinter, resources: object) -> dict[tuple[str, str], bytes]:
    out: dict[tuple[str, str], bytes] = {}
    res = fp.as_dict(resources)
    if res is None:
        return out
    for category in res:
        entries = fp.as_dict(res.raw_get(category))
        if category in _RESOURCE_CATEGORIES and entries is not None:
            for name in entries:
                out[(category, name)] = fp.value(entries.raw_get(name))
        else:
            out[(category, "")] = fp.value(res.raw_get(category))
    return out


_NAME_TOKEN = re.compile(rb"/([^\s/\[\]()<>{}%]+)")


def _used_names(fp: _Fingerprinter, contents: object) -> frozenset[str] | None:
    """Every name token in the page's content streams (a superset of the resource names
    it uses), decoding at most `_MAX_CONTENT_BYTES`; None when that cannot be told."""
    items = fp.as_list(contents) if isinstance(fp.resolve(contents), list) else [contents]
    names: set[str] = set()
    for item in items:
        stream = fp.resolve(item)
        if not isinstance(stream, generic.StreamObject):
            return None
        filters = _get(stream, "/Filter")
        chain: list[object] = (
            [filters] if isinstance(filters, generic.NameObject) else fp.as_list(filters)
        )
        raw = stream.encoded_data or b""
        if not chain:
            data = raw
        elif [str(f) for f in chain] == ["/FlateDecode"] and "/DecodeParms" not in stream:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(raw, _MAX_CONTENT_BYTES)
            except zlib.error:
                return None
            if inflater.unconsumed_tail:
                return None
        else:
            return None
        names.update(m.group(1).decode("latin-1") for m in _NAME_TOKEN.finditer(data))
    return frozenset(names)


def take_snapshot(reader: PdfFileReader, revision: int, budget: list[int]) -> Snapshot:
    fp = _Fingerprinter(reader, revision, budget)
    trailer = fp.resolver.trailer_view
    root_ref = trailer.raw_get("/Root")
    root_key = _ref_key(root_ref) if isinstance(root_ref, generic.IndirectObject) else "direct"
    root = fp.as_dict(root_ref)
    if root is None:
        raise RevisionUnreadable(f"revision {revision} has no readable document catalog")

    # Pages, fields and annotations are compared one by one: the fingerprints of everything
    # else stop at them, so that adding a widget to a page does not "change" the catalog.
    pages_raw = _page_leaves(fp, root.raw_get("/Pages")) if "/Pages" in root else []
    acroform = fp.as_dict(root.raw_get("/AcroForm")) if "/AcroForm" in root else None
    raw_fields: dict[str, tuple[generic.DictionaryObject, str | None, str]] = {}
    if acroform is not None and "/Fields" in acroform:
        _walk_fields(fp, acroform.raw_get("/Fields"), "", None, raw_fields, set(), 0)
    for key, _node, _inh in pages_raw:
        if key != "direct":
            fp.opaque.add(_ident(key))
    page_annots: list[list[tuple[str, object]]] = []
    for page_index, (_key, node, _inh) in enumerate(pages_raw):
        entries: list[tuple[str, object]] = []
        page_annot_list = fp.as_list(node.raw_get("/Annots")) if "/Annots" in node else []
        for index, annot in enumerate(page_annot_list):
            if isinstance(annot, generic.IndirectObject):
                fp.opaque.add((annot.idnum, annot.generation))
                entries.append((_ref_key(annot), annot))
            else:
                entries.append((f"direct:{page_index + 1}:{index}", annot))
        page_annots.append(entries)
    widget_field: dict[str, tuple[str, str | None]] = {}
    for name, (node, field_type, key) in raw_fields.items():
        if key.startswith("direct"):
            continue
        fp.opaque.add(_ident(key))
        widget_field[key] = (name, field_type)
        for kid in fp.as_list(node.raw_get("/Kids")) if "/Kids" in node else []:
            if isinstance(kid, generic.IndirectObject):
                widget_field[_ref_key(kid)] = (name, field_type)

    pages: list[PageSnap] = []
    for page_index, (key, node, inherited) in enumerate(pages_raw):
        content = fp.value(node.raw_get("/Contents")) if "/Contents" in node else b"none"
        resources = fp.value(inherited.get("/Resources", generic.NullObject()))
        attributes = hashlib.sha256(
            fp.dict_without(node, frozenset({"/Contents", "/Resources", "/Annots"}))
            + b"".join(
                name.encode() + fp.value(inherited[name])
                for name in _INHERITABLE[1:]
                if name in inherited
            )
        ).digest()
        snaps: list[AnnotSnap] = []
        for akey, raw in page_annots[page_index]:
            annot = fp.as_dict(raw)
            if annot is None:
                snaps.append(AnnotSnap(akey, "(unreadable)", None, None, b"", b"", b""))
                continue
            fld = widget_field.get(akey)
            field_type = fld[1] if fld else _name(_get(annot, "/FT"))
            # A widget's value lives on its field: itself, or its parent for kid widgets.
            value_source: generic.DictionaryObject = annot
            if "/V" not in annot and "/Parent" in annot:
                value_source = fp.as_dict(annot.raw_get("/Parent")) or annot
            snaps.append(
                AnnotSnap(
                    key=akey,
                    subtype=_name(_get(annot, "/Subtype")) or "(none)",
                    field_name=fld[0] if fld else None,
                    field_type=field_type,
                    appearance=b"".join(
                        k.encode() + fp.value(annot.raw_get(k))
                        for k in sorted(_ANNOT_APPEARANCE)
                        if k in annot
                    ),
                    value=fp.value(value_source.raw_get("/V")) if "/V" in value_source else b"",
                    rest=fp.dict_without(annot, _ANNOT_APPEARANCE | _ANNOT_VOLATILE | _FIELD_VALUE),
                    visible=_visible(annot),
                    rect=_rect(fp, annot),
                )
            )
        pages.append(
            PageSnap(
                key,
                content,
                resources,
                attributes,
                tuple(snaps),
                _resource_names(fp, inherited.get("/Resources")),
                functools.partial(
                    _used_names, fp, node.raw_get("/Contents") if "/Contents" in node else None
                ),
            )
        )

    fields: dict[str, FieldSnap] = {}
    for name, (node, field_type, _key) in raw_fields.items():
        value_obj = fp.resolve(node.raw_get("/V")) if "/V" in node else None
        value_type = None
        if field_type == "/Sig" and isinstance(value_obj, generic.DictionaryObject):
            value_type = _name(_get(value_obj, "/Type")) or "/Sig"
        fields[name] = FieldSnap(
            name=name,
            field_type=field_type,
            filled=value_obj is not None and not isinstance(value_obj, generic.NullObject),
            value=fp.value(node.raw_get("/V")) if "/V" in node else b"",
            rest=fp.dict_without(node, _FIELD_VALUE | _ANNOT_APPEARANCE | frozenset({"/Kids"})),
            value_type=value_type,
            shows_value=_shows_value(value_obj),
        )

    catalog = {
        key: fp.value(root.raw_get(key))
        for key in root
        if key not in _CATALOG_ZONES and key not in _CATALOG_METADATA
    }
    metadata = {key: fp.value(root.raw_get(key)) for key in root if key in _CATALOG_METADATA}
    acroform_rest = (
        {key: fp.value(acroform.raw_get(key)) for key in acroform if key != "/Fields"}
        if isinstance(acroform, generic.DictionaryObject)
        else {}
    )
    names: dict[str, bytes] = {}
    names_dict = fp.as_dict(root.raw_get("/Names")) if "/Names" in root else None
    if names_dict is not None:
        names = {key: fp.value(names_dict.raw_get(key)) for key in names_dict}
    open_action: str | None = None
    if "/OpenAction" in root:
        action = fp.resolve(root.raw_get("/OpenAction"))
        if isinstance(action, list):
            open_action = "destination"
        elif isinstance(action, generic.DictionaryObject):
            open_action = _name(_get(action, "/S")) or "(unknown)"
            if "/Next" in action:
                open_action += " with /Next"
        else:
            open_action = "(unknown)"
    return Snapshot(
        names=names,
        open_action=open_action,
        revision=revision,
        root=root_key,
        encrypt=fp.value(trailer.raw_get("/Encrypt")) if "/Encrypt" in trailer else b"",
        info=fp.value(trailer.raw_get("/Info")) if "/Info" in trailer else b"",
        catalog=catalog,
        metadata=metadata,
        dss=fp.value(root.raw_get("/DSS")) if "/DSS" in root else b"",
        acroform=acroform_rest,
        fields=fields,
        pages=pages,
    )


@dataclass
class _Diff:
    changes: set[ChangeKind] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    pages_changed: list[PageChange] = field(default_factory=list)
    annotations_added: list[str] = field(default_factory=list)
    annotations_changed: list[str] = field(default_factory=list)
    annotations_removed: list[str] = field(default_factory=list)
    fields_changed: list[str] = field(default_factory=list)
    signature_fields_added: list[str] = field(default_factory=list)
    catalog_keys: list[str] = field(default_factory=list)
    pages_added: list[int] = field(default_factory=list)
    pages_removed: list[int] = field(default_factory=list)
    # (label, page number, rectangle) of annotations added in this revision
    added_rects: list[tuple[str, int, tuple[float, float, float, float]]] = field(
        default_factory=list
    )
    # (key, label) of annotations (not widgets) whose appearance changed
    redrawn_annotations: list[tuple[str, str]] = field(default_factory=list)
    # (label, page number, rectangle) of form widgets whose value/appearance changed
    filled_rects: list[tuple[str, int, tuple[float, float, float, float]]] = field(
        default_factory=list
    )

    def add(self, kind: ChangeKind, message: str, revision: int) -> None:
        self.changes.add(kind)
        self.findings.append(Finding(kind.value, Severity.INFO, message, revision))


def compare(old: Snapshot, new: Snapshot) -> _Diff:
    """What `new` (revision r) changed relative to `old` (revision r - 1)."""
    rev = new.revision
    diff = _Diff()
    if old.root != new.root:
        diff.add(ChangeKind.TRAILER_CHANGED, "the trailer points to another document catalog", rev)
    if old.encrypt != new.encrypt:
        diff.add(ChangeKind.TRAILER_CHANGED, "the encryption dictionary changed", rev)
    if old.info != new.info or old.metadata != new.metadata:
        diff.add(ChangeKind.METADATA_UPDATED, "document metadata changed", rev)
    if old.dss != new.dss:
        diff.add(ChangeKind.DSS_UPDATED, "validation data (DSS) added or changed", rev)
    for key in sorted(set(old.catalog) | set(new.catalog)):
        if old.catalog.get(key) != new.catalog.get(key):
            diff.catalog_keys.append(key)
            artefact = _catalog_artefact(key, old, new)
            if artefact is not None:
                diff.add(ChangeKind.WRITER_ARTEFACT, artefact, rev)
            else:
                diff.add(ChangeKind.CATALOG_CHANGED, f"document catalog entry {key} changed", rev)
    for key in sorted(set(old.acroform) | set(new.acroform)):
        if key in _ACROFORM_ALLOWED or old.acroform.get(key) == new.acroform.get(key):
            continue
        if key in _ACROFORM_ARTEFACTS:
            diff.add(
                ChangeKind.WRITER_ARTEFACT,
                f"form dictionary entry {key} (default appearance or resources) changed",
                rev,
            )
        else:
            diff.add(ChangeKind.FORM_STRUCTURE_CHANGED, f"form dictionary entry {key} changed", rev)

    # Fields.
    newly_signed: set[str] = set()
    for name, after in new.fields.items():
        before = old.fields.get(name)
        if after.field_type == "/Sig":
            if before is None or not before.filled:
                if after.filled:
                    newly_signed.add(name)
                    diff.signature_fields_added.append(name)
                    if after.value_type == "/DocTimeStamp":
                        diff.add(
                            ChangeKind.DOCUMENT_TIMESTAMP_ADDED,
                            f"document timestamp added in field {name!r}",
                            rev,
                        )
                    else:
                        diff.add(
                            ChangeKind.SIGNATURE_ADDED, f"signature added in field {name!r}", rev
                        )
                elif before is None:
                    diff.add(
                        ChangeKind.SIGNATURE_ADDED, f"empty signature field {name!r} added", rev
                    )
                elif before.rest != after.rest:
                    diff.fields_changed.append(name)
                    diff.add(
                        ChangeKind.FORM_STRUCTURE_CHANGED,
                        f"empty signature field {name!r} changed",
                        rev,
                    )
            elif before.value != after.value or before.rest != after.rest or not after.filled:
                diff.fields_changed.append(name)
                diff.add(
                    ChangeKind.SIGNATURE_FIELD_CHANGED,
                    f"signature field {name!r} (or its signature dictionary) changed after it "
                    "was signed",
                    rev,
                )
        elif before is None:
            diff.fields_changed.append(name)
            diff.add(ChangeKind.FORM_STRUCTURE_CHANGED, f"form field {name!r} added", rev)
        else:
            if before.rest != after.rest or before.field_type != after.field_type:
                diff.fields_changed.append(name)
                diff.add(ChangeKind.FORM_STRUCTURE_CHANGED, f"form field {name!r} redefined", rev)
            elif before.value != after.value:
                diff.fields_changed.append(name)
                diff.add(ChangeKind.FORM_FILLED, f"form field {name!r} filled in", rev)
    for name, before in old.fields.items():
        if name not in new.fields:
            diff.fields_changed.append(name)
            kind = (
                ChangeKind.SIGNATURE_FIELD_CHANGED
                if before.field_type == "/Sig"
                else ChangeKind.FORM_STRUCTURE_CHANGED
            )
            diff.add(kind, f"form field {name!r} removed", rev)

    # Pages, by number: added ones as numbered in the new revision, removed ones as in
    # the old.
    old_keys = {p.key for p in old.pages if p.key != "direct"}
    new_keys = {p.key for p in new.pages if p.key != "direct"}
    diff.pages_added = [i for i, p in enumerate(new.pages, 1) if p.key not in old_keys]
    diff.pages_removed = [i for i, p in enumerate(old.pages, 1) if p.key not in new_keys]
    if len(new.pages) > len(old.pages):
        numbers = ", ".join(map(str, diff.pages_added)) or "?"
        diff.add(
            ChangeKind.PAGES_ADDED,
            f"{len(new.pages) - len(old.pages)} page(s) added (page {numbers})",
            rev,
        )
    elif len(new.pages) < len(old.pages):
        numbers = ", ".join(map(str, diff.pages_removed)) or "?"
        diff.add(
            ChangeKind.PAGES_REMOVED,
            f"{len(old.pages) - len(new.pages)} page(s) removed (page {numbers} of the signed "
            "revision)",
            rev,
        )
    for number, (before_page, after_page) in enumerate(zip(old.pages, new.pages, strict=False), 1):
        change = PageChange(
            number,
            content=before_page.content != after_page.content,
            resources=before_page.resources != after_page.resources,
            attributes=before_page.attributes != after_page.attributes,
        )
        if change.content:
            diff.add(ChangeKind.PAGE_CONTENT_CHANGED, f"page {number}: content changed", rev)
        if change.resources:
            unused = _unused_additions(before_page, after_page)
            if unused is not None and not change.content:
                change = dataclasses.replace(change, resources=False)
                diff.add(
                    ChangeKind.WRITER_ARTEFACT,
                    f"page {number}: resources the page content does not use were added "
                    f"({', '.join(unused)})",
                    rev,
                )
            else:
                diff.add(
                    ChangeKind.PAGE_RESOURCES_CHANGED,
                    f"page {number}: resources (fonts, images, forms) changed",
                    rev,
                )
        if change.attributes:
            diff.add(
                ChangeKind.PAGE_ATTRIBUTES_CHANGED,
                f"page {number}: attributes (size, rotation, ...) changed",
                rev,
            )
        if change.content or change.resources or change.attributes:
            diff.pages_changed.append(change)
        _compare_annots(number, before_page, after_page, newly_signed, diff, rev)
    if not diff.changes:
        diff.changes.add(ChangeKind.NO_CHANGE)
    return diff


def _catalog_artefact(key: str, old: Snapshot, new: Snapshot) -> str | None:
    """Why a catalog change is a writer's artefact, or None when it is not one."""
    if key in _CATALOG_ARTEFACTS:
        return f"document catalog entry {key} (viewer settings, structure, permissions) changed"
    if key == "/Names":
        changed = {
            k for k in set(old.names) | set(new.names) if old.names.get(k) != new.names.get(k)
        }
        if changed and not changed & _ACTIVE_NAME_TREES:
            return f"document name trees {', '.join(sorted(changed))} changed"
        return None
    if key == "/OpenAction":
        if new.open_action is None or new.open_action == "destination":
            return "the document's opening view (/OpenAction) changed"
        if new.open_action in _BENIGN_ACTIONS:
            return f"the document's opening view (/OpenAction {new.open_action}) changed"
    return None


def _unused_additions(old: PageSnap, new: PageSnap) -> list[str] | None:
    """The resource names added to a page whose content cannot use them (it does not name
    them), when that is all that changed in its resources; else None."""
    used = new.used_names()
    if used is None:
        return None
    added: list[str] = []
    for key, value in new.resource_names.items():
        before = old.resource_names.get(key)
        if before == value:
            continue
        category, name = key
        if before is not None or not name or name.lstrip("/") in used:
            return None
        added.append(f"{category} {name}")
    if any(key not in new.resource_names for key in old.resource_names):
        return None
    return added or None


def _compare_annots(
    page: int,
    old: PageSnap,
    new: PageSnap,
    newly_signed: set[str],
    diff: _Diff,
    rev: int,
) -> None:
    before = {a.key: a for a in old.annots}
    after = {a.key: a for a in new.annots}
    for key, annot in after.items():
        label = f"page {page}: {annot.subtype} {key}"
        previous = before.get(key)
        is_sig = annot.field_type == "/Sig"
        if previous is None:
            if is_sig and annot.field_name in newly_signed:
                # The widget of a signature added in this revision. Its appearance is new
                # ink on a signed page: permitted, but worth a look (EU DSS warns too).
                if annot.visible:
                    diff.findings.append(
                        Finding(
                            "VISIBLE_SIGNATURE_ADDED",
                            Severity.WARNING,
                            f"{label}: the visible appearance of signature {annot.field_name!r} "
                            "was added on a signed page; check it covers no content",
                            rev,
                        )
                    )
                continue
            if is_sig:
                diff.annotations_added.append(label)
                diff.add(
                    ChangeKind.SIGNATURE_FIELD_CHANGED,
                    f"{label}: widget added to signature field {annot.field_name!r}",
                    rev,
                )
            elif annot.subtype == "/Widget" or annot.field_type is not None:
                diff.annotations_added.append(label)
                diff.add(ChangeKind.FORM_STRUCTURE_CHANGED, f"{label}: form widget added", rev)
            else:
                diff.annotations_added.append(label)
                diff.add(ChangeKind.ANNOTATION_ADDED, f"{label}: annotation added", rev)
                if annot.rect is not None:
                    diff.added_rects.append((label, page, annot.rect))
            continue
        same = (previous.appearance, previous.value, previous.rest) == (
            annot.appearance,
            annot.value,
            annot.rest,
        )
        if same:
            continue
        diff.annotations_changed.append(label)
        if is_sig or previous.field_type == "/Sig":
            if annot.field_name in newly_signed and previous.rest == annot.rest:
                continue  # an empty signature field being signed gets its appearance
            diff.add(
                ChangeKind.SIGNATURE_FIELD_CHANGED,
                f"{label}: widget of signature field {annot.field_name!r} changed",
                rev,
            )
        elif annot.subtype == "/Widget" or annot.field_type is not None:
            if previous.rest != annot.rest:
                diff.add(
                    ChangeKind.FORM_STRUCTURE_CHANGED,
                    f"{label}: form widget changed (position, flags or action)",
                    rev,
                )
            else:
                diff.add(
                    ChangeKind.FORM_FILLED,
                    f"{label}: appearance/value of form field {annot.field_name!r} changed",
                    rev,
                )
                if annot.rect is not None:
                    diff.filled_rects.append((label, page, annot.rect))
        else:
            diff.add(ChangeKind.ANNOTATION_CHANGED, f"{label}: annotation changed", rev)
            if previous.appearance != annot.appearance:
                diff.redrawn_annotations.append((key, label))
    for key, annot in before.items():
        if key not in after:
            label = f"page {page}: {annot.subtype} {key}"
            diff.annotations_removed.append(label)
            kind = (
                ChangeKind.SIGNATURE_FIELD_CHANGED
                if annot.field_type == "/Sig"
                else ChangeKind.ANNOTATION_REMOVED
            )
            diff.add(kind, f"{label}: annotation removed", rev)


def _object_changes(
    reader: PdfFileReader, revision: int, bounds: list[RevisionBounds], diff: _Diff
) -> tuple[int, int, int, list[ObjectChange]]:
    xrefs = reader.xrefs
    start = bounds[revision].start
    added = changed = 0
    listed: list[ObjectChange] = []
    resolver = reader.get_historical_resolver(revision)
    for ref in sorted(xrefs.explicit_refs_in_revision(revision), key=lambda r: r.idnum):
        now = xrefs.get_historical_ref(ref, revision)
        before = xrefs.get_historical_ref(ref, revision - 1) if revision else None
        if before is not None and now == before:
            continue  # re-listed with the same location: not a change
        kind = "added" if before is None else "changed"
        if before is None:
            added += 1
        else:
            changed += 1
        # An honest update writes every object it touches after the previous revision.
        target = now
        if isinstance(target, ObjStreamRef):
            target = xrefs.get_historical_ref(generic.Reference(target.obj_stream_id, 0), revision)
        if isinstance(target, int) and target < start:
            kind = "redirected"
            diff.add(
                ChangeKind.XREF_REDIRECTED,
                f"object {ref.idnum} {ref.generation} now points at bytes that were already in "
                f"the file at offset {target} (hidden content switched on: shadow attack?)",
                revision,
            )
        if len(listed) < MAX_CHANGED_OBJECTS_LISTED:
            listed.append(
                ObjectChange(f"{ref.idnum} {ref.generation}", kind, _type_of(resolver, ref))
            )
    freed = len(xrefs.refs_freed_in_revision(revision))
    return added, changed, freed, listed


def _type_of(resolver: HistoricalResolver, ref: generic.Reference) -> str | None:
    try:
        obj = resolver.get_object(ref)
    except Exception:
        return "(unreadable)"
    if isinstance(obj, generic.DictionaryObject):
        kind = _name(_get(obj, "/Type")) or _name(_get(obj, "/Subtype")) or _name(_get(obj, "/FT"))
        if isinstance(obj, generic.StreamObject):
            return f"stream {kind}" if kind else "stream"
        return kind or "dictionary"
    return type(obj).__name__.removesuffix("Object").lower()


@dataclass(frozen=True)
class RevisionAnalysis:
    reports: tuple[RevisionReport, ...]
    page_counts: tuple[int | None, ...]  # per revision; None where not analysed
    # Filled signature fields of the last revision, by our own walk of the form: a signature
    # pyHanko's enumeration missed must still be reported, never silently dropped.
    signature_fields: tuple[str, ...]
    # Signatures an earlier revision had and the last one lost: (field, signed in, lost in).
    removed_signatures: tuple[tuple[str, int, int], ...]
    # Revisions (from the first signed one on) whose document could not be read.
    unreadable: tuple[int, ...] = ()
    # Per revision: (label, page number, rectangle) of the annotations it added.
    added_annotations: dict[int, tuple[tuple[str, int, tuple[float, float, float, float]], ...]] = (
        dataclasses.field(default_factory=dict)
    )
    # Per revision: (label, page number, rectangle) of the form widgets it filled in.
    filled_widgets: dict[int, tuple[tuple[str, int, tuple[float, float, float, float]], ...]] = (
        dataclasses.field(default_factory=dict)
    )
    # Per readable revision: the form fields showing a value in it (what its signer saw).
    fields_with_value: dict[int, frozenset[str]] = dataclasses.field(default_factory=dict)
    # Per revision: (key, label) of the annotations (not widgets) whose appearance it changed.
    redrawn_annotations: dict[int, tuple[tuple[str, str], ...]] = dataclasses.field(
        default_factory=dict
    )
    # Per readable revision: the keys of the annotations (not widgets) drawn in it.
    annotations_shown: dict[int, frozenset[str]] = dataclasses.field(default_factory=dict)


def _unanalysed(
    revision: int, bounds: list[RevisionBounds], reader: PdfFileReader
) -> RevisionReport:
    refs = reader.xrefs.explicit_refs_in_revision(revision) if revision else set()
    return RevisionReport(
        index=revision,
        end_offset=bounds[revision].end,
        changes=(),
        objects_added=len(refs),
        objects_changed=0,
        objects_freed=0,
        changed_objects=(),
        pages=_declared_page_count(reader, revision),
        pages_changed=(),
        annotations_added=(),
        annotations_changed=(),
        annotations_removed=(),
        fields_changed=(),
        signature_fields_added=(),
        catalog_keys_changed=(),
        findings=(),
        analysed=False,
    )


def _declared_page_count(reader: PdfFileReader, revision: int) -> int | None:
    """The page count a revision declares (/Pages /Count), for revisions not analysed."""
    try:
        resolver = reader.get_historical_resolver(revision)

        def get(obj: object) -> object:
            # through this revision's resolver: a plain [] would read the latest revision
            if isinstance(obj, generic.IndirectObject):
                return resolver.get_object(obj.reference)
            return obj

        root = get(resolver.trailer_view.raw_get("/Root"))
        pages = get(root.raw_get("/Pages")) if isinstance(root, generic.DictionaryObject) else None
        count = (
            get(pages.raw_get("/Count")) if isinstance(pages, generic.DictionaryObject) else None
        )
    except Exception:
        return None
    return int(count) if isinstance(count, int) and not isinstance(count, bool) else None


def analyse_revisions(
    reader: PdfFileReader,
    bounds: list[RevisionBounds],
    *,
    first_signed: int | None,
    max_nodes: int = 2_000_000,
) -> RevisionAnalysis:
    """Snapshots from `first_signed` (the earliest revision any signature signs) on, each
    compared with the one before. Earlier revisions are inside every signature's byte range,
    so nothing about them can change a verdict; they are listed, not analysed (which also
    spares the first-page section of linearized files, which pyHanko reads as a revision
    without a catalog)."""
    total = reader.xrefs.total_revisions
    base = total if first_signed is None else max(0, min(first_signed, total - 1))
    budget = [max_nodes]
    snapshots: dict[int, Snapshot] = {}
    unreadable: dict[int, str] = {}
    added_rects: dict[int, tuple[tuple[str, int, tuple[float, float, float, float]], ...]] = {}
    filled_rects: dict[int, tuple[tuple[str, int, tuple[float, float, float, float]], ...]] = {}
    redrawn: dict[int, tuple[tuple[str, str], ...]] = {}
    for r in range(base, total):
        try:
            snapshots[r] = take_snapshot(reader, r, budget)
        except (AnalysisLimitExceeded, MemoryError, RecursionError):
            raise
        except Exception as exc:  # one damaged revision does not hide the others
            unreadable[r] = _describe(exc)
    reports = [_unanalysed(r, bounds, reader) for r in range(base)]
    if base < total:
        report = _unanalysed(base, bounds, reader)
        if base in snapshots:
            report = dataclasses.replace(report, pages=len(snapshots[base].pages), analysed=True)
        else:
            report = _unreadable_report(report, unreadable[base])
        reports.append(report)
    previous = base if base in snapshots else None
    for revision in range(base + 1, total):
        if revision not in snapshots or previous is None:
            report = _unanalysed(revision, bounds, reader)
            if revision not in snapshots:
                report = _unreadable_report(report, unreadable[revision])
            else:
                previous = revision
                report = dataclasses.replace(report, pages=len(snapshots[revision].pages))
            reports.append(report)
            continue
        # Compared with the last readable revision: the changes of an unreadable one in
        # between are then seen together with this one's.
        diff = compare(snapshots[previous], snapshots[revision])
        previous = revision
        added, changed, freed, listed = _object_changes(reader, revision, bounds, diff)
        if ChangeKind.XREF_REDIRECTED in diff.changes:
            diff.changes.discard(ChangeKind.NO_CHANGE)
        reports.append(
            RevisionReport(
                index=revision,
                end_offset=bounds[revision].end,
                changes=tuple(sorted(diff.changes)),
                objects_added=added,
                objects_changed=changed,
                objects_freed=freed,
                changed_objects=tuple(listed),
                pages=len(snapshots[revision].pages),
                pages_changed=tuple(diff.pages_changed),
                annotations_added=tuple(diff.annotations_added),
                annotations_changed=tuple(diff.annotations_changed),
                annotations_removed=tuple(diff.annotations_removed),
                fields_changed=tuple(diff.fields_changed),
                signature_fields_added=tuple(diff.signature_fields_added),
                catalog_keys_changed=tuple(diff.catalog_keys),
                findings=tuple(diff.findings[:MAX_FINDINGS_PER_REVISION]),
                pages_added=tuple(diff.pages_added),
                pages_removed=tuple(diff.pages_removed),
            )
        )
        if diff.added_rects:
            added_rects[revision] = tuple(diff.added_rects)
        if diff.filled_rects:
            filled_rects[revision] = tuple(diff.filled_rects)
        if diff.redrawn_annotations:
            redrawn[revision] = tuple(diff.redrawn_annotations)
    signed = {
        r: {name for name, f in snap.fields.items() if f.field_type == "/Sig" and f.filled}
        for r, snap in snapshots.items()
    }
    removed: dict[str, tuple[str, int, int]] = {}
    readable = sorted(signed)
    for before, revision in itertools.pairwise(readable):
        for name in signed[before] - signed[revision]:
            first = next(r for r in readable if name in signed[r])
            removed.setdefault(name, (name, first, revision))
    last = signed.get(total - 1, set())
    return RevisionAnalysis(
        tuple(reports),
        tuple(report.pages for report in reports),
        tuple(sorted(last)),
        tuple(v for k, v in removed.items() if k not in last),
        tuple(sorted(unreadable)),
        added_rects,
        filled_rects,
        {
            r: frozenset(
                name for name, f in snap.fields.items() if f.field_type != "/Sig" and f.shows_value
            )
            for r, snap in snapshots.items()
        },
        redrawn,
        {
            r: frozenset(
                a.key
                for page in snap.pages
                for a in page.annots
                if a.visible and a.subtype != "/Widget" and a.field_type is None
            )
            for r, snap in snapshots.items()
        },
    )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def _unreadable_report(report: RevisionReport, why: str) -> RevisionReport:
    finding = Finding(
        "REVISION_UNREADABLE",
        Severity.WARNING,
        f"revision {report.index}: its document cannot be read ({why}); its changes are "
        "judged together with the next readable revision's",
        report.index,
    )
    return dataclasses.replace(report, findings=(finding,), analysed=False)
