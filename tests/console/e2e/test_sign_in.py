"""Signing in to the console: the redirect to the login page, a wrong password, the header
that says who is working for which agency, the language toggle, and signing out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.people import AGENCY

from .support import AGENCY_NAME, FULL_NAMES, PASSWORD, Console, submit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]


def test_sign_in_wrong_password_then_right_and_switch_language(
    page: Page, context: BrowserContext, console: Console
) -> None:
    # Not signed in: sent to the login page, remembering where to come back to.
    response = page.goto("/console/owners")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/console/login\?next=(%2F|/)console(%2F|/)owners$"))
    headers = response.all_headers()
    assert "text/html" in headers["content-type"]
    assert "charset=utf-8" in headers["content-type"].lower()
    policy = headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in policy, policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("form#login-form input[name=csrf_token]")).to_have_count(1)
    console.shot(page, "login")

    page.locator("#username").fill("receiver")
    page.locator("#password").fill("not-the-password")
    response = submit(page, page.locator("#login-submit"))
    assert response.status == 401
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(page.locator("#whoami")).to_have_count(0)

    page.locator("#username").fill("receiver")
    page.locator("#password").fill(PASSWORD)
    response = submit(page, page.locator("#login-submit"))
    assert response.status == 200
    expect(page).to_have_url(re.compile(r"/console/owners$"))  # back where it was going
    whoami = page.locator("#whoami")
    expect(whoami).to_contain_text(FULL_NAMES["receiver"])
    expect(whoami).to_contain_text(AGENCY_NAME)
    expect(whoami).to_contain_text(AGENCY)
    expect(whoami).to_contain_text(re.compile("tiếp nhận", re.IGNORECASE))
    session = next(c for c in context.cookies() if c["name"] == "console_session")
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    for hook in ("nav-owners", "nav-verify", "nav-search", "nav-indicators"):
        expect(page.locator(f"nav#main-nav a#{hook}")).to_have_count(1)
    # Certification is a certifying officer's: a receiving officer is not offered it.
    expect(page.locator("nav#main-nav a#nav-certify")).to_have_count(0)

    # English, on the same page, and back to Vietnamese.
    page.locator("a#lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/console/owners$"))
    expect(page.locator("#whoami")).to_contain_text(re.compile("receiving", re.IGNORECASE))
    expect(page.locator("#whoami")).to_contain_text(AGENCY_NAME)
    page.locator("a#lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page).to_have_url(re.compile(r"/console/owners$"))

    # Signing out ends the session: the console asks to sign in again.
    submit(page, page.locator("form#logout-form button#logout"))
    page.goto("/console/owners")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    expect(page.locator("#whoami")).to_have_count(0)


def test_sign_in_with_vneid_through_openid_connect(page: Page, console: Console) -> None:
    # The provider (a stand-in server) has the officer signed in already and consents at
    # once: the browser goes there and back by itself, and lands where it was heading.
    page.goto("/console/search")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.click("#oidc-login")
    expect(page).to_have_url(re.compile(r"/console/search$"))
    expect(page.locator("#whoami")).to_contain_text("Đỗ Thị Định Danh")
    expect(page.locator("#search-form")).to_be_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["console_session"]["httpOnly"] is True
    assert "console_oidc" not in cookies  # the flow's cookie is gone once used
