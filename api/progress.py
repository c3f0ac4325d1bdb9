"""Progress of long CLI commands as a person sees it.

In a terminal: a `rich` progress bar with the count, the rate and the time left. Otherwise (a
log file, a cron job, a container's output): a plain line every `every` seconds and one at the
end, so the log shows the run moving without a line per row.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from vault.progress import Progress


def _plain_line(label: str, done: int, total: int | None, elapsed: float) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    line = f"{label}: {done}" + (f"/{total}" if total is not None else "") + " done"
    line += f", {rate:.0f}/s"
    if total is not None and rate > 0 and done < total:
        line += f", about {(total - done) / rate:.0f} s left"
    return line


@contextmanager
def progress_display(
    label: str, *, stream: TextIO | None = None, every: float = 5.0
) -> Iterator[Progress]:
    """Yields the callback to hand to the service; the display ends with the block."""
    out = stream or sys.stderr
    if out.isatty():
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        started = time.monotonic()
        with RichProgress(*columns, console=Console(file=out), transient=False) as bar:
            task = bar.add_task(label, total=None, rate="")

            def show(done: int, total: int | None) -> None:
                elapsed = time.monotonic() - started
                rate = f"{done / elapsed:.0f}/s" if elapsed > 0 else ""
                bar.update(task, completed=done, total=total, rate=rate)

            yield show
        return

    started = time.monotonic()
    last_line = started
    last: tuple[int, int | None] = (0, None)

    def report(done: int, total: int | None) -> None:
        nonlocal last_line, last
        last = (done, total)
        now = time.monotonic()
        if now - last_line >= every:
            last_line = now
            print(_plain_line(label, done, total, now - started), file=out, flush=True)

    yield report
    print(_plain_line(label, *last, time.monotonic() - started), file=out, flush=True)
