"""The complete OpenAPI contract, in one place.

FastAPI documents what a route returns when all goes well and its own 422. The API answers
more than that: every error is an RFC 9457 problem document sent as
`application/problem+json`, from the one table in `api.problems` and the middleware around
the routes. This module post-processes FastAPI's schema so that it says so, generically, by
what an operation has:

- every operation: 503 (the database or another dependency is down), and 429 but on the
  health probes (every caller is rate-limited: by account, or by address when signed out);
- a bearer token: 401 (no or bad token), 403 (not allowed);
- parameters or a body: 422 (invalid input); an id in the path: 404;
- a body: 400 (malformed), 413 (too large), 415 (wrong media type);
- a write (POST, PUT, PATCH, DELETE) behind a token: 409 (conflicts with what is recorded);
- a Range header: 416.

The token endpoint answers its errors in RFC 6749 §5.2 form (`application/json`, `error`,
`error_description`) instead. HTML pages answer their 404 as HTML.

It also gives identifier fields (wherever they appear) the patterns `vault.identifiers`
checks, the page cursors theirs, every free-text field of a request the control-character
rule of `vault.identifiers.plain_text`, and each JSON request body an example built from its
fields' examples.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from fastapi import FastAPI

from api.problems import PROBLEM_JSON
from vault.identifiers import CONTROL_FREE_PATTERN

JSON = "application/json"
PROBLEM_REF = "#/components/schemas/Problem"
OAUTH_ERROR_REF = "#/components/schemas/OAuthError"
TOKEN_PATH = "/api/v1/oauth/token"  # noqa: S105 - a path, not a secret
UNMETERED = frozenset({"/healthz", "/readyz", "/.well-known/jwks.json"})
WRITES = frozenset({"post", "put", "patch", "delete"})

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:vault:problem:invalid-input"]},
        "title": {"type": "string", "examples": ["Invalid input"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "examples": [422]},
        "detail": {"type": "string", "examples": ["invalid: identifier"]},
        "instance": {"type": "string", "examples": ["/api/v1/owners"]},
        "errors": {
            "type": "array",
            "description": "Each invalid field (422 only).",
            "items": {
                "type": "object",
                "required": ["field", "detail"],
                "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}

OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OAuthError",
    "description": "A token endpoint error (RFC 6749 §5.2).",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "string",
            "examples": ["invalid_client"],
            "description": "invalid_request, invalid_client, invalid_grant, "
            "unauthorized_client, unsupported_grant_type or invalid_scope",
        },
        "error_description": {"type": "string"},
    },
}

REASONS = {
    400: "Malformed request (the body is not what its media type says)",
    401: "No valid access token (or, for the token endpoint, client authentication failed)",
    403: "The caller may not do this",
    404: "No such resource, or none the caller may see",
    409: "Conflicts with what is already recorded",
    413: "The request or its file is too large",
    415: "Unsupported media type",
    416: "The range is outside the content",
    422: "Invalid input: the `errors` member names each field",
    429: "Too many requests: retry after `Retry-After` seconds",
    503: "A dependency (database, object store, signing or verification) is unavailable; "
    "retry later",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "The Bearer challenge", "schema": {"type": "string"}}
}

# -- identifier patterns ------------------------------------------------------------------

AGENCY = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}"
TAX_CODE = r"\d{10}(-\d{3})?"
PROCEDURE = r"^\d\.\d{6}$"
RESULT_CODE = r"^KQ\.G\d{2}\.\d{6}$"
# A cursor is a page's last id (16 bytes) in unpadded base64url; a search cursor is one byte
# of tier (0 or 1) and the id (vault.services.cursors, ocr.search).
CURSOR = r"^[A-Za-z0-9_-]{22}$"
SEARCH_CURSOR = r"^A[A-Za-f][A-Za-z0-9_-]{21}$"
NEXT_CURSOR = r"^([A-Za-z0-9_-]{22,23}|[0-9]{1,18})$"
_MONTH_DAYS = r"(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
DOSSIER = rf"^{AGENCY}-\d{{2}}{_MONTH_DAYS}-(?!0000)\d{{4}}$"


def personal_id_pattern(today: date) -> str:
    """Số định danh cá nhân as `vault.identifiers.personal_id` accepts it on `today`: a
    province 001-096, then the sex-and-century digit and a birth year not in the future."""
    province = r"(00[1-9]|0[1-8]\d|09[0-6])"
    year = today.year % 100
    tens, units = divmod(year, 10)
    # 2000s (digit 2 or 3) up to this year; the 1800s and 1900s (8, 9, 0, 1) always.
    earlier_decades = f"[0-{tens - 1}]\\d|" if tens else ""
    this_century = f"[23]({earlier_decades}{tens}[0-{units}])"
    return rf"^{province}([0189]\d\d|{this_century})\d{{6}}$"


def _patterns(today: date) -> dict[str, str]:
    """Pattern by property name, for every schema where the name appears."""
    citizen = personal_id_pattern(today)
    return {
        "identifier": rf"^({citizen[1:-1]}|{TAX_CODE})$",
        "dossier_code": DOSSIER,
        "procedure_code": PROCEDURE,
        "result_code": RESULT_CODE,
        "replacing_result_code": RESULT_CODE,
        "agency_code": rf"^{AGENCY}$",
        "issuer_agency_code": rf"^{AGENCY}$",
        "receiving_agency_code": rf"^{AGENCY}$",
        "next_cursor": NEXT_CURSOR,
    }


# Free text the services require to hold something besides spaces.
REQUIRED_TEXT = frozenset({"display_name", "title", "purpose", "name_vi", "component_name"})
REQUIRED_TEXT_PATTERN = (
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*"
    "[^\\s\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
    "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
)
# Query parameters, by name. A search needs a word or a number (ocr.search.parse_query).
PARAM_PATTERNS = {
    "month": r"^(?!0000)\d{4}-(0[1-9]|1[0-2])$",
    "q": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\W_]"
    "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$",
}
# The code in a certified copy's QR code (signing.issuing.certification: 128 random bits).
CERTIFIED_COPY_CODE = r"^[A-Za-z0-9_-]{16,43}$"
# The access log pages by audit sequence number.
ACCESS_LOG_CURSOR = r"^[0-9]{1,18}$"
# Values a request field takes, by name.
ENUMS = {"grant_type": ["client_credentials"]}

# Properties whose name alone does not say what they hold: (component, property).
COMPONENT_PATTERNS = {("ProcedureIO", "code"): PROCEDURE}
ITEM_PATTERNS = {"replacing_result_codes": RESULT_CODE}

# Request bodies whose fields carry no examples, by (method, path).
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/auth/login"): {"username": "tiepnhan", "password": "demo-password"},
    ("post", "/api/v1/auth/oidc"): {
        "id_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6InZuZWlkIn0.eyJzdWIiOiJ2bmVpZHxodW9uZyJ9.c2ln"
    },
    ("put", "/api/v1/procedures/{code}"): {
        "code": "1.001193",
        "name_vi": "Đăng ký khai sinh",
        "returns_result": True,
        "requirements": [
            {
                "paper_type": "marriage_certificate",
                "component_name": "Giấy chứng nhận kết hôn của cha mẹ",
                "replacing_result_codes": [],
            },
            {
                "paper_type": "chip_id_card",
                "component_name": "Giấy tờ tùy thân của người đi đăng ký",
                "replacing_result_codes": [],
            },
        ],
    },
    ("post", "/api/v1/documents/{document_id}/sign"): {"pin": "111111", "level": "B-T"},
}


# -- walking the schema -------------------------------------------------------------------


def _string_branches(prop: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The string schema(s) of a property: itself, or the string arms of an anyOf."""
    if prop.get("type") == "string":
        yield prop
    for arm in prop.get("anyOf", []):
        if arm.get("type") == "string":
            yield arm


def _is_free_text(s: dict[str, Any]) -> bool:
    return not any(k in s for k in ("pattern", "format", "enum", "const", "contentMediaType"))


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                yield path, method, op


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    found: dict[str, Any] = schema
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def _request_schemas(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every component schema a request body uses (directly or through a nested $ref)."""
    seen: set[str] = set()
    pending = [
        media["schema"]
        for _, _, op in _operations(schema)
        for media in op.get("requestBody", {}).get("content", {}).values()
        if "schema" in media
    ]
    while pending:
        node = pending.pop()
        ref = node.get("$ref")
        if ref:
            if ref in seen:
                continue
            seen.add(ref)
            node = _resolve(schema, node)
            yield node
        children = [*node.get("properties", {}).values(), *node.get("anyOf", [])]
        children += [*node.get("allOf", []), *node.get("oneOf", [])]
        if isinstance(node.get("items"), dict):
            children.append(node["items"])
        pending.extend(c for c in children if isinstance(c, dict))


# -- the steps ----------------------------------------------------------------------------


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": REASONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status == 401:
        response["headers"] = copy.deepcopy(WWW_AUTHENTICATE)
    if status in (429, 503):
        response["headers"] = copy.deepcopy(RETRY_AFTER)
    return response


def _body_properties(schema: dict[str, Any], op: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for media in op.get("requestBody", {}).get("content", {}).values():
        if "schema" in media:
            names |= set(_resolve(schema, media["schema"]).get("properties", {}))
    return names


def _statuses(schema: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> set[int]:
    params = op.get("parameters", [])
    body = op.get("requestBody", {}).get("content", {})
    fields = _body_properties(schema, op)
    statuses = {503}
    if path not in UNMETERED:
        statuses.add(429)
    if op.get("security"):
        statuses |= {401, 403}
        if method in WRITES:
            statuses.add(409)
    if method == "post" and "auth" in op.get("tags", []):
        statuses.add(401)  # sign-in with wrong credentials
    if any(name.endswith("_id") or name == "identifier" for name in fields):
        statuses.add(404)  # the body names something that does not exist (for the caller)
    if params or body:
        statuses.add(422)
    if any(p["in"] == "path" for p in params):
        statuses.add(404)
    if body:
        statuses |= {400, 413, 415}
    if any(p["in"] == "header" and p["name"].lower() == "range" for p in params):
        statuses.add(416)
    return statuses


def _is_html(op: dict[str, Any]) -> bool:
    ok = op.get("responses", {}).get("200", {}).get("content", {})
    return list(ok) == ["text/html"]


def _responses(schema: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    # Errors a route declares with a description only are problem documents too.
    declared_errors = {
        int(key)
        for key, response in responses.items()
        if key[0] in "45" and int(key) in REASONS and not response.get("content")
    }
    for status in sorted(_statuses(schema, path, method, op) | declared_errors):
        key = str(status)
        declared = responses.get(key)
        if path == TOKEN_PATH and status in (400, 401, 429):
            # RFC 6749 §5.2 errors; problem details where the request never reaches the
            # endpoint's own handling (body limits, validation).
            responses[key] = _problem(status)
            responses[key]["description"] = "RFC 6749 §5.2 error"
            responses[key]["content"][JSON] = {"schema": {"$ref": OAUTH_ERROR_REF}}
        elif _is_html(op) and status == 404:
            responses[key] = {
                "description": REASONS[404],
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        elif declared is None or key == "422" or not declared.get("content"):
            # FastAPI's own 422 says application/json and HTTPValidationError: never sent.
            described = declared.get("description") if declared and key != "422" else None
            responses[key] = _problem(status)
            if described:
                responses[key]["description"] = described


def _parameters(path: str, op: dict[str, Any], patterns: dict[str, str]) -> None:
    for param in op.get("parameters", []):
        s = param.get("schema", {})
        name = param["name"]
        for branch in _string_branches(s):
            if name == "cursor":
                branch["pattern"] = (
                    SEARCH_CURSOR
                    if path.endswith("/search")
                    else ACCESS_LOG_CURSOR
                    if path.endswith(("/access-log", "/sign-ins"))
                    else CURSOR
                )
            elif name == "code" and path.startswith("/api/v1/procedures/"):
                branch["pattern"] = PROCEDURE
            elif name == "code" and "/certified-copies/" in path:
                branch["pattern"] = CERTIFIED_COPY_CODE
            elif name in patterns:
                branch["pattern"] = patterns[name]
            elif name in PARAM_PATTERNS:
                branch["pattern"] = PARAM_PATTERNS[name]
            elif param["in"] in ("query", "path") and _is_free_text(branch):
                branch["pattern"] = CONTROL_FREE_PATTERN


def _component_patterns(schema: dict[str, Any], patterns: dict[str, str]) -> None:
    for component_name, component in schema.get("components", {}).get("schemas", {}).items():
        for name, prop in component.get("properties", {}).items():
            pattern = COMPONENT_PATTERNS.get((component_name, name), patterns.get(name))
            if pattern is not None:
                for branch in _string_branches(prop):
                    branch["pattern"] = pattern
            items = prop.get("items")
            if name in ITEM_PATTERNS and isinstance(items, dict):
                for branch in _string_branches(items):
                    branch["pattern"] = ITEM_PATTERNS[name]
    for component in _request_schemas(schema):
        for name, prop in component.get("properties", {}).items():
            for branch in _string_branches(prop):
                if name in ENUMS:
                    branch["enum"] = ENUMS[name]
                elif name in REQUIRED_TEXT and branch.get("pattern") in (
                    None,
                    CONTROL_FREE_PATTERN,
                ):
                    branch["pattern"] = REQUIRED_TEXT_PATTERN
                elif _is_free_text(branch):
                    branch["pattern"] = CONTROL_FREE_PATTERN


# For fields that carry no example of their own, by format.
FORMAT_EXAMPLES = {
    "uuid": "01940b7c-6a3e-7c1a-9d2e-3f4a5b6c7d8e",
    "date-time": "2025-01-15T09:00:00+07:00",
    "date": "2025-01-15",
}


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _owner_kinds(schema: dict[str, Any], today: date) -> None:
    """A citizen is registered by personal identification number, an organisation by tax
    code: the identifier's pattern depends on the kind."""
    owner = schema.get("components", {}).get("schemas", {}).get("OwnerCreate")
    if owner is None:
        return
    owner["oneOf"] = [
        {
            "properties": {
                "kind": {"const": "citizen"},
                "identifier": {"pattern": personal_id_pattern(today)},
            }
        },
        {
            "properties": {
                "kind": {"const": "organisation"},
                "identifier": {"pattern": rf"^{TAX_CODE}$"},
            }
        },
    ]


def _form_fields(schema: dict[str, Any]) -> None:
    """An empty form field counts as absent (FastAPI reads `a=` as no `a`): a required text
    field of a form takes at least one character."""
    for _, _, op in _operations(schema):
        for media_type, media in op.get("requestBody", {}).get("content", {}).items():
            if media_type not in FORMS or "schema" not in media:
                continue
            body = _resolve(schema, media["schema"])
            for name in body.get("required", []):
                for branch in _string_branches(body.get("properties", {}).get(name, {})):
                    if branch.get("format") != "binary":
                        branch.setdefault("minLength", 1)


def _example_value(schema: dict[str, Any], prop: dict[str, Any]) -> Any:
    prop = _resolve(schema, prop)
    if "examples" in prop:
        return prop["examples"][0]
    if "default" in prop and prop["default"] is not None:
        return prop["default"]
    if "enum" in prop:
        return prop["enum"][0]
    if prop.get("format") in FORMAT_EXAMPLES:
        return FORMAT_EXAMPLES[prop["format"]]
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        item = _example_value(schema, prop["items"])
        return None if item is None else [item]
    if prop.get("type") == "object" and "properties" in prop:
        return _object_example(schema, prop)
    for arm in prop.get("anyOf", []) + prop.get("allOf", []):
        value = _example_value(schema, arm)
        if value is not None:
            return value
    return None


def _object_example(schema: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    example = {
        name: value
        for name, prop in body.get("properties", {}).items()
        if (value := _example_value(schema, prop)) is not None
    }
    return example if set(body.get("required", [])) <= set(example) else None


def _body_examples(schema: dict[str, Any]) -> None:
    """An example for each JSON request body: from `EXAMPLES` where given, else one made
    from the examples of its fields."""
    for path, method, op in _operations(schema):
        media = op.get("requestBody", {}).get("content", {}).get(JSON)
        if media is None or "example" in media or "examples" in media:
            continue
        given = EXAMPLES.get((method, path))
        if given is not None:
            media["example"] = given
            continue
        example = _object_example(schema, _resolve(schema, media.get("schema", {})))
        if example is not None:
            media["example"] = example


def _token_request(schema: dict[str, Any]) -> None:
    """The token request as RFC 6749 §4.4 has it: `grant_type=client_credentials` and the
    officer the system acts for are required; the client authenticates with HTTP Basic
    (described, not a parameter: a bearer token there is ignored) or with the two fields."""
    op = schema.get("paths", {}).get(TOKEN_PATH, {}).get("post")
    if op is None:
        return
    op["parameters"] = [p for p in op.get("parameters", []) if p.get("name") != "authorization"]
    if "requestBody" in op:
        op["requestBody"]["required"] = True
    for media in op.get("requestBody", {}).get("content", {}).values():
        body = media.get("schema", {})
        if "$ref" in body:
            body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        properties = body.get("properties", {})
        for name, limit in (("officer", 64), ("client_id", 64), ("client_secret", 256)):
            for branch in _string_branches(properties.get(name, {})):
                branch["maxLength"] = limit
        if "grant_type" in properties:
            properties["grant_type"] = {"type": "string", "enum": ["client_credentials"]}
        body["required"] = sorted({*body.get("required", []), "grant_type", "officer"})


def complete(schema: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """FastAPI's schema, completed in place (and returned)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    components["OAuthError"] = copy.deepcopy(OAUTH_ERROR_SCHEMA)
    today = today or date.today()
    patterns = _patterns(today)
    for path, method, op in _operations(schema):
        _responses(schema, path, method, op)
        _parameters(path, op, patterns)
    readiness = schema.get("paths", {}).get("/readyz", {}).get("get")
    if readiness is not None:
        # The probe answers its own body, with each check's state, when it is not ready.
        readiness["responses"]["503"] = {
            "description": "Not ready: which dependency does not answer",
            "content": {JSON: {"schema": {"type": "object"}}},
        }
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    _component_patterns(schema, patterns)
    _form_fields(schema)
    _token_request(schema)
    _owner_kinds(schema, today)
    _body_examples(schema)
    return schema


def install(app: FastAPI) -> None:
    """Serves the completed contract at /openapi.json (and to /docs)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def contract() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(build())
        return app.openapi_schema

    app.openapi = contract  # type: ignore[method-assign]
