"""Helpers for the console's HTTP-level tests: officers with passwords, a browser-like client
that signs in through the real form, and HTML parsing (lxml) by the contract's hooks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from api import create_app
from tests.people import AGENCY, OTHER_AGENCY, People
from vault.auth import Role
from vault.runtime import Vault

PASSWORD = "console-test-password"
# username -> (agency, roles); made with passwords, since the console signs in with one.
OFFICERS: dict[str, tuple[str, tuple[Role, ...]]] = {
    "c_clerk": (AGENCY, (Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER)),
    "c_receiver": (AGENCY, (Role.RECEIVING_OFFICER,)),
    "c_verifier": (AGENCY, (Role.VERIFIER,)),
    "c_other": (OTHER_AGENCY, (Role.RECEIVING_OFFICER,)),
}
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def make_officers(vault: Vault, officers: dict[str, tuple[str, tuple[Role, ...]]]) -> None:
    with vault.uows() as uow:
        for username, (agency, roles) in officers.items():
            vault.auth.add_officer(
                uow,
                username=username,
                full_name=f"Cán bộ {username.removeprefix('c_').title()}",
                agency_code=agency,
                roles=list(roles),
                password=PASSWORD,
            )
        uow.commit()


def page(response: httpx.Response) -> Any:
    return lxml_html.fromstring(response.text)


def csrf_of(response: httpx.Response) -> str:
    m = _CSRF.search(response.text)
    assert m, "no csrf_token field on the page"
    return m[1]


@dataclass
class Browser:
    """One browser: its own cookie jar, signing in through the login form."""

    client: TestClient
    token: str = field(default="")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, follow_redirects=False, **kwargs)

    def csrf(self, path: str = "/console/owners") -> str:
        r = self.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:500])
        return csrf_of(r)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        files: Any = None,
        csrf_from: str | None = "/console/",
    ) -> httpx.Response:
        body = dict(data or {})
        if csrf_from is not None and "csrf_token" not in body:
            body["csrf_token"] = self.csrf(csrf_from)
        return self.client.post(path, data=body, files=files, follow_redirects=False)

    def sign_in(
        self, username: str, password: str = PASSWORD, *, next: str | None = None
    ) -> httpx.Response:
        r = self.get("/console/login")
        data = {"username": username, "password": password, "csrf_token": csrf_of(r)}
        if next is not None:
            data["next"] = next
        return self.client.post("/console/login", data=data, follow_redirects=False)


@dataclass
class Console:
    vault: Vault
    people: People
    app: Any

    def browser(self, username: str | None = None) -> Browser:
        # The app's lifespan runs once (in the fixture); each browser is a cookie jar.
        b = Browser(TestClient(self.app))
        if username is not None:
            r = b.sign_in(username)
            assert r.status_code == 303, r.text
        return b


@pytest.fixture(name="console")
def console_fixture(vault: Vault, people: People) -> Iterator[Console]:
    """Import it into a test module (`from tests.console.support import console_fixture`):
    this folder has no conftest of its own (tests/console/e2e has, for the browser tests)."""
    make_officers(vault, OFFICERS)
    app = create_app(vault=vault)
    with TestClient(app):
        yield Console(vault, people, app)


CSP_EXPECTED = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)
