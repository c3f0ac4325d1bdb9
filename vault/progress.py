"""How long work tells how far it has got (tiến độ): a callback, `progress(done, total)`.

Services that walk many rows or objects (key rotation, reconciliation, reindexing, imports
and exports) take one and call it after each batch; `total` is None while it is not known.
What the person sees is the caller's business: a progress bar in a terminal, periodic lines in
a log (`api.progress`), a job's progress in its status.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int | None], None]


def no_progress(done: int, total: int | None) -> None:
    """For callers that do not watch."""
