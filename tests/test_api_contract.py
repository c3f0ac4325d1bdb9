"""The OpenAPI contract, fuzzed with schemathesis against the live API on PostgreSQL + S3.

Every check schemathesis has runs on every answer: no server error, no status the contract
does not list, no media type it does not declare, no body that breaks its schema, no valid
input refused and no invalid one accepted. Requests carry real access tokens of each role
(drawn per example) and of an owner; the database holds an owner, a paper and a dossier, so
that look-ups and listings answer with data, not only 404. Positive examples that name
something in their body (an owner, a paper, an agency, a procedure, a paper type) name one the
database holds: the schema cannot know its contents, and the services answer an unknown one
with 422 (see _repair; invalid references are the negative examples' business).

Left out, and why: the multipart uploads (documents, versions, certified copies, the public
verifier), whose random bytes are never a PDF or an image, so they would only exercise the
415 path that tests/test_api_documents.py and the verification tests cover with real files;
and the HTML page a certified copy's QR code opens, which is no API.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.generation.case import Case

from api import create_app, openapi
from signing.verify import Verifier
from tests.conftest import new_bucket, s3_store
from tests.factories import AGENCY, CITIZEN_ID, pdf_bytes
from tests.people import OFFICERS, People
from tests.support import postgres
from tests.support.live import serve
from tests.support.s3server import S3Server
from vault import identifiers
from vault.db import migrate
from vault.errors import InvalidInput
from vault.runtime import Vault
from vault.settings import Environment, Settings

ROLES = (*OFFICERS, "owner", "anonymous")
SEEDED: dict[str, str] = {}
# Bounded so that the whole contract runs in about a minute on two shared cores.
EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def live_api(s3_server: S3Server, test_verifier: Verifier) -> Iterator[tuple[str, People]]:
    url = postgres.create_database("vault_contract")
    migrate.upgrade(url)
    bucket = new_bucket(s3_server)
    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        storage_backend="s3",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=bucket,
        # The limiter has tests of its own; here it would turn most answers into 429.
        rate_limit_per_minute=10**9,
    )
    vault = Vault.from_settings(settings, blobs=s3_store(s3_server, bucket))
    people = People.make(vault)
    app = create_app(vault=vault)
    app.state.verifier = test_verifier
    try:
        with serve(app) as base:
            with httpx.Client(base_url=base, headers=people.auth("clerk")) as http:
                owner = http.post(
                    "/api/v1/owners",
                    json={
                        "kind": "citizen",
                        "identifier": CITIZEN_ID,
                        "display_name": "Nguyễn Thị Hương",
                    },
                ).json()
                paper = http.post(
                    f"/api/v1/owners/{owner['id']}/documents",
                    data={
                        "paper_type": "birth_certificate",
                        "title": "Giấy khai sinh",
                        "origin": "issued_result",
                    },
                    files={"file": ("gks.pdf", pdf_bytes(), "application/pdf")},
                )
                dossier = http.post(
                    "/api/v1/dossiers",
                    json={
                        "dossier_code": f"{AGENCY}-250115-0001",
                        "procedure_code": "1.001193",
                        "owner_id": owner["id"],
                        "received_at": "2025-01-15T09:00:00+07:00",
                    },
                )
                assert (paper.status_code, dossier.status_code) == (201, 201)
            people.owner_account(owner["id"], "huong")
            # What the database holds, for positive examples to refer to (see _repair).
            SEEDED.update(
                owner_id=owner["id"],
                document_id=paper.json()["id"],
                agency_code=AGENCY,
                procedure_code="1.001193",
                paper_type="birth_certificate",
            )
            yield base, people
    finally:
        vault.close()
        postgres.drop_database(url)


def _contract(base: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    return (
        schema.exclude(path_regex=r"^/public/")
        .exclude(path="/api/v1/owners/{owner_id}/documents", method="POST")
        .exclude(path="/api/v1/documents/{document_id}/versions", method="POST")
        .exclude(path="/api/v1/owners/{owner_id}/certified-copies", method="POST")
        .exclude(path="/api/v1/verifications", method="POST")
        # A scanned batch is the raw PDF/TIFF body (tests/test_api_imports.py sends real and
        # hostile ones): schemathesis has no serializer for those media types.
        .exclude(path="/api/v1/import-batches", method="POST")
    )


def _headers(people: People, role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    return people.auth("huong" if role == "owner" else role)


def _repair(case: Case) -> None:
    """Positive examples, made to obey what JSON Schema cannot say, each refused with 422
    otherwise: a reference in a body names something the database holds (an owner, a paper,
    an agency, a catalogue entry), and the rules between fields."""
    body = case.body if isinstance(case.body, dict) else {}
    for name, value in SEEDED.items():
        if name in body:
            body[name] = value
    if isinstance(body.get("paper_types"), list):
        body["paper_types"] = [SEEDED["paper_type"]]
    if case.method == "POST" and case.path == "/api/v1/dossiers" and "dossier_code" in body:
        # The receiving agency and the day received are those in the dossier code.
        code = body["dossier_code"]
        agency, day = code[:13], code[14:20]
        try:
            date(2000 + int(day[:2]), int(day[2:4]), int(day[4:6]))
        except ValueError:
            day = day[:4] + "28"
            body["dossier_code"] = f"{agency}-{day}-{code[-4:]}"
        if body.get("receiving_agency_code") is not None:
            body["receiving_agency_code"] = agency
        if body.get("received_at") is not None:
            body["received_at"] = f"20{day[:2]}-{day[2:4]}-{day[4:6]}T09:00:00+07:00"
    if case.method == "PUT" and case.path == "/api/v1/procedures/{code}" and "code" in body:
        body["code"] = (case.path_parameters or {}).get("code", body["code"])
    requirements = body.get("requirements")
    if isinstance(requirements, list) and requirements and isinstance(requirements[0], dict):
        # A requirement names a paper type of the catalogue, each at most once.
        body["requirements"] = [{**requirements[0], "paper_type": SEEDED["paper_type"]}]
    query = case.query or {}
    if case.path == "/api/v1/search" and query.get("from") and query.get("to"):
        # A range starts before it ends.
        query["from"], query["to"] = sorted((query["from"], query["to"]))


def _still_negative(case: Case) -> bool:
    """A negative example whose every mutation our call undoes is not negative any more: the
    role's real Authorization header replaces a generated one, and a query value of None or
    an empty list is not sent at all (the server then sees a valid request)."""
    phase = getattr(case.meta, "phase", None)
    mutations = getattr(getattr(phase, "data", None), "mutations", None) or ()
    query = case.query or {}
    for mutation in mutations:
        where = mutation.parameter_location.name.lower()
        name = mutation.parameter or ""
        if where == "header" and name.lower() == "authorization":
            continue
        if where == "query" and query.get(name) in (None, [], {}):
            continue
        return True
    return not mutations  # no record of what was mutated: trust the generator


def _fuzz(operation: Any, mode: GenerationMode, people: People) -> str | None:
    """Runs the examples of one operation in one mode; the first failure, or None."""

    @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report says enough
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case, role: str) -> None:
        if mode is GenerationMode.POSITIVE:
            _repair(case)
        elif not _still_negative(case):
            reject()
        case.call_and_validate(headers=_headers(people, role))

    try:
        run()
    except Unsatisfiable:
        return None  # nothing to make invalid: an operation without parameters or body
    except (Exception, BaseExceptionGroup) as failure:  # check failures, reported together
        return f"{operation.label} [{mode.value}]: {failure}"
    return None


def test_the_api_keeps_its_contract(live_api: tuple[str, People]) -> None:
    base, people = live_api
    failures = []
    operations = 0
    for result in _contract(base).get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, people)
            if failure is not None:
                failures.append(failure)
    assert operations > 30, "the contract lost its operations: this test would prove nothing"
    assert not failures, f"{len(failures)} operations break the contract:\n\n" + "\n\n".join(
        failures
    )


def test_every_error_is_documented_as_problem_details(live_api: tuple[str, People]) -> None:
    """The contract itself, read as a client would: each operation lists its errors, each
    error is problem+json (but the token endpoint's, RFC 6749), identifiers have patterns."""
    base, _ = live_api
    document = httpx.get(f"{base}/openapi.json").json()
    owners = document["paths"]["/api/v1/owners/{owner_id}"]["get"]["responses"]
    assert {"401", "403", "404", "422", "429", "503"} <= set(owners)
    assert set(owners["404"]["content"]) == {"application/problem+json"}
    token = document["paths"]["/api/v1/oauth/token"]["post"]["responses"]
    assert token["401"]["content"]["application/json"]["schema"]["$ref"].endswith("OAuthError")
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                media = set(response.get("content", {}))
                if path == "/api/v1/oauth/token" and status in ("400", "401", "429"):
                    assert "application/json" in media, (status, media)  # RFC 6749 §5.2
                elif status.startswith(("4", "5")) and path != "/readyz":  # its own report
                    assert media in ({"application/problem+json"}, {"text/html"}), (
                        method,
                        path,
                        status,
                        media,
                    )
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert "example" in body, (method, path)
    create = document["components"]["schemas"]["DossierCreate"]["properties"]
    assert create["dossier_code"]["pattern"].startswith("^")
    assert "pattern" in create["procedure_code"]


def test_the_identifier_patterns_say_what_the_validators_accept() -> None:
    """A pattern in the contract that disagreed with `vault.identifiers` would make clients
    send what the server refuses, or refuse what it takes."""
    today = date(2026, 12, 7)
    citizen = re.compile(openapi.personal_id_pattern(today))
    dossier = re.compile(openapi.DOSSIER)
    rng = random.Random(766)
    for _ in range(20_000):
        number = "".join(rng.choice("0123456789") for _ in range(12))
        if rng.random() < 0.5:  # most random numbers fail on the province: aim at the rest
            number = f"0{rng.randrange(100):02d}" + number[3:]
        assert bool(citizen.fullmatch(number)) == _accepts(
            lambda v: identifiers.personal_id(v, today=today), number
        ), number
        code = f"{AGENCY}-{rng.randrange(100):02d}{rng.randrange(14):02d}{rng.randrange(33):02d}"
        code += f"-{rng.choice(['0000', f'{rng.randrange(10_000):04d}'])}"
        # Every code the validator takes matches; the pattern cannot know that 30 February
        # is no day, which the validator refuses with 422.
        assert bool(dossier.fullmatch(code)) >= _accepts(identifiers.dossier_code, code), code


def _accepts(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except InvalidInput:
        return False
    return True
