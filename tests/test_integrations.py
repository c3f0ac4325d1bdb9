"""The outbound integrations against stand-in servers, over real loopback connections:
every fault a peer can show (down, slow, refusing, repeating, restarting) and what the
adapters promise in return (safe retries only, idempotent deliveries, clean logs)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.standins import (
    Fail,
    Garble,
    PeerVaultStandIn,
    PortalStandIn,
    Refuse,
    RepeatAcks,
    Restart,
    ShuffleAcks,
    Stall,
)
from tests.standins.portal import sample_payload
from vault.integrations import (
    DossierEvent,
    IntegrationProtocolError,
    IntegrationRefused,
    IntegrationUnavailable,
    RetryPolicy,
    ReuseRequest,
    Timeouts,
    config,
)
from vault.integrations.auth import BearerToken, PrivateKeyJwt, SigningKey
from vault.integrations.base import ClientAuth
from vault.integrations.http import HttpCaller, parse_retry_after
from vault.integrations.peer import HttpPeerVault
from vault.integrations.portal import EVENTS_PATH, HttpNationalPortal
from vault.settings import Settings

CITIZEN_ID = "079203001234"
CLIENT_ID = "vault-hcm"
FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2, deadline=10)
SHORT = Timeouts(connect=1, read=2, write=2)


def events(dossier: str = "000.00.15.H57-241207-0001", count: int = 3) -> list[DossierEvent]:
    return [
        DossierEvent(uuid.uuid4(), dossier, n, "received", sample_payload(dossier))
        for n in range(1, count + 1)
    ]


def portal_for(
    standin: PortalStandIn,
    *,
    auth: ClientAuth | None = None,
    policy: RetryPolicy = FAST,
    timeouts: Timeouts = SHORT,
    sleep: Any = time.sleep,
) -> HttpNationalPortal:
    caller = HttpCaller(
        "national_portal", standin.url, timeouts=timeouts, policy=policy, auth=auth, sleep=sleep
    )
    return HttpNationalPortal(caller)


@pytest.fixture
def portal_standin() -> Iterator[PortalStandIn]:
    standin = PortalStandIn(static_tokens=["portal-token"])
    with standin:
        yield standin


@pytest.fixture
def portal(portal_standin: PortalStandIn) -> Iterator[HttpNationalPortal]:
    adapter = portal_for(portal_standin, auth=BearerToken("portal-token"))
    yield adapter
    adapter.close()


def batch_keys(standin: PortalStandIn) -> list[str]:
    return [r.headers["idempotency-key"] for r in standin.deliveries()]


# -- retries ------------------------------------------------------------------------------


def test_unavailable_twice_then_delivered_once(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    portal_standin.script(Fail(503), Fail(502))
    sent = events()
    acks = portal.send_dossier_events(sent)
    assert [a.event_id for a in acks] == [e.event_id for e in sent]
    assert {a.status for a in acks} == {"accepted"}
    # Three deliveries of one batch, under one idempotency key, accepted once.
    assert len(set(batch_keys(portal_standin))) == 1
    assert len(portal_standin.deliveries()) == 3
    assert list(portal_standin.accepted) == [e.idempotency_key for e in sent]


def test_an_outage_longer_than_the_attempts_is_unavailable(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    portal_standin.script(*[Fail(503)] * 4)
    with pytest.raises(IntegrationUnavailable, match="4 attempt"):
        portal.send_dossier_events(events())
    assert len(portal_standin.deliveries()) == 4
    assert portal_standin.accepted == {}


def test_a_500_is_not_one_of_the_transient_answers(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    portal_standin.script(Fail(500))
    with pytest.raises(IntegrationUnavailable, match="500"):
        portal.send_dossier_events(events())
    assert len(portal_standin.deliveries()) == 1


def test_a_stall_past_the_read_timeout_is_retried_and_counted_once(
    portal_standin: PortalStandIn,
) -> None:
    # The stand-in takes the events, then answers too late: the client times out and
    # delivers again; the portal's idempotency keys make it one delivery.
    portal_standin.script(Stall(6, accept_first=True))
    adapter = portal_for(
        portal_standin,
        auth=BearerToken("portal-token"),
        timeouts=Timeouts(connect=1, read=0.5, write=1),
    )
    sent = events()
    started = time.monotonic()
    acks = adapter.send_dossier_events(sent)
    assert time.monotonic() - started < 5  # not waiting out the stall
    assert len(portal_standin.deliveries()) == 2
    assert {a.status for a in acks} == {"duplicate"}  # the first delivery was taken
    assert list(portal_standin.accepted) == [e.idempotency_key for e in sent]


def test_the_call_deadline_bounds_every_attempt(portal_standin: PortalStandIn) -> None:
    portal_standin.script(Stall(8), Stall(8), Stall(8))
    adapter = portal_for(
        portal_standin,
        auth=BearerToken("portal-token"),
        policy=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.01, deadline=1.0),
        timeouts=Timeouts(connect=1, read=30, write=30),
    )
    started = time.monotonic()
    with pytest.raises(IntegrationUnavailable):
        adapter.send_dossier_events(events())
    assert time.monotonic() - started < 4  # the 1 s deadline, not a read timeout of 30


def test_a_refusal_is_not_retried_and_carries_the_problem(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    problem = {"type": "urn:dvc:unknown-dossier", "title": "Unknown dossier", "status": 422}
    portal_standin.script(Refuse(422, problem))
    with pytest.raises(IntegrationRefused) as refused:
        portal.send_dossier_events(events())
    assert refused.value.status == 422
    assert refused.value.problem == problem
    assert len(portal_standin.deliveries()) == 1
    assert portal_standin.accepted == {}


def test_a_call_that_is_not_safe_to_repeat_is_not_retried(
    portal_standin: PortalStandIn,
) -> None:
    portal_standin.script(Fail(503))
    caller = HttpCaller(
        "national_portal",
        portal_standin.url,
        timeouts=SHORT,
        policy=FAST,
        auth=BearerToken("portal-token"),
    )
    with caller, pytest.raises(IntegrationUnavailable, match="1 attempt"):
        caller.post_json(EVENTS_PATH, {"events": []}, operation="no key")
    assert len(portal_standin.deliveries()) == 1


def test_retry_after_is_honoured(portal_standin: PortalStandIn) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    portal_standin.script(Fail(503, retry_after=1), Fail(429, retry_after=2))
    adapter = portal_for(portal_standin, auth=BearerToken("portal-token"), sleep=sleep)
    started = time.monotonic()
    adapter.send_dossier_events(events())
    assert waits == [1.0, 2.0]
    assert time.monotonic() - started >= 3.0


def test_a_retry_after_past_the_deadline_ends_the_call_at_once(
    portal_standin: PortalStandIn,
) -> None:
    portal_standin.script(Fail(503, retry_after=120))
    adapter = portal_for(portal_standin, auth=BearerToken("portal-token"))
    started = time.monotonic()
    with pytest.raises(IntegrationUnavailable) as unavailable:
        adapter.send_dossier_events(events())
    assert unavailable.value.retry_after == 120
    assert time.monotonic() - started < 10  # not waiting two minutes
    assert len(portal_standin.deliveries()) == 1


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None


def test_the_backoff_grows_and_is_jittered() -> None:
    import random

    policy = RetryPolicy(base_delay=1, max_delay=5, rng=random.Random(7))
    waits = [policy.backoff(n) for n in (1, 2, 3, 4, 5)]
    assert all(0 <= w <= c for w, c in zip(waits, (1, 2, 4, 5, 5), strict=True))
    assert len(set(waits)) == 5


# -- idempotency, acknowledgements, restarts ---------------------------------------------


def test_a_repeated_delivery_counts_once(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    sent = events()
    first = portal.send_dossier_events(sent)
    again = portal.send_dossier_events(list(reversed(sent)))
    assert {a.status for a in first} == {"accepted"}
    assert {a.status for a in again} == {"duplicate"}
    assert [a.reference for a in reversed(again)] == [a.reference for a in first]
    assert len(portal_standin.accepted) == 3
    assert len(set(batch_keys(portal_standin))) == 1  # same events, same batch key


def test_repeated_and_reordered_acknowledgements(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    portal_standin.script(RepeatAcks(), ShuffleAcks())
    sent = events()
    repeated = portal.send_dossier_events(sent[:2])
    shuffled = portal.send_dossier_events(sent)
    assert [a.event_id for a in repeated] == [e.event_id for e in sent[:2]]
    assert [a.event_id for a in shuffled] == [e.event_id for e in sent]
    assert [a.status for a in shuffled] == ["duplicate", "duplicate", "accepted"]


def test_an_answer_lost_after_the_portal_took_the_events(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    portal_standin.script(Fail(503, accept_first=True))
    sent = events()
    acks = portal.send_dossier_events(sent)
    assert {a.status for a in acks} == {"duplicate"}
    assert len(portal_standin.accepted) == 3


def test_a_restart_halfway_loses_nothing(portal_standin: PortalStandIn) -> None:
    adapter = portal_for(
        portal_standin,
        auth=BearerToken("portal-token"),
        policy=RetryPolicy(attempts=8, base_delay=0.1, max_delay=0.4, deadline=15),
    )
    first = events("000.00.15.H57-241207-0001")
    second = events("000.00.15.H57-241207-0002")
    adapter.send_dossier_events(first)
    # The portal takes the second batch, drops the connection and is down for a while.
    portal_standin.script(Restart(down_seconds=0.8))
    acks = adapter.send_dossier_events(second)
    assert portal_standin.restarts == 1
    assert [a.event_id for a in acks] == [e.event_id for e in second]
    assert list(portal_standin.accepted) == [e.idempotency_key for e in first + second]


def test_an_answer_that_is_not_json_is_a_protocol_error(
    portal_standin: PortalStandIn, portal: HttpNationalPortal
) -> None:
    portal_standin.script(Garble())
    with pytest.raises(IntegrationProtocolError):
        portal.send_dossier_events(events())
    assert len(portal_standin.deliveries()) == 1


def test_a_closed_port_is_unavailable() -> None:
    standin = PortalStandIn()  # never started
    adapter = portal_for(standin, policy=RetryPolicy(attempts=2, base_delay=0.01, deadline=3))
    with pytest.raises(IntegrationUnavailable, match="connection failed"):
        adapter.send_dossier_events(events())


# -- client authentication ---------------------------------------------------------------


def _key(kind: str) -> SigningKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def jwt_auth(standin: PortalStandIn | PeerVaultStandIn, key: SigningKey) -> PrivateKeyJwt:
    return PrivateKeyJwt(
        system="test",
        client_id=CLIENT_ID,
        token_url=standin.token_url,
        private_key=key,
        key_id="k1",
        timeouts=SHORT,
    )


@pytest.mark.parametrize("kind", ["rsa", "ec", "ed25519"])
def test_private_key_jwt_verifies_against_the_published_key(kind: str) -> None:
    key = _key(kind)
    published = PrivateKeyJwt(
        system="test", client_id=CLIENT_ID, token_url="x", private_key=key, key_id="k1"
    ).public_jwks()
    assert all("d" not in jwk for jwk in published["keys"])  # the public half only
    with PortalStandIn(client_jwks=published) as standin:
        auth = jwt_auth(standin, key)
        adapter = portal_for(standin, auth=auth)
        adapter.send_dossier_events(events())
        adapter.send_dossier_events(events("000.00.15.H57-241207-0002"))
        assert standin.token_requests == 1  # the access token is cached
        [claims] = standin.verified_assertions
        assert claims["iss"] == claims["sub"] == CLIENT_ID
        assert claims["aud"] == standin.token_url
        assert len(standin.accepted) == 6


def test_an_assertion_signed_with_another_key_is_refused() -> None:
    published = jwt_auth(PortalStandIn(), _key("ec")).public_jwks()
    with PortalStandIn(client_jwks=published) as standin:
        adapter = portal_for(standin, auth=jwt_auth(standin, _key("ec")))
        with pytest.raises(IntegrationRefused) as refused:
            adapter.send_dossier_events(events())
        assert refused.value.problem == {"error": "invalid_client"}
        assert standin.deliveries() == []
        assert standin.verified_assertions == []


def test_a_revoked_token_is_refused_then_renewed() -> None:
    key = _key("ed25519")
    with PortalStandIn(client_jwks=jwt_auth(PortalStandIn(), key).public_jwks()) as standin:
        adapter = portal_for(standin, auth=jwt_auth(standin, key))
        adapter.send_dossier_events(events())
        standin.revoke_tokens()
        with pytest.raises(IntegrationRefused) as refused:
            adapter.send_dossier_events(events())
        assert refused.value.status == 401
        adapter.send_dossier_events(events())  # a fresh token, from a fresh assertion
        assert standin.token_requests == 2
        assert len({c["jti"] for c in standin.verified_assertions}) == 2


def test_a_token_endpoint_outage_is_retried_with_the_call() -> None:
    key = _key("ec")
    down = PortalStandIn()  # the token endpoint's host, never started
    with PortalStandIn(client_jwks=jwt_auth(down, key).public_jwks()) as standin:
        adapter = portal_for(standin, auth=jwt_auth(down, key))
        with pytest.raises(IntegrationUnavailable, match=r"4 attempt.*no access token"):
            adapter.send_dossier_events(events())
        assert standin.deliveries() == []


# -- the peer vault ----------------------------------------------------------------------


@pytest.fixture
def peer_standin() -> Iterator[PeerVaultStandIn]:
    with PeerVaultStandIn(static_tokens=["peer-token"]) as standin:
        standin.add_document("doc-1", "birth_certificate", b"%PDF-1.7 " + b"x" * 300_000)
        standin.add_document("doc-2", "marriage_certificate", b"%PDF-1.7 marriage")
        yield standin


@pytest.fixture
def peer(peer_standin: PeerVaultStandIn) -> Iterator[HttpPeerVault]:
    adapter = HttpPeerVault(
        HttpCaller(
            "peer_vault",
            peer_standin.url,
            timeouts=SHORT,
            policy=FAST,
            auth=BearerToken("peer-token"),
        )
    )
    yield adapter
    adapter.close()


def reuse_request() -> ReuseRequest:
    return ReuseRequest(CITIZEN_ID, ("birth_certificate",), "D-1", "Đăng ký kết hôn")


def test_reuse_candidates_and_a_streamed_download(
    peer_standin: PeerVaultStandIn, peer: HttpPeerVault
) -> None:
    [candidate] = peer.reuse_candidates(reuse_request()).candidates
    assert candidate.paper_type == "birth_certificate"
    with peer.fetch_document(candidate.ref, reuse_request()) as stream:
        chunks = list(stream)
    assert len(chunks) > 1
    data = b"".join(chunks)
    assert hashlib.sha256(data).hexdigest() == candidate.ref.sha256
    assert CITIZEN_ID not in "".join(r.path for r in peer_standin.received)


def test_a_look_up_is_retried_and_recorded_once(
    peer_standin: PeerVaultStandIn, peer: HttpPeerVault
) -> None:
    peer_standin.script(Fail(503, accept_first=True), Stall(0.1, accept_first=True))
    assert len(peer.reuse_candidates(reuse_request()).candidates) == 1
    assert len(peer_standin.requests_to("/federation/reuse-candidates")) == 2
    assert len(peer_standin.lookups) == 1


def test_a_look_up_names_the_purpose_and_reads_refusals(
    peer_standin: PeerVaultStandIn, peer: HttpPeerVault
) -> None:
    request = ReuseRequest(
        CITIZEN_ID,
        ("birth_certificate", "land_use_right_certificate"),
        "000.00.15.H57-250115-0001",
        "Cấp Phiếu lý lịch tư pháp",
        procedure_code="2.000488",
        requesting_agency="000.00.15.H57",
        officer_id="officer-1",
        officer_name="Nguyễn Văn A",
    )
    answer = peer.reuse_candidates(request)
    [asked] = peer_standin.lookups.values()
    assert asked["requesting_agency"] == "000.00.15.H57"
    assert asked["officer"] == {"id": "officer-1", "name": "Nguyễn Văn A"}
    assert asked["procedure_code"] == "2.000488"
    assert [c.paper_type for c in answer.candidates] == ["birth_certificate"]
    assert [(r.paper_type, r.reason.code) for r in answer.refused] == [
        ("land_use_right_certificate", "not_needed")
    ]
    with peer.fetch_document(answer.candidates[0].ref, request) as stream:
        assert b"".join(stream).startswith(b"%PDF")
    [download] = peer_standin.requests_to("/federation/documents/doc-1")
    assert download.method == "POST" and CITIZEN_ID not in download.path


def test_a_download_is_retried_until_its_headers_arrive(
    peer_standin: PeerVaultStandIn, peer: HttpPeerVault
) -> None:
    [candidate] = peer.reuse_candidates(reuse_request()).candidates
    peer_standin.script(Fail(504), Fail(503))
    with peer.fetch_document(candidate.ref, reuse_request()) as stream:
        assert hashlib.sha256(b"".join(stream)).hexdigest() == candidate.ref.sha256


def test_a_document_that_does_not_match_its_digest_is_a_protocol_error(
    peer_standin: PeerVaultStandIn, peer: HttpPeerVault
) -> None:
    [candidate] = peer.reuse_candidates(reuse_request()).candidates
    peer_standin.add_document("doc-1", "birth_certificate", b"%PDF-1.7 " + b"y" * 300_000)
    with (
        pytest.raises(IntegrationProtocolError),
        peer.fetch_document(candidate.ref, reuse_request()) as stream,
    ):
        list(stream)


# -- logs --------------------------------------------------------------------------------


def test_no_token_identifier_or_body_in_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = _key("ec")
    published = jwt_auth(PortalStandIn(), key).public_jwks()
    secret_payload = "Nguyễn Thị Hương, 12 Lê Lợi"
    with (
        PortalStandIn(client_jwks=published) as portal_standin,
        PeerVaultStandIn(client_jwks=published) as peer_standin,
    ):
        peer_standin.add_document("doc-1", "birth_certificate", b"%PDF-1.7 secret bytes")
        portal_standin.script(Fail(503), Refuse(422))
        portal_auth = jwt_auth(portal_standin, key)
        portal = portal_for(portal_standin, auth=portal_auth)
        payload = sample_payload("000.00.15.H57-241207-0001")
        payload["hoSo"]["ChuHoSo"] = secret_payload
        event = DossierEvent(uuid.uuid4(), "000.00.15.H57-241207-0001", 1, "received", payload)
        with pytest.raises(IntegrationRefused):
            portal.send_dossier_events([event])
        portal.send_dossier_events([event])
        peer_auth = jwt_auth(peer_standin, key)
        peer = HttpPeerVault(
            HttpCaller("peer_vault", peer_standin.url, timeouts=SHORT, policy=FAST, auth=peer_auth)
        )
        peer_standin.script(Fail(503))
        [candidate] = peer.reuse_candidates(reuse_request()).candidates
        with peer.fetch_document(candidate.ref, reuse_request()) as stream:
            list(stream)
        tokens = portal_standin.tokens | peer_standin.tokens
        assertions = [portal_auth.assertion(), peer_auth.assertion()]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "vault.integrations" in logged  # the adapters did log
    assert "503" in logged
    secrets = [CITIZEN_ID, secret_payload, "secret bytes", *tokens]
    secrets += [a.split(".")[2] for a in assertions]  # signatures of same-shaped assertions
    for secret in secrets:
        assert secret not in logged
    assert CITIZEN_ID not in repr(reuse_request())
    assert secret_payload not in repr(event)
    assert "Bearer" not in logged


# -- settings ----------------------------------------------------------------------------


def test_every_integration_is_off_without_a_url() -> None:
    settings = Settings()
    assert config.national_portal(settings) is None
    assert config.peer_vaults(settings) == {}


def test_the_settings_build_adapters_with_private_key_jwt(monkeypatch: pytest.MonkeyPatch) -> None:
    pem = (
        _key("ec")
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    monkeypatch.setenv("VAULT_PORTAL_URL", "https://dichvucong.example")
    monkeypatch.setenv("VAULT_PORTAL_TOKEN_URL", "https://dichvucong.example/oauth/token")
    monkeypatch.setenv(
        "VAULT_PEERS",
        '[{"name": "hanoi", "label": "thành phố Hà Nội", "agency_prefix": "000.00.01",'
        ' "url": "https://vault.hanoi.example"}]',
    )
    monkeypatch.setenv("VAULT_INTEGRATION_CLIENT_KEY", pem)
    monkeypatch.setenv("VAULT_INTEGRATION_ATTEMPTS", "3")
    settings = Settings()
    portal = config.national_portal(settings)
    peer = config.peer_vaults(settings)["hanoi"]
    assert portal is not None
    assert isinstance(portal._caller.auth, PrivateKeyJwt)
    # The peer's own token endpoint, this vault's key; look-ups bounded by the plan's budget.
    assert isinstance(peer._caller.auth, PrivateKeyJwt)
    assert peer._caller.auth.token_url == "https://vault.hanoi.example/federation/token"
    assert peer._lookups.policy.deadline == settings.peer_budget_seconds
    assert portal._caller.policy.attempts == 3
    portal.close()
    peer.close()


def test_peers_are_checked_when_the_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    peer = {"name": "hanoi", "label": "Hà Nội", "agency_prefix": "000.00.01", "url": "https://h"}
    monkeypatch.setenv("VAULT_PEERS", json.dumps([peer, peer]))
    with pytest.raises(ValueError, match="two peers share a name"):
        Settings()
    for bad in ({"agency_prefix": "H57; DROP"}, {"url": "ftp://h"}, {"name": "a/b"}):
        monkeypatch.setenv("VAULT_PEERS", json.dumps([{**peer, **bad}]))
        with pytest.raises(ValueError):
            Settings()
    monkeypatch.setenv("VAULT_PEERS", json.dumps([peer]))
    [read] = Settings().peers
    assert read.keys_url == "https://h/.well-known/federation-jwks.json"
    assert read.token_url == "https://h/federation/token"
