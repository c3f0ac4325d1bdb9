"""What the HTTP server may write to its logs.

Query strings can carry what a person typed into a search box (a name, an identification
number), so access lines keep the path and drop the query. Paths carry opaque ids only
(owners are looked up by a POST body), so what remains is safe to log.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class QueryStringRedactor(logging.Filter):
    """Rewrites uvicorn's access line arguments (client, method, path?query, version,
    status) to `path?…`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            if sep:
                record.args = (args[0], args[1], path + "?…", args[3], args[4])
        return True


def redact_access_log() -> None:
    """Idempotent; called when the app starts, after the server configured its logging."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, QueryStringRedactor) for f in logger.filters):
        logger.addFilter(QueryStringRedactor())
