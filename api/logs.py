"""What the HTTP server may write to its logs.

Query strings can carry what a person typed into a search box (a name, an identification
number), so access lines keep the path and drop the query. Paths carry opaque ids only
(owners are looked up by a POST body), so what remains is safe to log.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from vault.request_context import current_request_id

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


class RequestIdFilter(logging.Filter):
    """Puts the id of the request (or job) being served on every record, as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the exception
    when there is one. The message is formatted as in text logs, so the same rule holds: no
    identifier, name or query string in what the code logs (tests/test_personal_data.py)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """The root handler for `vault serve` and `vault worker`: JSON lines in production (for a
    log shipper), text in a terminal. Every record carries the request id."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
