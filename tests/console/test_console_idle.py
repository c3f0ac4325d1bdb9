"""The console's session: an idle timeout of its own (well above the 5-minute access token),
a maximum age, the page's warning settings, and the sign-in page that says the session
expired and goes back to where the officer was."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

from api.console.web import SESSION_MAX_SECONDS, open_session, seal_session
from tests.console.support import (  # noqa: F401 - console_fixture is a fixture
    Browser,
    Console,
    console_fixture,
    page,
)
from tests.factories import create_owner, png_bytes

HOST = "testserver.local"  # where TestClient's cookies live


def _cookie(b: Browser) -> str:
    value = b.client.cookies.get("console_session", domain=HOST)
    assert value
    return value


def _set_cookie(b: Browser, value: str) -> None:
    b.client.cookies.delete("console_session", domain=HOST)
    b.client.cookies.set("console_session", value, domain=HOST, path="/console")


def _session_aged(console: Console, b: Browser, *, idle: int, age: int | None = None) -> None:
    """The browser's own session cookie, as it would be after `idle` seconds without a
    request (sealed with the server's key, as the server seals it)."""
    session = open_session(console.vault, _cookie(b))
    now = int(time.time())
    value = seal_session(
        console.vault, session._replace(started=now - (age or idle), seen=now - idle)
    )
    _set_cookie(b, value)


def test_the_idle_timeout_is_well_above_five_minutes_and_configurable(console: Console) -> None:
    assert console.vault.settings.console_idle_seconds == 1800
    b = console.browser("c_receiver")
    doc = page(b.get("/console/owners"))
    assert doc.xpath("//meta[@name='console-idle-seconds']/@content") == ["1800"]
    assert doc.xpath("//meta[@name='console-warning-seconds']/@content") == ["120"]
    # The warning is on every page, hidden until the page's script shows it.
    warning = doc.get_element_by_id("session-warning")
    assert warning.get("hidden") is not None and warning.get("role") == "alert"
    assert doc.get_element_by_id("session-extend-form").get("action") == ("/console/session/extend")
    # Ten minutes without a request: twice the access token's life, still signed in.
    _session_aged(console, b, idle=600)
    r = b.get("/console/owners")
    assert r.status_code == 200
    # and the session's last use has moved on
    assert time.time() - open_session(console.vault, _cookie(b)).seen < 60


def test_after_the_timeout_sign_in_says_so_and_returns_to_the_page(console: Console) -> None:
    b = console.browser("c_receiver")
    _session_aged(console, b, idle=1801)
    r = b.get("/console/search")
    assert r.status_code == 303
    target = urlparse(r.headers["location"])
    assert target.path == "/console/login"
    assert parse_qs(target.query) == {"next": ["/console/search"], "expired": ["1"]}
    login = page(b.get(r.headers["location"]))
    notice = login.get_element_by_id("session-expired")
    assert "Phiên đăng nhập đã hết hạn" in notice.text_content()
    assert login.xpath("//input[@name='next']/@value") == ["/console/search"]
    again = b.sign_in("c_receiver", next="/console/search")
    assert again.status_code == 303 and again.headers["location"] == "/console/search"
    assert b.get("/console/search").status_code == 200
    # A plain sign-in page (no expiry) says nothing of the kind.
    assert page(b.get("/console/login")).xpath("//*[@id='session-expired']") == []


def test_a_session_ends_after_its_maximum_age_and_a_forged_one_is_no_session(
    console: Console,
) -> None:
    b = console.browser("c_receiver")
    _session_aged(console, b, idle=10, age=SESSION_MAX_SECONDS + 1)
    r = b.get("/console/owners")
    assert r.status_code == 303 and r.headers["location"].endswith("&expired=1")
    # A cookie whose seal does not match: not a session at all (no "expired" message).
    forged = console.browser("c_receiver")
    value = _cookie(forged)
    body, _, _ = value.rpartition(".")
    session_id, account, started, seen = body.split(".")
    tampered = f"{session_id}.{account}.{started}.{int(seen) + 10_000}.{'0' * 64}"
    _set_cookie(forged, tampered)
    r = forged.get("/console/owners")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Fowners"


def test_keep_working_extends_the_session(console: Console) -> None:
    b = console.browser("c_receiver")
    _session_aged(console, b, idle=1700)
    r = b.post("/console/session/extend", csrf_from=None, data={"csrf_token": _token(b)})
    assert r.status_code == 204
    assert time.time() - open_session(console.vault, _cookie(b)).seen < 60
    # without its CSRF token, no
    assert b.post("/console/session/extend", csrf_from=None).status_code == 403


def _token(b: Browser) -> str:
    """The form token of a page, read without a request that would move the session on."""
    from tests.console.support import csrf_of

    r = b.get("/console/login")
    return csrf_of(r)


def test_a_form_sent_after_the_timeout_comes_back_to_its_page(
    console: Console, client: TestClient
) -> None:
    owner_id = create_owner(client)
    b = console.browser("c_receiver")
    r = b.post(
        f"/console/owners/{owner_id}/dossiers",
        {"dossier_code": "", "procedure_code": "1.001193"},
        csrf_from=f"/console/owners/{owner_id}/dossiers/new",
    )
    dossier_page = r.headers["location"]
    token = _token(b)
    _session_aged(console, b, idle=1801)
    r = b.post(
        f"{dossier_page}/upload",
        {"paper_type": "chip_id_card", "csrf_token": token},
        files={"file": ("cccd.png", png_bytes(), "image/png")},
        csrf_from=None,
    )
    assert r.status_code == 303
    target = urlparse(r.headers["location"])
    assert parse_qs(target.query) == {"next": [dossier_page], "expired": ["1"]}
    with console.vault.uows() as uow:
        assert uow.dossiers.attachments(uuid.UUID(dossier_page.rsplit("/", 1)[1])) == []


def test_signing_out_ends_the_session_even_for_a_copied_cookie(console: Console) -> None:
    b = console.browser("c_receiver")
    copied = _cookie(b)
    assert b.post("/console/logout").status_code == 303
    # Someone who kept the cookie (another tab, a stolen copy) is signed out as well: the
    # session is ended in the database, for every API process.
    thief = console.browser("c_receiver")
    _set_cookie(thief, copied)
    r = thief.get("/console/owners")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login?next=")
    # and a new sign-in of the same officer opens a new session
    b.sign_in("c_receiver")
    assert b.get("/console/owners").status_code == 200
