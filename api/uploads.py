"""Multipart uploads read only once the caller is authorised.

FastAPI parses a route's form parameters before it resolves any dependency, so a route
declaring `File()` reads (and spools) the whole upload before it knows who sent it. The
upload routes declare no body parameter: a dependency first resolves the caller and checks
what needs no body, then reads the stream here. The metadata fields come before the file in
every client we know (httpx and so the SDK, curl -F in the order given, browsers in form
order), so `before_file` runs on them before a byte of the file is written: the remaining
checks (a dossier's agency and state, the paper type) refuse a file that is never read. A
field sent after a file is refused (422): it could change a decision already taken.

Files go to a temporary file (in memory up to 1 MiB, then on disk), never whole in memory;
text fields are limited to a few kilobytes each.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO, TypeVar, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from python_multipart.multipart import MultipartParser, parse_options_header

from vault.errors import InvalidInput

SPOOL_BYTES = 1024 * 1024
MAX_FIELD_BYTES = 16 * 1024
MAX_FIELDS = 64


@dataclass(eq=False)
class ReceivedFile:
    name: str
    filename: str
    content_type: str
    file: BinaryIO = field(default_factory=lambda: _spooled())
    size: int = 0


def _spooled() -> BinaryIO:
    # Closed by ReceivedForm.close(), when the request is done with it.
    return cast(BinaryIO, SpooledTemporaryFile(max_size=SPOOL_BYTES))


@dataclass
class ReceivedForm:
    """The text fields (the last value of each name) and the files, in the order sent."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)

    def files_named(self, name: str) -> list[ReceivedFile]:
        return [f for f in self.files if f.name == name]

    def close(self) -> None:
        for received in self.files:
            received.file.close()


BeforeFile = Callable[[Mapping[str, str]], Awaitable[None]]


def _invalid(name: str, detail: str) -> InvalidInput:
    return InvalidInput(name, detail)


async def read_multipart(
    request: Request,
    *,
    file_fields: frozenset[str],
    max_files: int,
    before_file: BeforeFile,
) -> ReceivedForm:
    """Reads a multipart/form-data body as it arrives; `before_file` gets the fields seen so
    far just before the first file's content is stored (or at the end if no file came)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _invalid("body", "send multipart/form-data")
    form = ReceivedForm()
    events: list[tuple[str, Any]] = []
    header_name = bytearray()
    header_value = bytearray()

    def on_header_end() -> None:
        events.append(("header", (bytes(header_name).lower(), bytes(header_value))))
        header_name.clear()
        header_value.clear()

    callbacks: Any = {
        "on_part_begin": lambda: events.append(("begin", None)),
        "on_part_data": lambda data, start, end: events.append(("data", data[start:end])),
        "on_part_end": lambda: events.append(("end", None)),
        "on_header_field": lambda data, start, end: header_name.extend(data[start:end]),
        "on_header_value": lambda data, start, end: header_value.extend(data[start:end]),
        "on_header_end": on_header_end,
    }
    parser = MultipartParser(boundary, callbacks)
    authorised = False
    headers: dict[bytes, bytes] = {}
    text: bytearray | None = None
    current: ReceivedFile | None = None
    name = ""

    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except Exception as exc:  # python-multipart's parse errors
                raise _invalid("body", f"malformed multipart body: {exc}") from exc
            for kind, value in events:
                if kind == "begin":
                    headers, text, current = {}, None, None
                elif kind == "header":
                    headers[value[0]] = value[1]
                    if value[0] == b"content-disposition":
                        name, filename = _disposition(value[1])
                        if filename is None and name not in file_fields:
                            if authorised:
                                raise _invalid(
                                    name,
                                    "send the fields before the file: they are checked "
                                    "before the file is read",
                                )
                            if len(form.fields) >= MAX_FIELDS:
                                raise _invalid("body", f"more than {MAX_FIELDS} fields")
                            text = bytearray()
                            continue
                        if name not in file_fields:
                            raise _invalid(name, "no file is expected in this field")
                        if len(form.files) >= max_files:
                            raise _invalid(name, f"at most {max_files} files")
                        if not authorised:
                            await before_file(form.fields)
                            authorised = True
                        current = ReceivedFile(name, filename or "", "")
                        form.files.append(current)
                elif kind == "data":
                    if current is not None:
                        current.file.write(value)
                        current.size += len(value)
                    elif text is not None:
                        text.extend(value)
                        if len(text) > MAX_FIELD_BYTES:
                            raise _invalid(name, f"a field is at most {MAX_FIELD_BYTES} bytes")
                    else:
                        raise _invalid("body", "a part without a Content-Disposition name")
                elif kind == "end":
                    if current is not None:
                        current.content_type = headers.get(b"content-type", b"").decode("latin-1")
                        current.file.seek(0)
                    elif text is not None:
                        try:
                            form.fields[name] = text.decode("utf-8")
                        except UnicodeDecodeError as exc:
                            raise _invalid(name, "a field must be UTF-8 text") from exc
                    current, text = None, None
            events.clear()
        parser.finalize()
        if not authorised:
            await before_file(form.fields)
    except BaseException:
        form.close()
        raise
    return form


def _disposition(value: bytes) -> tuple[str, str | None]:
    _, options = parse_options_header(value)
    raw_name = options.get(b"name")
    if raw_name is None:
        raise _invalid("body", 'every part needs a Content-Disposition "name"')
    raw_filename = options.get(b"filename")
    with contextlib.suppress(UnicodeDecodeError):
        return raw_name.decode("utf-8"), (
            raw_filename.decode("utf-8") if raw_filename is not None else None
        )
    raise _invalid("body", "part names must be UTF-8")


M = TypeVar("M", bound=BaseModel)


async def read_form_with_files(
    request: Request,
    model: type[M],
    *,
    file_field: str,
    max_files: int,
    before_file: Callable[[M], Awaitable[None]],
) -> AsyncIterator[tuple[M, list[ReceivedFile]]]:
    """An upload route's body, for a dependency to yield from: the fields validated by
    `model` and handed to `before_file` (which refuses before a byte of a file is stored),
    then the files sent in `file_field` (at least one: 422 without), closed when the request
    is done with them."""
    seen: list[M] = []

    async def check(fields: Mapping[str, str]) -> None:
        meta = form_model(model, fields)
        await before_file(meta)
        seen.append(meta)

    form = await read_multipart(
        request, file_fields=frozenset({file_field}), max_files=max_files, before_file=check
    )
    try:
        files = form.files_named(file_field)
        if not files:
            raise RequestValidationError(
                [{"type": "missing", "loc": ("body", file_field), "msg": "Field required"}]
            )
        yield seen[0], files
    finally:
        form.close()


def form_model(model: type[M], fields: Mapping[str, str]) -> M:
    """The fields validated by `model`, with FastAPI's 422 on failure. An empty field is an
    absent one, as FastAPI treats form fields."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v != ""})
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from exc


def multipart_body(
    model: type[BaseModel] | None, files: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """The OpenAPI requestBody of an upload route (which declares no FastAPI body): the
    fields of `model` (its definitions inlined) and the file fields."""
    schema: dict[str, Any] = model.model_json_schema() if model else {"properties": {}}
    definitions = schema.pop("$defs", {})
    properties = _inline(schema.get("properties", {}), definitions)
    properties.update(files)
    required = [*schema.get("required", []), *files]
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "required": required,
                    }
                }
            },
        }
    }


def _inline(node: Any, definitions: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {k: _inline(v, definitions) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, definitions) for v in node]
    return node
