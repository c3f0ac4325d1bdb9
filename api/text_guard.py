"""Control characters in a request's path or query string: 422 on every route.

A NUL in a search term or a code in the path would reach PostgreSQL's driver and fail there
(a 500) while SQLite would take it; C1 controls and lone surrogates are never text a person
typed. Every route reads its path and query parameters, so they are checked here, once.
Bodies are checked where their fields are read: `api.schemas.Text` for JSON and form fields,
`vault.identifiers.plain_text` in the services that store text, and the database engine
refuses a NUL in any statement parameter as a last resort (`vault.db.engine`). Tab, line
feed and carriage return pass: they are whitespace, which the services fold.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem
from vault.identifiers import control_character


def _fields(encoded: str) -> Iterator[tuple[str, str]]:
    """(field, text) for each name and each value of a query string."""
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        yield name, name
        yield name, value


def _first_control(texts: Iterator[tuple[str, str]]) -> tuple[str, str] | None:
    for field, text in texts:
        found = control_character(text)
        if found is not None:
            return field, found
    return None


class ControlCharacterGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope.get("path", "")
            found = _first_control(iter([("path", path)])) or _first_control(_fields(query))
            if found is not None:
                field, char = found
                detail = f"control character U+{ord(char):04X} is not allowed here"
                response = problem(
                    422,
                    "invalid-input",
                    "Invalid input",
                    f"invalid: {field}",
                    path.encode("unicode_escape").decode("ascii"),
                    errors=[{"field": field, "detail": detail}],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
