"""Signing in to the console with OpenID Connect (authorization code + PKCE + nonce).

VNeID cannot be reached from here, so a small HTTP server plays the provider
(tests/support/oidc_provider.py). Everything on the vault's side is real: the console's
routes, the sealed flow cookie, the code exchange over HTTP, `vault.auth.oidc_login`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import create_app
from tests.conftest import Backend
from tests.console.support import console_fixture, page  # noqa: F401 - fixture
from tests.people import AGENCY, People
from tests.support.oidc_provider import CLIENT_ID, FakeIdentityProvider
from vault.runtime import Vault


@pytest.fixture
def provider() -> Iterator[FakeIdentityProvider]:
    idp = FakeIdentityProvider()
    yield idp
    idp.stop()


@pytest.fixture
def console_app(backend: Backend, provider: FakeIdentityProvider) -> Iterator[Any]:
    settings = backend.settings.model_copy(update=provider.settings)
    vault = Vault.from_settings(settings, blobs=backend.store)
    People.make(vault)
    with vault.uows() as uow:
        vault.auth.add_officer(
            uow,
            username="minh",
            full_name="Lê Văn Minh",
            agency_code=AGENCY,
            roles=[],
            oidc_subject="vneid-subject-42",
        )
        uow.commit()
    app = create_app(vault=vault)
    with TestClient(app):
        yield app
    vault.close()


def _start(browser: TestClient, next_path: str = "/console/search") -> tuple[str, dict[str, str]]:
    started = browser.get(f"/console/oidc/start?next={next_path}", follow_redirects=False)
    assert started.status_code == 303, started.text
    cookie = started.headers["set-cookie"]
    assert "console_oidc=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("samesite", "SameSite").replace("Lax", "lax")
    assert "Path=/console/oidc" in cookie
    location = started.headers["location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _at_provider(authorize_url: str) -> str:
    """The browser's visit to the provider: it answers with a redirect back to the vault."""
    r = httpx.get(authorize_url, follow_redirects=False)
    assert r.status_code == 302, r.text
    callback = urlsplit(r.headers["location"])
    return f"{callback.path}?{callback.query}"


def test_sign_in_through_the_provider(console_app: Any) -> None:
    browser = TestClient(console_app)
    login = browser.get("/console/login")
    assert page(login).get_element_by_id("oidc-login").get("href").startswith("/console/oidc/")
    url, query = _start(browser)
    assert url.startswith("http://127.0.0.1:")
    assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://testserver/console/oidc/callback"
    assert len(query["code_challenge"]) == 43 and query["state"] and query["nonce"]

    done = browser.get(_at_provider(url), follow_redirects=False)
    assert done.status_code == 200, done.text
    assert "console_session=" in done.headers["set-cookie"]
    assert 'http-equiv="refresh" content="0; url=/console/search"' in done.text
    home = browser.get("/console/", follow_redirects=False)
    assert home.status_code == 200
    assert "Lê Văn Minh" in page(home).get_element_by_id("whoami").text_content()

    # The code was single use and the flow cookie is gone: a replay signs nobody in.
    fresh = TestClient(console_app)
    replay = fresh.get(_callback_of(done), follow_redirects=False)
    assert replay.status_code == 401


def _callback_of(response: httpx.Response) -> str:
    # The request that produced `response` (the callback with its code and state).
    return f"{response.request.url.path}?{response.request.url.query.decode()}"


def test_a_state_that_does_not_match_is_refused(console_app: Any) -> None:
    browser = TestClient(console_app)
    url, _ = _start(browser)
    callback = _at_provider(url)
    forged = callback.replace("state=", "state=x")
    r = browser.get(forged, follow_redirects=False)
    assert r.status_code == 401
    assert page(r).get_element_by_id("login-error") is not None
    assert "console_session=" not in r.headers.get("set-cookie", "")


def test_a_code_injected_into_another_browser_is_useless(console_app: Any) -> None:
    # The attacker starts a flow in their own browser and lures the victim's browser to
    # the callback with the attacker's code and state: the victim has no matching cookie.
    attacker, victim = TestClient(console_app), TestClient(console_app)
    _start(victim)
    url, _ = _start(attacker)
    r = victim.get(_at_provider(url), follow_redirects=False)
    assert r.status_code == 401


def test_pkce_stops_a_code_issued_for_another_challenge(console_app: Any) -> None:
    browser = TestClient(console_app)
    url, query = _start(browser)
    # An authorization request altered on the way: same state, another challenge.
    altered = url.replace(query["code_challenge"], "A" * 43)
    r = browser.get(_at_provider(altered), follow_redirects=False)
    assert r.status_code == 401


def test_wrong_nonce_unknown_person_and_provider_errors_are_refused(
    console_app: Any, provider: FakeIdentityProvider
) -> None:
    browser = TestClient(console_app)
    provider.nonce_override = "a-nonce-from-another-sign-in"
    url, _ = _start(browser)
    assert browser.get(_at_provider(url), follow_redirects=False).status_code == 401

    provider.nonce_override = None
    provider.subject = "someone-without-an-account"
    url, _ = _start(browser)
    assert browser.get(_at_provider(url), follow_redirects=False).status_code == 401

    url, query = _start(browser)
    denied = browser.get(
        f"/console/oidc/callback?error=access_denied&state={query['state']}",
        follow_redirects=False,
    )
    assert denied.status_code == 401
    assert browser.get("/console/", follow_redirects=False).status_code == 303  # not signed in


def test_without_configuration_there_is_no_provider_button(console: Any) -> None:
    browser = console.browser()
    assert 'id="oidc-login"' not in browser.get("/console/login").text
    assert browser.get("/console/oidc/start").status_code == 404


def test_a_state_that_is_not_ascii_is_refused_not_a_crash(console_app: Any) -> None:
    browser = TestClient(console_app)
    _start(browser)
    r = browser.get("/console/oidc/callback?code=x&state=%C3%A9", follow_redirects=False)
    assert r.status_code == 401


def test_a_token_issued_to_another_client_is_refused(
    console_app: Any, provider: FakeIdentityProvider
) -> None:
    browser = TestClient(console_app)
    for claims in (
        {"aud": [CLIENT_ID, "another-app"]},  # several audiences and no azp
        {"aud": [CLIENT_ID, "another-app"], "azp": "another-app"},
        {"azp": "another-app"},
    ):
        provider.extra_claims = claims
        url, _ = _start(browser)
        r = browser.get(_at_provider(url), follow_redirects=False)
        assert r.status_code == 401, claims
    provider.extra_claims = {"aud": [CLIENT_ID, "another-app"], "azp": CLIENT_ID}
    url, _ = _start(browser)
    assert browser.get(_at_provider(url), follow_redirects=False).status_code == 200


def test_production_needs_a_registered_redirect_uri(provider: FakeIdentityProvider) -> None:
    from vault.settings import Environment, Settings

    production = {
        "env": Environment.PRODUCTION,
        "database_url": "postgresql+psycopg://vault@db/vault",
        "master_keys": {"k1": SecretStr("A" * 43 + "=")},
        "active_master_key_id": "k1",
    }
    with pytest.raises(ValueError, match="VAULT_OIDC_REDIRECT_URI"):
        Settings(**production, **provider.settings)
