"""Throttled sign-ins, revoked tokens, switching accounts off and on, on both backends.

"Another API process" is a second Vault on the same database and object store: its own
engine, connection pool and memory, so only what is in the database is shared.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import update

from api import create_app
from tests.conftest import Backend
from tests.console.support import Browser, Console, console_fixture  # noqa: F401
from tests.people import AGENCY, OTHER_AGENCY, People
from tests.support.oidc_provider import CLIENT_ID, FakeIdentityProvider
from tests.test_atomicity import settings_env
from tests.test_auth import add_client, oauth_error
from tests.test_cli import vault_cli
from vault.auth.throttle import ThrottlePolicy
from vault.db.auth_models import SignInThrottleRow
from vault.domain import AuditEntry
from vault.runtime import Vault

PASSWORD = "correct horse battery"
VIETNAM = timezone(timedelta(hours=7))


# Every process of one deployment signs and verifies with the same configured keys.
TOKEN_KEYS = {
    "token_signing_keys": {
        "k1": SecretStr(
            Ed25519PrivateKey.generate()
            .private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            .decode()
        )
    },
    "active_token_key_id": "k1",
}


@contextmanager
def api_process(backend: Backend, **settings: Any) -> Iterator[tuple[Vault, TestClient]]:
    """One API process over the test's database and store."""
    configured = backend.settings.model_copy(update={**TOKEN_KEYS, **settings})
    vault = Vault.from_settings(configured, blobs=backend.store)
    try:
        with TestClient(create_app(vault=vault)) as client:
            yield vault, client
    finally:
        vault.close()


def add_officer(vault: Vault, username: str = "lan", *, oidc_subject: str | None = None) -> None:
    with vault.uows() as uow:
        vault.auth.add_officer(
            uow,
            username=username,
            full_name="Trần Thị Lan",
            agency_code=AGENCY,
            roles=[],
            password=PASSWORD,
            oidc_subject=oidc_subject,
        )
        uow.commit()


def login(client: TestClient, password: str, username: str = "lan") -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit(vault: Vault, **match: object) -> list[AuditEntry]:
    with vault.uows() as uow:
        entries = list(uow.audit.iter_all())
    return [e for e in entries if all(getattr(e, k) == v for k, v in match.items())]


def age_throttle(vault: Vault, subject: str, seconds: float) -> None:
    """Moves a subject's failures (and lockout) `seconds` into the past: time passing."""
    row = SignInThrottleRow
    with vault.uows() as uow:
        state = uow.auth_state.throttle(subject)
        assert state is not None
        shift = timedelta(seconds=seconds)
        uow.session.execute(
            update(row)
            .where(row.subject == subject)
            .values(
                last_failure_at=state.last_failure_at - shift,
                locked_until=state.locked_until - shift if state.locked_until else None,
            )
        )
        uow.commit()


def test_forty_wrong_passwords_then_the_right_one_is_refused(backend: Backend) -> None:
    # A first wait of 10 s rather than 1 s: on a loaded machine one failed sign-in (Argon2,
    # the audit commit) can outlast a 1 s backoff, and the next attempt would be heard.
    with api_process(backend, signin_first_backoff_seconds=10) as (vault, client):
        People.make(vault)
        add_officer(vault)
        answers = [login(client, f"guess-{n}") for n in range(40)]
        assert [a.status_code for a in answers[:5]] == [401] * 5
        # From the sixth on, each attempt waits for the backoff: refused unheard.
        assert {a.status_code for a in answers[5:]} == {429}
        right = login(client, PASSWORD)
        assert right.status_code == 429, right.text
        assert int(right.headers["retry-after"]) >= 1
        assert right.json()["type"].endswith("rate-limited")
        # An unknown username is held back the same way: nothing tells which names exist.
        unknown = [login(client, "x", username="nobody").status_code for _ in range(7)]
        assert unknown == [401] * 5 + [429, 429]

        # Every refusal of the known account is audited with it; the unknown name is not.
        account_id = str(_account_id(vault, "lan"))
        denied = audit(vault, actor_id=account_id, action="auth.login", outcome="denied")
        assert len(denied) == 41
        assert sum(e.detail == "wrong password" for e in denied) == 5
        assert not audit(vault, actor_name="nobody")

        # Once the backoff has passed, the right password signs in and clears the count.
        age_throttle(vault, "user:lan", 11)
        ok = login(client, PASSWORD)
        assert ok.status_code == 200, ok.text
        with vault.uows() as uow:
            assert uow.auth_state.throttle("user:lan") is None


def test_the_backoff_doubles_from_its_first_wait_up_to_its_cap() -> None:
    default = ThrottlePolicy()
    assert [default.backoff(n) for n in range(4, 9)] == [0.0, 1.0, 2.0, 4.0, 8.0]
    slow = ThrottlePolicy(first_backoff_seconds=10, max_backoff_seconds=60)
    assert [slow.backoff(n) for n in range(5, 10)] == [10.0, 20.0, 40.0, 60.0, 60.0]


def _account_id(vault: Vault, username: str) -> uuid.UUID:
    with vault.uows() as uow:
        account = uow.accounts.by_username(username)
    assert account is not None
    return account.id


LOCK_FAST = {"signin_free_failures": 10, "signin_lock_after": 4}


def test_lockout_is_shared_across_processes_audited_and_shown_to_the_account(
    backend: Backend,
) -> None:
    with (
        api_process(backend, **LOCK_FAST) as (one, first),
        api_process(backend, **LOCK_FAST) as (_two, second),
    ):
        People.make(one)
        add_officer(one)
        earlier = one.auth.token_for(_account(one, "lan")).token  # a session from before
        # Failures sent to two processes add up: the count is in the database.
        codes = [login(c, "wrong").status_code for c in (first, second, first, second)]
        assert codes == [401, 401, 401, 401]
        for client in (first, second):
            locked = login(client, PASSWORD)
            assert locked.status_code == 429
            assert 890 <= int(locked.headers["retry-after"]) <= 900
            assert "locked out" in locked.json()["detail"]

        lockouts = audit(one, action="auth.lockout")
        assert [e.actor_id for e in lockouts] == [str(_account_id(one, "lan"))]

        # The account sees its failures and the lockout (here through the earlier session).
        mine = second.get("/api/v1/me/sign-ins", headers=bearer(earlier))
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert body["throttle"]["failures"] == 4
        assert body["throttle"]["locked_until"] is not None
        actions = [(i["action"], i["outcome"]) for i in body["items"]]
        assert ("auth.lockout", "denied") in actions
        assert actions.count(("auth.login", "denied")) == 6  # 4 wrong, 2 while locked
        # Someone else does not see them.
        other = second.get("/api/v1/me/sign-ins", headers=_auth(one, "clerk"))
        assert other.json() == {"throttle": None, "items": [], "next_cursor": None}

        # After the lockout, the right password works again.
        age_throttle(one, "user:lan", 901)
        assert login(second, PASSWORD).status_code == 200


def _account(vault: Vault, username: str) -> Any:
    with vault.uows() as uow:
        return uow.accounts.by_username(username)


def _auth(vault: Vault, username: str) -> dict[str, str]:
    return bearer(vault.auth.token_for(_account(vault, username)).token)


def test_client_credentials_are_throttled_per_client_id(backend: Backend) -> None:
    with api_process(backend, **LOCK_FAST) as (vault, client):
        People.make(vault)
        client_id, secret = add_client(vault)
        other_id, other_secret = add_client(vault)

        def token(cid: str, sec: str) -> Any:
            data = {"grant_type": "client_credentials", "officer": "receiver"}
            return client.post(
                "/api/v1/oauth/token",
                data={**data, "client_id": cid, "client_secret": sec},
            )

        for _ in range(4):
            oauth_error(token(client_id, "wrong"), 401, "invalid_client")
        locked = token(client_id, secret)
        assert "locked out" in oauth_error(locked, 429, "slow_down")
        assert int(locked.headers["retry-after"]) >= 890
        # Another client of the same agency is not held back.
        assert token(other_id, other_secret).status_code == 200
        entries = audit(vault, client_id=client_id, outcome="denied")
        assert [e.action for e in entries].count("auth.lockout") == 1
        assert {e.detail for e in entries} >= {"wrong client secret"}


@pytest.fixture
def oidc() -> Iterator[FakeIdentityProvider]:
    provider = FakeIdentityProvider()
    yield provider
    provider.stop()


def test_an_account_locked_out_is_locked_for_openid_connect_too(
    backend: Backend, oidc: FakeIdentityProvider
) -> None:
    settings = {
        "oidc_issuer": oidc.issuer,
        "oidc_jwks_url": f"{oidc.issuer}/jwks",
        "oidc_audience": CLIENT_ID,
        **LOCK_FAST,
    }
    with api_process(backend, **settings) as (vault, client):
        People.make(vault)
        add_officer(vault, oidc_subject="vneid-lan")

        def exchange(**claims: Any) -> Any:
            body = {"id_token": oidc.id_token("vneid-lan", **claims)}
            return client.post("/api/v1/auth/oidc", json=body)

        assert exchange().status_code == 200
        # A token issued to another client of the provider names the account: a failure.
        for _ in range(4):
            assert exchange(aud=[CLIENT_ID, "other"], azp="other").status_code == 401
        refused = exchange()
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 890
        # ... and the password path is the same account: locked as well.
        assert login(client, PASSWORD).status_code == 429
        denied = audit(vault, action="auth.oidc", outcome="denied")
        assert {e.actor_id for e in denied} == {str(_account_id(vault, "lan"))}


def test_sign_out_revokes_the_token_in_every_process(backend: Backend) -> None:
    with api_process(backend) as (one, first), api_process(backend) as (_two, second):
        People.make(one)
        add_officer(one)
        token = login(first, PASSWORD).json()["access_token"]
        kept = login(first, PASSWORD).json()["access_token"]
        assert second.get("/api/v1/me", headers=bearer(token)).status_code == 200
        out = first.post("/api/v1/auth/logout", headers=bearer(token))
        assert out.status_code == 204, out.text
        for client in (first, second):
            refused = client.get("/api/v1/me", headers=bearer(token))
            assert refused.status_code == 401
            assert "revoked" in refused.json()["detail"]
        # Only that token: the account's other session goes on.
        assert second.get("/api/v1/me", headers=bearer(kept)).status_code == 200
        lan = str(_account_id(one, "lan"))
        assert audit(one, actor_id=lan, action="auth.sign_out", outcome="ok")
        refusals = audit(one, actor_id=lan, action="auth.token_refused")
        assert len(refusals) == 2 and all("sign-out" in (e.detail or "") for e in refusals)
        # Signing out twice, or with a token that is no good, changes nothing.
        assert first.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 401
        assert one.auth.sign_out("not.a.token") is False


def test_administrator_disables_and_re_enables_an_officer(backend: Backend) -> None:
    with api_process(backend) as (one, first), api_process(backend) as (_two, second):
        people = People.make(one)
        add_officer(one)
        client_id, secret = add_client(one)
        before = login(first, PASSWORD).json()["access_token"]
        by_client = first.post(
            "/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "officer": "lan",
            },
        ).json()["access_token"]

        # Only an administrator of the officer's own agency may.
        for who in ("clerk", "other_clerk"):
            no = first.post("/api/v1/officers/lan/disable", headers=people.auth(who))
            assert no.status_code == 403, (who, no.text)
        assert len(audit(one, action="account.disable", outcome="denied")) == 2
        missing = first.post("/api/v1/officers/nobody/disable", headers=people.auth("admin"))
        assert missing.status_code == 404
        off = first.post("/api/v1/officers/lan/disable", headers=people.auth("admin"))
        assert off.status_code == 200, off.text
        assert off.json() == {"username": "lan", "active": False}

        for token in (before, by_client):
            assert second.get("/api/v1/me", headers=bearer(token)).status_code == 401
        assert login(second, PASSWORD).status_code == 401
        refusals = audit(one, actor_id=str(_account_id(one, "lan")), outcome="denied")
        assert {e.action for e in refusals} >= {"auth.token_refused", "auth.login"}

        on = second.post("/api/v1/officers/lan/enable", headers=people.auth("admin"))
        assert on.json() == {"username": "lan", "active": True}
        # The tokens issued before the officer was disabled stay revoked until they expire.
        for token in (before, by_client):
            assert first.get("/api/v1/me", headers=bearer(token)).status_code == 401
        fresh = login(first, PASSWORD)
        assert fresh.status_code == 200
        me = second.get("/api/v1/me", headers=bearer(fresh.json()["access_token"]))
        assert me.status_code == 200
        switched = audit(one, outcome="ok", actor_name="Admin")
        assert [e.action for e in switched] == ["account.disable", "account.enable"]
        assert {e.detail for e in switched} == {"account lan"}


def test_administrator_disables_and_re_enables_an_agency_system(backend: Backend) -> None:
    with api_process(backend) as (vault, client):
        people = People.make(vault)
        client_id, secret = add_client(vault)
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "officer": "receiver",
        }
        token = client.post("/api/v1/oauth/token", data=form).json()["access_token"]
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

        other_admin = client.post(
            f"/api/v1/clients/{client_id}/disable", headers=people.auth("other_clerk")
        )
        assert other_admin.status_code == 403
        off = client.post(f"/api/v1/clients/{client_id}/disable", headers=people.auth("admin"))
        assert off.json() == {"client_id": client_id, "agency_code": AGENCY, "active": False}
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
        oauth_error(client.post("/api/v1/oauth/token", data=form), 401, "invalid_client")

        client.post(f"/api/v1/clients/{client_id}/enable", headers=people.auth("admin"))
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401  # revoked
        again = client.post("/api/v1/oauth/token", data=form)
        assert again.status_code == 200
        me = client.get("/api/v1/me", headers=bearer(again.json()["access_token"]))
        assert me.json()["client_id"] == client_id
        # The officer the client acted for is not affected by the client's switch.
        assert client.get("/api/v1/me", headers=people.auth("receiver")).status_code == 200


def test_role_denials_and_refused_dossier_creations_are_audited(
    client: TestClient, vault: Vault, people: People
) -> None:
    owner = client.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": "079203001234", "display_name": "Hương"},
    ).json()
    people.owner_account(owner["id"], "huong")
    # An auditor may not register owners: a role denial, audited with who tried.
    refused = client.post(
        "/api/v1/owners",
        headers=people.auth("auditor"),
        json={"kind": "citizen", "identifier": "079203001235", "display_name": "Lan"},
    )
    assert refused.status_code == 403
    roles = audit(vault, action="role.denied")
    assert [(e.actor_name, e.outcome, e.role) for e in roles] == [("Auditor", "denied", "auditor")]

    today = datetime.now(VIETNAM).strftime("%y%m%d")
    for who, agency in (("issuer", AGENCY), ("receiver", OTHER_AGENCY)):
        # The issuer lacks the receiving role; the receiver names another agency's code.
        r = client.post(
            "/api/v1/dossiers",
            headers=people.auth(who),
            json={
                "dossier_code": f"{agency}-{today}-0001",
                "procedure_code": "1.001193",
                "owner_id": owner["id"],
            },
        )
        assert r.status_code == 403, r.text
    denied = audit(vault, action="dossier.create", outcome="denied")
    assert [(e.actor_name, str(e.owner_id)) for e in denied] == [
        ("Issuer", owner["id"]),
        ("Receiver", owner["id"]),
    ]
    # The owner sees both attempts in their access log.
    log = client.get("/api/v1/me/access-log", headers=people.auth("huong")).json()["items"]
    attempts = [(i["who"], i["outcome"]) for i in log if i["action"] == "dossier.create"]
    assert sorted(attempts) == [("Issuer", "denied"), ("Receiver", "denied")]


def test_the_accounts_command_switches_officers_and_clients(
    backend: Backend, repo_root: Path
) -> None:
    with api_process(backend) as (vault, client):
        People.make(vault)
        add_officer(vault)
        client_id, secret = add_client(vault)
        token = login(client, PASSWORD).json()["access_token"]
        env = settings_env(backend.settings)

        off = vault_cli(["accounts", "disable", "officer", "lan"], env, repo_root)
        assert off.returncode == 0, off.stderr
        assert json.loads(off.stdout) == {"username": "lan", "active": False}
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
        assert login(client, PASSWORD).status_code == 401
        on = vault_cli(["accounts", "enable", "officer", "lan"], env, repo_root)
        assert json.loads(on.stdout) == {"username": "lan", "active": True}
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401  # revoked
        assert login(client, PASSWORD).status_code == 200

        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "officer": "receiver",
        }
        assert (
            vault_cli(["accounts", "disable", "client", client_id], env, repo_root).returncode == 0
        )
        assert client.post("/api/v1/oauth/token", data=form).status_code == 401
        assert (
            vault_cli(["accounts", "enable", "client", client_id], env, repo_root).returncode == 0
        )
        assert client.post("/api/v1/oauth/token", data=form).status_code == 200

        missing = vault_cli(["accounts", "disable", "officer", "nobody"], env, repo_root)
        assert missing.returncode == 2 and "no such account" in missing.stderr
        switched = audit(vault, actor_name="vault command")
        assert [e.action for e in switched] == [
            "account.disable",
            "account.enable",
            "client.disable",
            "client.enable",
        ]


def test_console_sign_out_ends_the_session_for_a_copied_cookie(console: Console) -> None:
    browser = console.browser("c_clerk")
    cookie = browser.client.cookies.get("console_session")
    assert cookie
    # The console's cookie seals a session, not an access token: it opens no API route.
    api = TestClient(console.app)
    assert api.get("/api/v1/me", headers=bearer(cookie)).status_code == 401
    assert browser.post("/console/logout").status_code == 303
    # The session is ended in the database: a copy of the cookie opens nothing, in any process.
    thief = Browser(TestClient(console.app))
    thief.client.cookies.set("console_session", cookie)
    assert thief.get("/console/owners").status_code == 303  # back to the sign-in page
    signed_out = audit(console.vault, action="auth.sign_out")
    assert [e.actor_name for e in signed_out] == ["Cán bộ Clerk"]


def test_console_sign_in_is_throttled_like_the_api(console: Console) -> None:
    browser = console.browser()
    wrong = [browser.sign_in("c_clerk", "wrong").status_code for _ in range(5)]
    assert wrong == [401] * 5
    held = browser.sign_in("c_clerk")  # the right password, too soon
    assert held.status_code == 429
    assert int(held.headers["retry-after"]) >= 1
    assert "console_session=" not in held.headers.get("set-cookie", "")
