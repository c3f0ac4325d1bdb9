"""Multipart uploads read only once the caller is authorised.

FastAPI parses a route's form parameters before it resolves any dependency, so a route
declaring `File()` reads (and spools) the whole upload before it knows who sent it. The
upload routes declare no body parameter: a dependency first resolves the caller and checks
what needs no body, then reads the stream here. The metadata fields come before the file in
every client we know (httpx and so the SDK, curl -F in the order given, browsers in form
order), so `before_file` runs on them before a byte of the file is written: the remaining
checks (a dossier's agency and state, the paper type) refuse a file that is never read. A
field sent after a file is refused (422): it could change a decision already taken.

Files go to a temporary file (in memory up to 4 MiB, so a typical scan never touches the
disk, then on disk), never whole in memory; text fields are limited to a few kilobytes each.

A raw upload (`read_raw_upload`) is the faster way in: the body is the file itself, and the
metadata comes first, as JSON in the `Document-Metadata` header, so it is checked before the
first byte of the body is read, in one step instead of two. No multipart framing to parse.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO, TypeVar, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from python_multipart.multipart import MultipartParser, parse_options_header

from vault import metrics
from vault.errors import InvalidInput

SPOOL_BYTES = 4 * 1024 * 1024
METADATA_HEADER = "Document-Metadata"
MAX_METADATA_BYTES = 8 * 1024
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

    cpu = 0.0  # this thread's CPU spent parsing and storing the body (not the awaits)
    try:
        async for chunk in request.stream():
            started = time.thread_time()
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
                            cpu += time.thread_time() - started
                            await before_file(form.fields)
                            started = time.thread_time()
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
            cpu += time.thread_time() - started
        parser.finalize()
        if not authorised:
            await before_file(form.fields)
    except BaseException:
        form.close()
        raise
    finally:
        metrics.upload_cpu_seconds.labels("receive").inc(cpu)
    return form


def is_multipart(request: Request) -> bool:
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    return bool(content_type == b"multipart/form-data")


def metadata_header(request: Request, model: type[M]) -> M:
    """The metadata of a raw upload: a JSON object in the `Document-Metadata` header, with
    the fields of the multipart form (validated by `model`, 422 as for a form). Header values
    are ASCII: other characters are sent as JSON `\\u` escapes (what `json.dumps` does)."""
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"application/x-www-form-urlencoded":
        raise _invalid(
            "body",
            "a form without a file: send multipart/form-data, or the file itself with the "
            f"metadata in the {METADATA_HEADER} header",
        )
    raw = request.headers.get(METADATA_HEADER)
    if raw is None:
        raise _invalid(
            METADATA_HEADER,
            f"send the metadata as a JSON object in the {METADATA_HEADER} header (or send "
            "multipart/form-data with the metadata as fields)",
        )
    if len(raw) > MAX_METADATA_BYTES:
        raise _invalid(METADATA_HEADER, f"at most {MAX_METADATA_BYTES} bytes")
    if not raw.isascii():
        raise _invalid(
            METADATA_HEADER, "send ASCII only: write other characters as JSON \\u escapes"
        )
    try:
        fields = json.loads(raw)
    except ValueError as exc:
        raise _invalid(METADATA_HEADER, f"not valid JSON: {exc}") from exc
    if not isinstance(fields, dict):
        raise _invalid(METADATA_HEADER, "a JSON object of the metadata fields")
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("header", *e["loc"])} for e in exc.errors()]
        ) from exc


async def read_raw_upload(request: Request, name: str) -> ReceivedFile:
    """The body of a raw upload, as it arrives, into a temporary file (in memory up to
    SPOOL_BYTES). The caller has authorised the upload already; the body size limit holds
    as for any body (413 the moment it is passed)."""
    content_type = request.headers.get("content-type", "")
    received = ReceivedFile(name, "", content_type)
    cpu = 0.0
    try:
        async for chunk in request.stream():
            started = time.thread_time()
            received.file.write(chunk)
            received.size += len(chunk)
            cpu += time.thread_time() - started
        received.file.seek(0)
    except BaseException:
        received.file.close()
        raise
    finally:
        metrics.upload_cpu_seconds.labels("receive").inc(cpu)
    return received


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
