"""Every endpoint the API publishes has a typed, documented method in both clients.

A new endpoint without an SDK method fails the first test here: add the methods in both
clients, then its row below. Two kinds of paths are not the SDK's, on principle:

- HTML pages (an operation whose only success response is `text/html`): they are for
  people in a browser, and every one of them shows what a JSON endpoint the SDK covers
  already answers (the public certified-copy page is `certified_copies.lookup()`'s record,
  rendered). A typed client has nothing to parse in a page; it names the JSON endpoint.
- the officer web console under /console (HTML and form posts for a browser session).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import pytest
from vault_client import AsyncPaginator, AsyncVaultClient, VaultClient
from vault_client.resources._base import AsyncResource, SyncResource

from api import create_app

# (method, path) in the OpenAPI document -> the SDK methods that call it.
ENDPOINTS: dict[tuple[str, str], list[str]] = {
    ("GET", "/healthz"): ["health.alive"],
    ("GET", "/readyz"): ["health.ready"],
    ("GET", "/.well-known/jwks.json"): ["auth.jwks"],
    ("POST", "/api/v1/oauth/token"): ["auth.client_credentials"],
    ("GET", "/api/v1/retention/rules"): ["retention.rules"],
    ("POST", "/api/v1/documents/{document_id}/corrections"): ["retention.correct"],
    ("PUT", "/api/v1/retention/rules/{paper_type}"): ["retention.set_rule"],
    ("GET", "/api/v1/documents/{document_id}/retention"): ["retention.of_document"],
    ("DELETE", "/api/v1/documents/{document_id}"): ["retention.delete_document"],
    ("GET", "/api/v1/retention/holds"): ["retention.holds"],
    ("POST", "/api/v1/retention/holds"): ["retention.place_hold"],
    ("POST", "/api/v1/retention/holds/{hold_id}/lift"): ["retention.lift_hold"],
    ("POST", "/api/v1/retention/disposals"): ["retention.request_disposal"],
    ("GET", "/api/v1/retention/disposals"): ["retention.disposals"],
    ("GET", "/api/v1/retention/disposals/{batch_id}"): ["retention.disposal"],
    ("POST", "/api/v1/retention/disposals/{batch_id}/decision"): ["retention.decide"],
    ("GET", "/api/v1/retention/disposals/{batch_id}/record"): ["retention.record"],
    ("POST", "/api/v1/auth/login"): ["auth.login"],
    ("POST", "/api/v1/auth/oidc"): ["auth.oidc"],
    ("GET", "/api/v1/me"): ["auth.me"],
    ("POST", "/api/v1/auth/logout"): ["auth.logout"],
    ("GET", "/api/v1/me/sign-ins"): ["auth.sign_ins"],
    ("POST", "/api/v1/officers/{username}/disable"): ["admin.disable_officer"],
    ("POST", "/api/v1/officers/{username}/enable"): ["admin.enable_officer"],
    ("POST", "/api/v1/clients/{client_id}/disable"): ["admin.disable_client"],
    ("POST", "/api/v1/clients/{client_id}/enable"): ["admin.enable_client"],
    ("POST", "/api/v1/owners"): ["owners.create"],
    ("POST", "/api/v1/owners/lookup"): ["owners.lookup"],
    ("GET", "/api/v1/owners/{owner_id}"): ["owners.get"],
    ("POST", "/api/v1/owners/{owner_id}/documents"): ["documents.upload"],
    ("GET", "/api/v1/owners/{owner_id}/documents"): ["documents.list"],
    ("GET", "/api/v1/documents/{document_id}"): ["documents.get"],
    ("GET", "/api/v1/documents/{document_id}/versions"): ["documents.versions"],
    ("POST", "/api/v1/documents/{document_id}/versions"): ["documents.new_version"],
    ("GET", "/api/v1/documents/{document_id}/content"): [
        "documents.download",
        "documents.stream",
    ],
    ("POST", "/api/v1/dossiers"): ["dossiers.create"],
    ("GET", "/api/v1/owners/{owner_id}/dossiers"): ["dossiers.list"],
    ("GET", "/api/v1/dossiers/{dossier_id}"): ["dossiers.get"],
    ("POST", "/api/v1/dossiers/{dossier_id}/close"): ["dossiers.close"],
    ("POST", "/api/v1/dossiers/{dossier_id}/return"): ["dossiers.mark_returned"],
    ("GET", "/api/v1/sync/status"): ["portal_sync.status"],
    ("GET", "/api/v1/sync/dead-letters"): ["portal_sync.dead_letters"],
    ("POST", "/api/v1/sync/dead-letters/replay"): ["portal_sync.replay"],
    ("GET", "/api/v1/sync/reconciliation"): ["portal_sync.reconciliation"],
    ("GET", "/api/v1/dossiers/{dossier_id}/documents"): ["dossiers.attachments"],
    ("POST", "/api/v1/dossiers/{dossier_id}/results"): ["dossiers.add_result"],
    ("GET", "/api/v1/dossiers/{dossier_id}/reuse"): ["reuse.needed_papers"],
    ("POST", "/api/v1/dossiers/{dossier_id}/documents"): ["reuse.attach"],
    ("POST", "/api/v1/dossiers/{dossier_id}/peer-documents"): ["reuse.take_from_peer"],
    ("GET", "/api/v1/paper-types"): ["catalogue.paper_types"],
    ("GET", "/api/v1/procedures"): ["catalogue.procedures"],
    ("GET", "/api/v1/procedures/{code}"): ["catalogue.procedure"],
    ("PUT", "/api/v1/procedures/{code}"): ["catalogue.put_procedure"],
    ("GET", "/api/v1/jobs/{job_id}"): ["jobs.get"],
    ("POST", "/api/v1/jobs/{job_id}/cancel"): ["jobs.cancel"],
    ("POST", "/api/v1/separator-sheets"): ["imports.separator_sheets"],
    ("POST", "/api/v1/import-batches"): ["imports.submit"],
    ("GET", "/api/v1/import-batches"): ["imports.batches"],
    ("GET", "/api/v1/import-batches/{batch_id}"): ["imports.get", "imports.wait"],
    ("GET", "/api/v1/import-parts"): ["imports.parts"],
    ("GET", "/api/v1/import-parts/{part_id}"): ["imports.part"],
    ("PATCH", "/api/v1/import-parts/{part_id}"): ["imports.correct"],
    ("GET", "/api/v1/import-parts/{part_id}/pages/{index}"): ["imports.page_image"],
    ("POST", "/api/v1/import-parts/{part_id}/approve"): ["imports.approve"],
    ("POST", "/api/v1/import-parts/{part_id}/reject"): ["imports.reject"],
    ("POST", "/api/v1/import-parts/{part_id}/rotate"): ["imports.rotate"],
    ("POST", "/api/v1/import-parts/{part_id}/split"): ["imports.split"],
    ("POST", "/api/v1/import-parts/{part_id}/merge"): ["imports.merge"],
    ("POST", "/api/v1/exports"): ["exports.request"],
    ("GET", "/api/v1/exports"): ["exports.list"],
    ("GET", "/api/v1/exports/{export_id}"): ["exports.get", "exports.wait"],
    ("POST", "/api/v1/exports/{export_id}/link"): ["exports.link"],
    ("GET", "/api/v1/export-downloads/{token}"): ["exports.download"],
    ("GET", "/api/v1/documents/{document_id}/proof-bundle"): ["proofs.bundle"],
    ("GET", "/api/v1/public/proof-status/{document_id}"): ["proofs.status"],
    ("GET", "/api/v1/indicators"): ["indicators.monthly", "indicators.monthly_csv"],
    ("POST", "/api/v1/me/consents"): ["consents.create"],
    ("GET", "/api/v1/me/consents"): ["consents.list"],
    ("POST", "/api/v1/me/consents/{consent_id}/revoke"): ["consents.revoke"],
    ("GET", "/api/v1/me/consents/{consent_id}/receipt"): ["consents.receipt"],
    ("GET", "/api/v1/me/access-log"): ["access_log.list"],
    ("POST", "/api/v1/documents/{document_id}/sign"): ["signatures.sign"],
    ("POST", "/api/v1/owners/{owner_id}/certified-copies"): ["certified_copies.issue"],
    ("POST", "/api/v1/owners/{owner_id}/certified-copies/refusals"): ["certified_copies.refuse"],
    ("GET", "/api/v1/certified-copies/refusal-reasons"): ["certified_copies.refusal_reasons"],
    ("GET", "/api/v1/public/certified-copies/{code}"): ["certified_copies.lookup"],
    ("POST", "/api/v1/verifications"): ["verifications.verify", "verifications.verify_etsi_xml"],
    ("GET", "/api/v1/documents/{document_id}/verification"): [
        "verifications.verify_document",
        "verifications.verify_document_etsi_xml",
    ],
    ("GET", "/api/v1/search"): ["search.documents"],
    ("GET", "/api/v1/documents/{document_id}/ocr"): ["ocr.status", "ocr.wait"],
    ("GET", "/api/v1/documents/{document_id}/text"): ["ocr.text"],
    ("GET", "/api/v1/documents/{document_id}/searchable-copy"): ["ocr.download_searchable_copy"],
}
RESOURCES = sorted({name.split(".")[0] for names in ENDPOINTS.values() for name in names})

# The officer web console (being built under /console) is a browser application with its
# own session: not part of the SDK, whatever its pages and form posts are.
CONSOLE_PREFIX = "/console"


def _html_only(operation: dict[str, Any]) -> bool:
    """An HTML page: every success response of the operation is text/html."""
    success = [r for code, r in operation.get("responses", {}).items() if code.startswith("2")]
    types = {media for r in success for media in r.get("content", {})}
    return bool(types) and types == {"text/html"}


def _operations() -> set[tuple[str, str]]:
    """The API's operations the SDK must cover: all but HTML pages and the console."""
    paths = create_app().openapi()["paths"]
    return {
        (method.upper(), path)
        for path, item in paths.items()
        if not (path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/"))
        for method, operation in item.items()
        if not _html_only(operation)
    }


def test_every_published_endpoint_has_an_sdk_method() -> None:
    published = _operations()
    assert sorted(published - ENDPOINTS.keys()) == [], "endpoints without an SDK method"
    assert sorted(ENDPOINTS.keys() - published) == []  # nothing mapped that is gone


def test_html_pages_are_left_out_by_what_they_serve_not_by_name() -> None:
    paths = create_app().openapi()["paths"]
    pages = {
        (method.upper(), path)
        for path, item in paths.items()
        for method, operation in item.items()
        if _html_only(operation) and not path.startswith(CONSOLE_PREFIX)
    }
    # The public certified-copy page, whose JSON twin is certified_copies.lookup().
    assert ("GET", "/public/certified-copies/{code}") in pages
    assert all(not path.startswith("/api/") for _, path in pages)


def _method(client: type[Any], dotted: str) -> Callable[..., Any]:
    resource_name, method_name = dotted.split(".")
    resource_type = typing.get_type_hints(getattr(client, resource_name).func)["return"]
    method: Callable[..., Any] = getattr(resource_type, method_name)
    return method


@pytest.mark.parametrize("dotted", sorted({n for names in ENDPOINTS.values() for n in names}))
def test_both_clients_have_it_and_the_async_one_awaits(dotted: str) -> None:
    sync = _method(VaultClient, dotted)
    asynchronous = _method(AsyncVaultClient, dotted)
    assert not inspect.iscoroutinefunction(sync)
    returns = typing.get_type_hints(asynchronous)["return"]
    awaited = inspect.iscoroutinefunction(asynchronous)
    paginated = typing.get_origin(returns) is AsyncPaginator
    context = dotted == "documents.stream"  # an async context manager
    assert awaited or paginated or context, dotted
    # The same parameters, in the same order, with the same types.
    assert list(inspect.signature(sync).parameters) == list(
        inspect.signature(asynchronous).parameters
    )
    sync_hints = typing.get_type_hints(sync)
    async_hints = typing.get_type_hints(asynchronous)
    assert {k: v for k, v in sync_hints.items() if k != "return"} == {
        k: v for k, v in async_hints.items() if k != "return"
    }


def _mentions_any(tp: object) -> bool:
    if tp is Any:
        return True
    return any(_mentions_any(arg) for arg in typing.get_args(tp))


def _public_methods() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for base in (SyncResource, AsyncResource):
        for cls in base.__subclasses__():
            for name, member in vars(cls).items():
                if not name.startswith("_") and callable(member):
                    found.append((f"{cls.__name__}.{name}", member))
    for cls in (VaultClient, AsyncVaultClient):
        for name, member in vars(cls).items():
            if not name.startswith("_") and callable(member):
                found.append((f"{cls.__name__}.{name}", member))
    return found


@pytest.mark.parametrize(
    ("name", "method"), [pytest.param(n, m, id=n) for n, m in _public_methods()]
)
def test_public_methods_are_documented_and_typed_without_any(
    name: str, method: Callable[..., Any]
) -> None:
    assert inspect.getdoc(method), f"{name} has no docstring"
    hints = typing.get_type_hints(method)
    assert "return" in hints, name
    untyped = [p for p in inspect.signature(method).parameters if p != "self" and p not in hints]
    assert untyped == [], name
    assert not any(_mentions_any(t) for t in hints.values()), f"{name} exposes Any"


def test_the_resources_are_the_same_on_both_clients() -> None:
    def resources(cls: type[Any]) -> set[str]:
        return {n for n, v in vars(cls).items() if hasattr(v, "func") and not n.startswith("_")}

    assert resources(VaultClient) == resources(AsyncVaultClient)
    assert set(RESOURCES) <= resources(VaultClient)
