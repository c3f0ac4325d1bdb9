"""Commands of the `vault` CLI for OCR and search: `vault reindex`, `vault ocr FILE...`.
`api.cli` adds them with `register(sub, settings)`; OCR jobs run under `vault worker`
(api.cli_jobs), with every other kind of job."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

# The pipeline and the runtime are imported by the command that runs them:
# `vault --help` and the other commands must not pay for PDFium, Pillow and SQLAlchemy.
from vault.progress import Progress, no_progress

if TYPE_CHECKING:
    from vault.settings import Settings

log = logging.getLogger(__name__)

SettingsFactory = Callable[[], "Settings"]
# How the CLI shows a long run (api.progress.progress_display: a bar in a terminal, lines in
# a log); given by the CLI that registers these commands, ocr sits below api.
ProgressDisplay = Callable[[str], AbstractContextManager[Progress]]


def reindex_main(args: argparse.Namespace, settings: Settings, display: ProgressDisplay) -> int:
    """Rebuilds the search index from the stored documents and their extracted text."""
    from ocr.search import reindex
    from vault.runtime import Vault

    vault = Vault.from_settings(settings)
    try:
        with display("reindex: documents") as progress:
            report = reindex(
                vault.uows,
                batch=args.batch,
                enqueue_missing_ocr=args.ocr_missing,
                progress=progress,
            )
    finally:
        vault.close()
    print(f"search index rebuilt: {report.documents} documents")
    if args.ocr_missing:
        print(f"OCR jobs queued for {report.ocr_enqueued} documents that had none")
    return 0


def ocr_main(args: argparse.Namespace, settings: Settings | None, display: ProgressDisplay) -> int:
    """Prints the text of each file, through the pipeline the workers use (with the
    configured page limit and time bounds). Exit status 1 if any file could not be read.
    Several files show their progress on standard error; the text goes to standard output."""
    from ocr.errors import OcrError
    from ocr.pipeline import Limits, OcrOptions, recognise_file

    limits = Limits()
    if settings is not None:
        limits = Limits(
            max_bytes=settings.max_upload_bytes,
            max_pages=settings.ocr_max_pages,
            page_timeout=settings.ocr_page_timeout_seconds,
        )
    options = OcrOptions(limits=limits, searchable_pdf=False, workers=args.workers)
    failed = 0
    many = len(args.files) > 1
    with display("ocr: files") if many else nullcontext(no_progress) as progress:
        progress(0, len(args.files))
        for number, name in enumerate(args.files):
            path = Path(name)
            try:
                result = recognise_file(path, options=options)
            except OcrError as exc:
                print(f"error: {path}: {exc.detail}", file=sys.stderr)
                failed += 1
            else:
                if many:
                    print(f"{'' if number == 0 else chr(10)}==> {path} <==")
                sys.stdout.write(result.render_text())
                sys.stdout.flush()
            progress(number + 1, len(args.files))
    return 1 if failed else 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    settings: SettingsFactory,
    display: ProgressDisplay,
) -> None:
    """Adds `reindex` and `ocr` to the `vault` command's subcommands. `settings` builds the
    configuration (api.cli's, which explains a bad one); `display` shows long runs."""
    rebuild = sub.add_parser("reindex", help="rebuild the search index from stored documents")
    rebuild.add_argument("--batch", type=int, default=200, help="documents per transaction")
    rebuild.add_argument(
        "--ocr-missing",
        action="store_true",
        help="also queue OCR for documents with no text and no OCR job (stored before OCR)",
    )
    rebuild.set_defaults(func=lambda a: reindex_main(a, settings(), display))

    ocr = sub.add_parser("ocr", help="print the recognised text of images or PDFs")
    ocr.add_argument("files", nargs="+", metavar="FILE", help="PDF, JPEG, PNG or TIFF")
    ocr.add_argument("--workers", type=int, default=1, help="pages read in parallel (processes)")
    ocr.set_defaults(func=lambda a: ocr_main(a, settings(), display))
