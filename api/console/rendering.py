"""Page images and thumbnails, rendered on the server, kept in an encrypted memory cache.

Why memory and not `derived_files`: a thumbnail is cheap to make again, and storing one would
turn every page view into a database write (and a schema change, the derived file kinds being
constrained). Why encrypted: the renders are personal data; each is sealed with AES-GCM
under a key that exists only in this process, so nothing readable lingers in a core dump or
swap longer than the request that shows it, and nothing is ever written to disk.

The cache is keyed by the content's SHA-256 (not the document id): a render is of bytes, and
the caller has always checked access through the domain before asking for it.
"""

from __future__ import annotations

import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import pypdfium2
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from PIL import Image

from vault.content import PDFIUM_LOCK
from vault.domain import MediaType

THUMBNAIL_WIDTH = 240  # twice the 120 px it is shown at: sharp on tablets
PAGE_WIDTH = 1240  # an A4 page at 150 dpi
MAX_PAGES_SHOWN = 50  # the preview shows the first pages; the content is downloaded otherwise


class RenderError(Exception):
    """The stored file could not be drawn (it passed the upload checks, so: rare)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    png: bytes
    page_count: int


class EncryptedCache:
    """A small LRU of byte strings, sealed under a per-process key, bounded in bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._max = max_bytes
        self._size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            sealed = self._items.get(key)
            if sealed is None:
                return None
            self._items.move_to_end(key)
        return self._aead.decrypt(sealed[:12], sealed[12:], key.encode())

    def put(self, key: str, value: bytes) -> None:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, value, key.encode())
        if len(sealed) > self._max:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = sealed
            self._size += len(sealed)
            while self._size > self._max:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


class PageCounts:
    """Content hash -> number of pages shown (not personal data), the most recently used
    few thousand: bounded, so a long-running process does not grow with every file seen."""

    def __init__(self, max_items: int = 4096) -> None:
        self._max = max_items
        self._items: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> int | None:
        with self._lock:
            count = self._items.get(key)
            if count is not None:
                self._items.move_to_end(key)
            return count

    def put(self, key: str, count: int) -> None:
        with self._lock:
            self._items[key] = count
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


_CACHE = EncryptedCache()
_PAGE_COUNTS = PageCounts()


def _png(image: Image.Image, width: int) -> bytes:
    if image.mode == "1":
        # A bilevel scan (fax group 4): grey, one byte a pixel, not three, before scaling.
        image = image.convert("L")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def _render_pdf(data: bytes, index: int, width: int) -> Rendered:
    with PDFIUM_LOCK:  # PDFium is not thread-safe: one document operation at a time
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise RenderError(str(exc)) from exc
        try:
            count = len(pdf)
            if not 0 <= index < count:
                raise RenderError("no such page")
            page = pdf[index]
            try:
                page_width = page.get_width() or 595
                bitmap = page.render(scale=min(4.0, width / page_width))
                try:
                    image = bitmap.to_pil()
                    image.load()
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            pdf.close()
    return Rendered(_png(image, width), count)


def _render_image(data: bytes, index: int, width: int) -> Rendered:
    """Decodes the one frame asked for: a multi-page TIFF of fax scans is tiny compressed
    and huge decoded (a 5000x5000 frame is 25 MB), so never every frame at once."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            count = min(int(getattr(image, "n_frames", 1)), MAX_PAGES_SHOWN)
            if not 0 <= index < count:
                raise RenderError("no such page")
            if index:
                image.seek(index)
            image.load()
            png = _png(image, width)
    except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise RenderError(str(exc)) from exc
    return Rendered(png, count)


def render_page(
    sha256: str,
    media_type: MediaType,
    index: int,
    width: int,
    read: Callable[[], bytes],
) -> Rendered:
    """Page `index` (0-based) as a PNG at most `width` pixels wide. `read` fetches the
    plaintext, and is called only when the cache has no render."""
    if not 0 <= index < MAX_PAGES_SHOWN:
        raise RenderError("no such page")  # before reading (or decoding) anything
    key = f"{sha256}:{index}:{width}"
    cached = _CACHE.get(key)
    count = _PAGE_COUNTS.get(sha256)
    if cached is not None and count is not None:
        return Rendered(cached, count)
    data = read()
    if media_type is MediaType.PDF:
        rendered = _render_pdf(data, index, width)
    else:
        rendered = _render_image(data, index, width)
    _CACHE.put(key, rendered.png)
    _PAGE_COUNTS.put(sha256, rendered.page_count)
    return rendered


def known_page_count(sha256: str) -> int | None:
    return _PAGE_COUNTS.get(sha256)


def pdf_pages_as_png(pdf: bytes, width: int = PAGE_WIDTH) -> list[bytes]:
    """Every page of a PDF made in this request (the certified copy's preview): never
    cached, since it is stored nowhere."""
    with PDFIUM_LOCK:
        doc = pypdfium2.PdfDocument(pdf)
        try:
            count = len(doc)
        finally:
            doc.close()
    return [_render_pdf(pdf, i, width).png for i in range(min(count, MAX_PAGES_SHOWN))]
