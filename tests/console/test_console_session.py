"""Sign in and out, CSRF, security headers, the language toggle, not-signed-in redirects."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    CSP_EXPECTED,
    Console,
    console_fixture,
    csrf_of,
    page,
)
from vault.audit import Outcome


def test_sign_in_shows_who_and_sign_out_ends_the_session(console: Console) -> None:
    b = console.browser()
    r = b.get("/console/login")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    doc = page(r)
    assert doc.xpath("//html/@lang") == ["vi"]
    assert doc.xpath("//meta[@charset='utf-8']")
    assert doc.get_element_by_id("login-form").get("action") == "/console/login"
    for hook in ("username", "password", "login-submit"):
        assert doc.get_element_by_id(hook) is not None
    r = b.sign_in("c_clerk")
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    cookie = r.headers["set-cookie"]
    assert "console_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    home = b.get("/console/")
    assert home.status_code == 200
    who = page(home).get_element_by_id("whoami").text_content()
    assert "Cán bộ Clerk" in who and "000.00.15.H57" in who and "UBND phường Bến Nghé" in who
    assert "Cán bộ tiếp nhận" in who and "Cán bộ chứng thực" in who

    out = b.post("/console/logout")
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    again = b.get("/console/owners")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/console/login?next=")


def test_wrong_password_is_401_with_the_error(console: Console) -> None:
    b = console.browser()
    for username, password in [("c_clerk", "wrong"), ("nobody", "console-test-password")]:
        r = b.sign_in(username, password)
        assert r.status_code == 401
        error = page(r).get_element_by_id("login-error")
        assert error.get("role") == "alert" and "Sai tên đăng nhập" in error.text_content()
        assert "console_session=" not in r.headers.get("set-cookie", "")


def test_next_goes_back_to_the_page_asked_for_and_never_off_site(console: Console) -> None:
    b = console.browser()
    r = b.get("/console/owners")
    assert r.status_code == 303
    target = urlparse(r.headers["location"])
    assert target.path == "/console/login"
    assert parse_qs(target.query)["next"] == ["/console/owners"]
    form = b.get(r.headers["location"])
    assert page(form).xpath("//input[@name='next']/@value") == ["/console/owners"]
    signed = b.client.post(
        "/console/login",
        data={
            "username": "c_clerk",
            "password": "console-test-password",
            "next": "/console/owners",
            "csrf_token": csrf_of(form),
        },
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/console/owners"
    for evil in ("https://evil.example/", "//evil.example/console", "/api/v1/me"):
        r = console.browser().sign_in("c_clerk", next=evil)
        assert r.headers["location"] == "/console/"


def test_post_without_or_with_a_forged_csrf_token_is_403_and_changes_nothing(
    console: Console,
) -> None:
    b = console.browser("c_clerk")
    owners_before = _count_dossiers(console)
    # no token at all, a forged one, and one made for another browser's session
    other = console.browser("c_receiver")
    foreign = other.csrf()
    for token in (None, "0" * 64, foreign):
        data = {"identifier": "079203001234"}
        if token is not None:
            data["csrf_token"] = token
        r = b.post("/console/owners/lookup", data, csrf_from=None)
        assert r.status_code == 403
        assert page(r).get_element_by_id("csrf-error").get("role") == "alert"
    # a state-changing POST refused: no dossier is recorded
    owner_id = _register_owner(console)
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "", "procedure_code": "1.001193", "csrf_token": "f" * 64},
        csrf_from=None,
    )
    assert r.status_code == 403
    assert _count_dossiers(console) == owners_before
    # sign-in itself needs the token too (no login CSRF)
    anonymous = console.browser()
    r = anonymous.client.post(
        "/console/login",
        data={"username": "c_clerk", "password": "console-test-password"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    # and a token from before signing in is no good after it
    fresh = console.browser()
    before = fresh.csrf("/console/login")
    assert fresh.sign_in("c_clerk").status_code == 303
    r = fresh.post("/console/logout", {"csrf_token": before}, csrf_from=None)
    assert r.status_code == 403
    # logging out with a valid token works
    assert fresh.post("/console/logout").status_code == 303


def _register_owner(console: Console) -> str:
    from vault.domain import OwnerKind

    with console.vault.uows() as uow:
        owner, _ = console.vault.owners.register(
            uow,
            console.people.actor("clerk"),
            OwnerKind.CITIZEN,
            "079203001234",
            "Nguyễn Thị Hương",
        )
        uow.commit()
    return str(owner.id)


def _count_dossiers(console: Console) -> int:
    from sqlalchemy import text

    with console.vault.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM dossiers")).scalar_one())


def test_security_headers_on_every_console_response(console: Console) -> None:
    b = console.browser()
    responses = [
        b.get("/console/login"),  # a page
        b.get("/console/owners"),  # a redirect
        b.get("/console/static/console.css"),  # a static file
        b.get("/console/no-such-page"),  # not found
        b.post("/console/logout", {"csrf_token": "x"}, csrf_from=None),  # refused
    ]
    signed = console.browser("c_clerk")
    responses.append(signed.get("/console/owners"))
    for r in responses:
        assert r.headers["content-security-policy"] == CSP_EXPECTED, r.url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert responses[3].status_code == 404
    assert responses[3].headers["content-type"].startswith("text/html")
    assert responses[-1].headers["cache-control"] == "no-store"
    # no inline script or style anywhere (the CSP would block them)
    for r in (responses[0], responses[-1]):
        doc = page(r)
        assert not doc.xpath("//script[not(@src)]") and not doc.xpath("//style")
        assert not doc.xpath("//*[@style]")
        assert not [a for a in doc.xpath("//@*") if a.attrname.startswith("on")]


def test_language_toggle_switches_and_comes_back(console: Console) -> None:
    b = console.browser("c_clerk")
    r = b.get("/console/owners")
    doc = page(r)
    assert doc.xpath("//html/@lang") == ["vi"]
    assert "Tra cứu" in doc.get_element_by_id("lookup-submit").text_content()
    toggle = doc.get_element_by_id("lang-toggle").get("href")
    switched = b.get(toggle)
    assert switched.status_code == 303 and switched.headers["location"] == "/console/owners"
    assert "console_lang=en" in switched.headers["set-cookie"]
    en = page(b.get("/console/owners"))
    assert en.xpath("//html/@lang") == ["en"]
    assert en.get_element_by_id("lookup-submit").text_content().strip() == "Look up"
    back = b.get(en.get_element_by_id("lang-toggle").get("href"))
    assert back.headers["location"] == "/console/owners"
    assert page(b.get("/console/owners")).xpath("//html/@lang") == ["vi"]
    # the toggle never redirects off the console
    assert b.get("/console/lang?to=en&next=https://evil.example/").headers["location"] == (
        "/console/"
    )


def test_every_page_has_the_frame_hooks(console: Console) -> None:
    b = console.browser("c_clerk")
    for path in (
        "/console/",
        "/console/owners",
        "/console/verify",
        "/console/search",
        "/console/indicators",
        "/console/certify",
    ):
        for lang in ("vi", "en"):
            b.client.cookies.set("console_lang", lang)
            r = b.get(path)
            assert r.status_code == 200, (path, r.text[:300])
            doc = page(r)
            assert doc.xpath("//html/@lang") == [lang]
            for hook in (
                "whoami",
                "lang-toggle",
                "logout-form",
                "logout",
                "main-nav",
                "nav-owners",
                "nav-certify",
                "nav-verify",
                "nav-search",
                "nav-indicators",
            ):
                assert doc.get_element_by_id(hook) is not None, (path, hook)
            assert doc.xpath("//main") and doc.xpath("//nav") and doc.xpath("//header")
            # every form field has a label
            for field_id in doc.xpath("//input[not(@type='hidden')]/@id | //select/@id"):
                assert doc.xpath(f"//label[@for='{field_id}']"), (path, field_id)
    b.client.cookies.delete("console_lang")


def test_an_expired_or_forged_session_goes_back_to_sign_in(console: Console) -> None:
    b = console.browser()
    b.client.cookies.set("console_session", "not-a-token")
    r = b.get("/console/owners")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


def test_sign_in_is_audited_nowhere_but_reads_are(console: Console) -> None:
    # The console's reads go through the domain services: looking an owner up is audited.
    owner_id = _register_owner(console)
    b = console.browser("c_clerk")
    r = b.post(
        "/console/owners/lookup", {"identifier": "079203001234"}, csrf_from="/console/owners"
    )
    assert r.status_code == 303 and r.headers["location"] == f"/console/owners/{owner_id}"
    with console.vault.uows() as uow:
        entries = uow.audit.for_owner(__import__("uuid").UUID(owner_id), before_seq=None, limit=50)
    actions = [(e.action, e.outcome) for e in entries]
    assert ("owner.lookup", Outcome.OK) in actions


def test_cookies_are_secure_over_https(console: Console) -> None:
    from fastapi.testclient import TestClient

    b = console.browser()
    b.client = TestClient(console.app, base_url="https://testserver")
    r = b.sign_in("c_clerk")
    assert r.status_code == 303
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("console_session="))
    assert "Secure" in session and "HttpOnly" in session
    # a POST after the session ended goes to sign-in, back to the start page afterwards
    b.client.cookies.delete("console_session")
    r = b.post("/console/owners/lookup", {"identifier": "079203001234"}, csrf_from="/console/login")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2F"
