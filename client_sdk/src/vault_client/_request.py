"""What a resource method asks the transport for: a request description and a parser.

Resources only build these; the sync and async clients send them. That keeps the request
shape in one place for both clients.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from vault_client._constants import API_PREFIX
from vault_client._exceptions import ResponseValidationError
from vault_client._uploads import Multipart, RawUpload

T = TypeVar("T")

Params = Mapping[str, str | int | bool]
Parser = Callable[[httpx.Response], T]


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    method: str
    path: str  # absolute path on the server, query string excluded
    parse: Parser[T]
    params: Params | None = None
    json: Any = None  # already JSON-ready (built from a model's dump)
    form: Mapping[str, str] | None = None
    # A streamed file: multipart/form-data, or the raw file with its metadata in a header.
    upload: Multipart | RawUpload | None = None
    body: bytes | None = None  # a raw request body (a file as it is; give its Content-Type)
    headers: Mapping[str, str] = field(default_factory=dict)
    # Safe to send twice with the same effect; see _retry for what that allows.
    idempotent: bool = False
    authenticated: bool = True
    # A 401 is worth one fresh token and a second try (not for signing out: a fresh token
    # would only be signed out in its turn).
    reauthenticate: bool = True
    # Error statuses whose body is still the answer (the readiness probe's 503).
    accept: frozenset[int] = frozenset()


def api(path: str) -> str:
    return API_PREFIX + path


def segment(value: str) -> str:
    """A value made safe as one path segment."""
    return quote(value, safe="")


class HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


IdLike = uuid.UUID | str | HasId


def id_of(value: IdLike, what: str) -> uuid.UUID:
    """The UUID of a model, a UUID, or its text; anything else is refused before it can
    reach a URL."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValueError(f"{what} must be a UUID, got {value!r}") from None
    ident = getattr(value, "id", None)
    if isinstance(ident, uuid.UUID):
        return ident
    raise TypeError(f"{what} must be a UUID, its text, or a model with an id")


# Building a TypeAdapter costs a schema build: one per response type, made on first use.
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def parse_as(tp: type[T]) -> Parser[T]:
    """A parser that validates the JSON body as `tp` (a model, or list[model])."""
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS.setdefault(tp, TypeAdapter(tp))

    def parse(response: httpx.Response) -> T:
        try:
            result: T = adapter.validate_json(response.content)
        except ValidationError as exc:
            raise ResponseValidationError(response, exc) from exc
        return result

    return parse


def parse_text(response: httpx.Response) -> str:
    return response.text


def parse_none(response: httpx.Response) -> None:
    return None


def parse_bytes(response: httpx.Response) -> bytes:
    return response.content
