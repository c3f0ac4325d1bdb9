"""Reading one document in a child process, so that nothing it does can hurt the caller.

The child is started from the forkserver (never forked from a threaded server process), has
an address-space limit and a time limit, and dies with its parent. The address-space limit
follows from the upload limits (`child_memory_limit_mb`): what the child needs to read any
document the vault accepts, and no more. A PDF is inspected again in the child, as at upload
(image XObjects and Flate streams against the same limits), before PDFium renders anything:
`vault ocr` and files stored before those checks existed meet them too. Whatever goes wrong in it
(a decompression bomb, an engine crash, a segfault in a library) comes back as an
`ocr.errors` error. This module imports only what the child needs, so starting one is cheap.

As with any start method but fork, a child imports the parent's main module: a script that
runs OCR this way must keep its work under `if __name__ == "__main__":` (the `vault` command,
uvicorn and pytest do).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import multiprocessing
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

from ocr.classify import Classification
from ocr.engine import limit_engine_threads
from ocr.errors import (
    EngineFailure,
    InputTooLarge,
    OcrError,
    OcrTimeout,
    UnreadableInput,
    UnsupportedInput,
)
from ocr.pipeline import OcrOptions, PageSource, recognise
from vault.content import SNIFF_BYTES, ContentLimits, inspect_pdf_streams, sniff
from vault.domain import MediaType
from vault.errors import ContentTooLarge, UnreadableContent, UnsupportedMediaType, VaultError
from vault.texts import ExtractedPage
from vault.texts import PageSource as StoredSource

_ERRORS: dict[str, Callable[[str], OcrError]] = {
    "UnsupportedInput": UnsupportedInput,
    "UnreadableInput": UnreadableInput,
    "InputTooLarge": lambda detail: InputTooLarge(detail, 0),
    "OcrTimeout": lambda detail: OcrTimeout(detail, 0),
    "EngineFailure": EngineFailure,
}
# How often the caller looks up from a running child: to stop promptly when asked.
TICK = 0.2
# The child's own address space before it reads anything: Python, PDFium, Pillow, Tesseract
# and its language data, thread stacks (measured: about 700 MB of address space, with room).
CHILD_BASE_MB = 1024
MIB = 1024 * 1024


def child_memory_limit_mb(limits: ContentLimits) -> int:
    """The address-space limit of an OCR child: its base, plus the largest decoded stream an
    upload may hold twice over (PDFium's decoded image and the page it is drawn into, or
    Pillow's image and its grey copy)."""
    return CHILD_BASE_MB + 2 * -(-limits.max_decoded_bytes // MIB)


@dataclass(frozen=True, slots=True)
class Recognised:
    """What reading a document gave, as the child sends it back (no word boxes: they stay
    inside the searchable PDF)."""

    pages: tuple[ExtractedPage, ...]
    confidence: float
    searchable_pdf: bytes | None
    classification: Classification


# Called while a document is read; False means give up (the lease is lost, or stopping).
Heartbeat = Callable[[], bool]


class Recogniser(Protocol):
    def __call__(self, data: bytes, media_type: MediaType, heartbeat: Heartbeat) -> Recognised:
        """Raises `ocr.errors` errors, or `Interrupted` when `heartbeat` says to stop."""
        ...


class Interrupted(Exception):
    """Reading stopped because the heartbeat said so."""


def read_document(
    data: bytes,
    media_type: MediaType,
    options: OcrOptions,
    content_limits: ContentLimits | None = None,
) -> Recognised:
    """The pipeline, in this process; with `content_limits`, a PDF's streams are inspected
    first (anything else, or a PDF that is not one, is the pipeline's to judge)."""
    if content_limits is not None and media_type is MediaType.PDF:
        with contextlib.suppress(UnsupportedMediaType):
            if sniff(data[:SNIFF_BYTES]) is MediaType.PDF:
                inspect_pdf_streams(io.BytesIO(data), content_limits)
    result = recognise(data, media_type, options=options)
    pages = tuple(
        ExtractedPage(
            p.number,
            p.text,
            round(p.confidence, 4),
            StoredSource.TEXT_LAYER if p.source is PageSource.TEXT_LAYER else StoredSource.OCR,
        )
        for p in result.pages
    )
    return Recognised(
        pages, round(result.confidence, 4), result.searchable_pdf, result.classification()
    )


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG (1): the kernel kills this child if its parent dies, so a killed
    # worker leaves no OCR process behind.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


def _error(exc: BaseException, memory_mb: int) -> tuple[str, str, str]:
    if isinstance(exc, OcrError):
        return ("error", type(exc).__name__, exc.detail)
    if isinstance(exc, MemoryError):
        return ("error", "InputTooLarge", f"reading it needs more than {memory_mb} MB")
    if isinstance(exc, VaultError):
        for cls, name in (
            (ContentTooLarge, "InputTooLarge"),
            (UnsupportedMediaType, "UnsupportedInput"),
            (UnreadableContent, "UnreadableInput"),
        ):
            if isinstance(exc, cls):
                return ("error", name, exc.detail)
    # A bug or a library failure: not the input's fault as far as anyone can tell.
    return ("error", "EngineFailure", f"{type(exc).__name__}: {exc}"[:500])


def _child(
    conn: Connection,
    data: bytes,
    media_type: MediaType,
    options: OcrOptions,
    memory_mb: int,
    content_limits: ContentLimits | None,
) -> None:
    _die_with_parent()
    # The engine inherits this process's environment (see ocr.engine).
    limit_engine_threads()
    message: tuple[Any, ...]
    try:
        if memory_mb:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        message = ("ok", read_document(data, media_type, options, content_limits))
    except BaseException as exc:
        message = _error(exc, memory_mb)
    try:
        conn.send(message)
    finally:
        conn.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (out of memory?)" if -exitcode == signal.SIGKILL else ""
        return f"the OCR process was killed by {name}{hint}"
    return f"the OCR process ended without an answer (exit code {exitcode})"


class SubprocessRecogniser:
    """Reads each document in a fresh child process, killed when it runs over time or when
    the caller gives up on it. With `content_limits` (the upload limits), the child's memory
    limit is the lower of `memory_limit_mb` and what those limits need, and a PDF is inspected
    against them in the child before it is rendered."""

    def __init__(
        self,
        options: OcrOptions,
        *,
        timeout: float,
        memory_limit_mb: int,
        content_limits: ContentLimits | None = None,
    ) -> None:
        self._options = options
        self._timeout = timeout
        self._content_limits = content_limits
        if content_limits is not None:
            needed = child_memory_limit_mb(content_limits)
            memory_limit_mb = min(memory_limit_mb, needed) if memory_limit_mb else needed
        self._memory_mb = memory_limit_mb
        self._context = multiprocessing.get_context("forkserver")
        # Loaded once in the forkserver (if it is not running yet), not in every child.
        self._context.set_forkserver_preload([__name__])

    def __call__(self, data: bytes, media_type: MediaType, heartbeat: Heartbeat) -> Recognised:
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_child,
            args=(send, data, media_type, self._options, self._memory_mb, self._content_limits),
            name="ocr-reader",
        )
        process.start()
        send.close()  # only the child writes: its exit shows here as end of file
        deadline = time.monotonic() + self._timeout
        try:
            # The heartbeat first: a caller that is already stopping kills the child at once.
            while heartbeat():
                if receive.poll(TICK):
                    break
                if time.monotonic() > deadline:
                    raise OcrTimeout(
                        f"reading the document took longer than {self._timeout:g} s",
                        self._timeout,
                    )
            else:
                raise Interrupted
            try:
                message = receive.recv()
            except EOFError:
                process.join(5)
                raise EngineFailure(_death(process.exitcode)) from None
        finally:
            receive.close()
            if process.is_alive():
                process.kill()
            process.join(5)
            process.close()
        if message[0] == "ok":
            recognised: Recognised = message[1]
            return recognised
        raise _ERRORS.get(message[1], EngineFailure)(message[2])
