"""Tokens: who may get one, and every way a bad one is refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import Backend
from tests.people import AGENCY, People
from tests.support.oidc_provider import CLIENT_ID, FakeIdentityProvider
from vault.errors import InvalidInput
from vault.runtime import Vault


def add_client(vault: Vault, agency: str = AGENCY) -> tuple[str, str]:
    with vault.uows() as uow:
        pair = vault.auth.add_client(uow, name="One-stop system", agency_code=agency)
        uow.commit()
    return pair


def test_client_credentials_act_for_an_officer_of_the_same_agency(
    anonymous: TestClient, vault: Vault, people: People
) -> None:
    client_id, secret = add_client(vault)
    r = anonymous.post(
        "/api/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "officer": "receiver",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 3600
    me = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["agency_code"] == AGENCY
    assert me.json()["client_id"] == client_id
    assert me.json()["roles"] == ["receiving_officer"]
    # HTTP Basic client authentication works too.
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    r = anonymous.post(
        "/api/v1/oauth/token",
        headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "client_credentials", "officer": "issuer"},
    )
    assert r.status_code == 200


def oauth_error(r: Any, status: int, error: str) -> str:
    """An RFC 6749 §5.2 error: its status, `error` code and description; never cached."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    return str(body["error_description"])


def test_client_credentials_refusals(anonymous: TestClient, vault: Vault, people: People) -> None:
    client_id, secret = add_client(vault)

    def ask(**fields: str) -> Any:
        data = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "officer": "receiver",
            **fields,
        }
        return anonymous.post("/api/v1/oauth/token", data=data)

    wrong = ask(client_secret="wrong")
    oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    oauth_error(ask(client_id="cl_nobody"), 401, "invalid_client")
    # A token of agency A naming agency B's officer is refused.
    assert "own agency" in oauth_error(ask(officer="other_receiver"), 400, "unauthorized_client")
    oauth_error(ask(officer="nobody"), 400, "unauthorized_client")
    oauth_error(ask(grant_type="password"), 400, "unsupported_grant_type")
    oauth_error(ask(officer="x" * 65), 400, "invalid_request")
    missing = anonymous.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    oauth_error(missing, 400, "invalid_request")
    oauth_error(anonymous.post("/api/v1/oauth/token", data={}), 400, "invalid_request")
    oauth_error(anonymous.post("/api/v1/oauth/token", json={}), 400, "invalid_request")
    no_client = anonymous.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"})
    oauth_error(no_client, 401, "invalid_client")
    basic = {"Authorization": "Basic !!!not-base64"}
    bad_basic = anonymous.post(
        "/api/v1/oauth/token", headers=basic, data={"grant_type": "client_credentials"}
    )
    oauth_error(bad_basic, 401, "invalid_client")
    # The refusals of a known client are audited with it.
    with vault.uows() as uow:
        denied = [e for e in uow.audit.iter_all() if e.client_id == client_id]
    assert {e.detail for e in denied} >= {
        "wrong client secret",
        "a client may act only for officers of its own agency",
        "no such active officer",
    }
    assert {e.outcome for e in denied} == {"denied"}


def test_local_login(anonymous: TestClient, vault: Vault, people: People) -> None:
    with vault.uows() as uow:
        vault.auth.add_officer(
            uow,
            username="lan",
            full_name="Trần Thị Lan",
            agency_code=AGENCY,
            roles=[],
            password="correct horse",
        )
        uow.commit()
    ok = anonymous.post("/api/v1/auth/login", json={"username": "lan", "password": "correct horse"})
    assert ok.status_code == 200
    bad = anonymous.post("/api/v1/auth/login", json={"username": "lan", "password": "wrong"})
    assert bad.status_code == 401
    nobody = anonymous.post("/api/v1/auth/login", json={"username": "x", "password": "wrong"})
    assert nobody.status_code == 401
    assert bad.json()["detail"] == nobody.json()["detail"]  # no account enumeration


def claims_for(people: People, name: str, vault: Vault) -> dict[str, Any]:
    return dict(vault.auth.tokens.verify(people.token(name)))


@pytest.mark.parametrize(
    "case",
    [
        "none",
        "forged",
        "expired",
        "wrong_audience",
        "wrong_issuer",
        "tampered",
        "garbage",
        "unknown_kid",
        "hs256_with_public_key",
    ],
)
def test_bad_tokens_are_refused(
    anonymous: TestClient, vault: Vault, people: People, case: str
) -> None:
    claims = claims_for(people, "clerk", vault)
    kid = vault.auth.tokens.keys.active_kid
    if case == "none":
        token = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    elif case == "forged":
        token = jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
        )
    elif case == "unknown_kid":
        token = jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "someone-else"}
        )
    elif case == "garbage":
        token = "not.a.token"
    elif case == "tampered":
        head, body, sig = people.token("receiver").split(".")
        payload = json.loads(base64.urlsafe_b64decode(body + "=="))
        payload["roles"] = ["administrator"]
        new_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        token = f"{head}.{new_body}.{sig}"
    elif case == "hs256_with_public_key":
        # Key confusion: HMAC keyed with the (public) verification key. Built by hand, since
        # PyJWT refuses to make one.
        import hashlib
        import hmac

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).decode().rstrip("=")

        public = vault.auth.tokens.keys.jwks()["keys"][0]["x"].encode()
        signing_input = (
            b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
            + "."
            + b64(json.dumps(claims).encode())
        )
        mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{b64(mac)}"
    else:
        now = int(time.time())
        changed = {
            "expired": {"exp": now - 60, "iat": now - 400, "nbf": now - 400},
            "wrong_audience": {"aud": "another-service"},
            "wrong_issuer": {"iss": "https://evil.example"},
        }[case]
        token = vault.auth.tokens.keys.sign({**claims, **changed})
    r = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, (case, r.text)
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["type"].endswith("unauthenticated")


def test_no_token_and_wrong_scheme(anonymous: TestClient) -> None:
    assert anonymous.get("/api/v1/me").status_code == 401
    basic = {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}
    assert anonymous.get("/api/v1/me", headers=basic).status_code == 401
    assert (
        anonymous.post("/api/v1/owners/lookup", json={"identifier": "079203001234"}).status_code
        == 401
    )


def test_a_token_naming_another_agency_is_refused(
    anonymous: TestClient, vault: Vault, people: People
) -> None:
    claims = claims_for(people, "receiver", vault)
    claims["agency"] = "000.00.16.H57"  # validly signed, but not the officer's agency
    token = vault.auth.tokens.keys.sign(claims)
    r = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_jwks_publishes_the_verification_key(anonymous: TestClient, vault: Vault) -> None:
    keys = anonymous.get("/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in keys] == [vault.auth.tokens.keys.active_kid]
    assert {k["kty"] for k in keys} == {"OKP"}
    assert all("d" not in k for k in keys)  # never the private part


def test_rate_limit_answers_429_with_retry_after(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"rate_limit_per_minute": 30})
    vault = Vault.from_settings(settings, blobs=backend.store)
    people = People.make(vault)
    with TestClient(create_app(vault=vault), headers=people.auth("clerk")) as client:
        codes = [client.get("/api/v1/me").status_code for _ in range(8)]
        assert codes[:3] == [200, 200, 200]
        assert 429 in codes
        limited = client.get("/api/v1/me")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        # Another client is not held back by this one.
        assert client.get("/api/v1/me", headers=people.auth("auditor")).status_code == 200
    vault.close()


@pytest.fixture
def oidc() -> Iterator[FakeIdentityProvider]:
    """VNeID cannot be reached from here: a small HTTP server plays the provider."""
    provider = FakeIdentityProvider()
    yield provider
    provider.stop()


def test_openid_connect_sign_in(backend: Backend, oidc: FakeIdentityProvider) -> None:
    settings = backend.settings.model_copy(
        update={
            "oidc_issuer": oidc.issuer,
            "oidc_jwks_url": f"{oidc.issuer}/jwks",
            "oidc_audience": CLIENT_ID,
        }
    )
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
    with TestClient(create_app(vault=vault)) as client:
        ok = client.post("/api/v1/auth/oidc", json={"id_token": oidc.id_token("vneid-subject-42")})
        assert ok.status_code == 200, ok.text
        me = client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {ok.json()['access_token']}"}
        )
        assert me.json()["name"] == "Lê Văn Minh"
        for bad in [
            oidc.id_token("unknown-subject"),
            oidc.id_token("vneid-subject-42", aud="other-app"),
            oidc.id_token("vneid-subject-42", iss="https://evil"),
            oidc.id_token("vneid-subject-42", exp=int(time.time()) - 100),
        ]:
            assert client.post("/api/v1/auth/oidc", json={"id_token": bad}).status_code == 401
    vault.close()


def test_an_oidc_link_without_a_configured_provider_is_refused(
    vault: Vault, people: People
) -> None:
    with vault.uows() as uow, pytest.raises(InvalidInput) as refused:
        vault.auth.add_officer(
            uow,
            username="minh",
            full_name="Lê Văn Minh",
            agency_code=AGENCY,
            roles=[],
            oidc_subject="vneid-subject-42",
        )
    assert refused.value.field == "oidc_subject"
