"""What a reader sees: the signed revision and the final file rendered and compared page
by page, and the text under an annotation added after signing (PDFium).

Run only when a later revision changed something beyond validation data, on at most
`MAX_PAGES` pages at a low resolution; any rendering failure is "not compared" (None),
never a verdict on its own.
"""

from __future__ import annotations

import hashlib

MAX_PAGES = 20
_SCALE = 0.5  # 36 dpi: enough to see a changed line of text, cheap to render
_MAX_PIXELS = 1200.0  # the longer side of a rendered page, at most


def _page_digests(pdf: bytes, pages: int) -> list[bytes]:
    import pypdfium2  # imported where used: PDFium is heavy and rarely needed here

    document = pypdfium2.PdfDocument(pdf)
    try:
        out = []
        for index in range(min(pages, len(document), MAX_PAGES)):
            page = document[index]
            try:
                # a huge /MediaBox must not become a huge bitmap
                width, height = page.get_size()
                scale = min(_SCALE, _MAX_PIXELS / max(width, height, 1.0))
                bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
                out.append(hashlib.sha256(bytes(bitmap.buffer)).digest())
            finally:
                page.close()
        return out
    finally:
        document.close()


def pages_that_look_different(signed: bytes, final: bytes) -> tuple[int, ...] | None:
    """1-based numbers of the pages (among the first `MAX_PAGES` both have) whose
    rendering differs; None when either cannot be rendered."""
    try:
        before = _page_digests(signed, MAX_PAGES)
        after = _page_digests(final, MAX_PAGES)
    except Exception:
        return None
    return tuple(i + 1 for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b)


def text_under(pdf: bytes, page_number: int, rect: tuple[float, float, float, float]) -> str | None:
    """The text of page `page_number` (1-based) inside `rect` (PDF user space); None when
    it cannot be read."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(pdf)
        try:
            if not 1 <= page_number <= len(document):
                return None
            page = document[page_number - 1]
            text_page = page.get_textpage()
            left, bottom, right, top = rect
            text = text_page.get_text_bounded(
                left=min(left, right),
                bottom=min(bottom, top),
                right=max(left, right),
                top=max(bottom, top),
            )
            text_page.close()
            page.close()
            return str(text).strip()
        finally:
            document.close()
    except Exception:
        return None
