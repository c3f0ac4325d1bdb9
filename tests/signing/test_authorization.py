"""Wrong PINs are counted and lock the credential; SADs expire and are bound to their caller.

Each test builds its own service on the shared SoftHSM token (`make_service`): its own
failure counters, SADs and clocks, so no credential of the other tests gets locked.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from api.csc import create_csc_app
from signing.csc_server.assembly import DEV_CREDENTIALS
from signing.csc_server.errors import CredentialLocked, InvalidSAD, WrongAuthenticationFactor
from signing.csc_server.service import AuthPolicy, SigningService
from signing.csc_server.state import JsonFileStateStore
from signing.totp import totp, totp_step
from tests.signing.conftest import AGENCY_TOKEN, VAULT_TOKEN

SHA256_RSA = "1.2.840.113549.1.1.11"
SEAL_OTP = next(c.otp_secret for c in DEV_CREDENTIALS if c.id == "h57-seal")
AUTH = {"Authorization": f"Bearer {VAULT_TOKEN}"}


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def authorize(client: TestClient, pin: str, credential: str = "h57-officer-an") -> httpx2.Response:
    response = client.post(
        "/csc/v1/credentials/authorize",
        headers=AUTH,
        json={
            "credentialID": credential,
            "numSignatures": 1,
            "hash": [base64.b64encode(os.urandom(32)).decode()],
            "PIN": pin,
        },
    )
    return response


def test_wrong_pins_are_counted_and_lock_the_credential(
    make_service: Callable[..., SigningService],
) -> None:
    service = make_service(policy=AuthPolicy(max_failures=3, failure_delay_seconds=0))
    caller = service.authenticate(f"Bearer {VAULT_TOKEN}")
    with TestClient(create_csc_app(service)) as client:
        for expected in (1, 2):
            r = authorize(client, "000000")
            assert (r.status_code, r.json()["error"]) == (400, "invalid_pin")
            assert service.credential_info(caller, "h57-officer-an").failures == expected
        # A right PIN resets the count.
        assert authorize(client, "111111").status_code == 200
        assert service.credential_info(caller, "h57-officer-an").failures == 0

        # An outstanding SAD from before the lock ...
        digest = os.urandom(32)
        sad = service.authorize(caller, "h57-officer-an", hashes=[digest], pin="111111").sad

        assert authorize(client, "000000").status_code == 400
        assert authorize(client, "000000").status_code == 400
        r = authorize(client, "000000")  # the third in a row locks it
        assert (r.status_code, r.json()["error"]) == (403, "access_denied")
        r = authorize(client, "111111")  # now even the right PIN is refused
        assert (r.status_code, r.json()["error"]) == (403, "access_denied")
        info = client.post(
            "/csc/v1/credentials/info", headers=AUTH, json={"credentialID": "h57-officer-an"}
        ).json()
        assert info["key"]["status"] == "disabled"

        # ... signs nothing either.
        r2 = client.post(
            "/csc/v1/signatures/signHash",
            headers=AUTH,
            json={
                "credentialID": "h57-officer-an",
                "SAD": sad,
                "hash": [base64.b64encode(digest).decode()],
                "signAlgo": SHA256_RSA,
            },
        )
        assert (r2.status_code, r2.json()["error"]) == (403, "access_denied")

        # Other credentials are unaffected; an operator's unlock restores this one.
        assert authorize(client, "222222", "h57-officer-binh").status_code == 200
        service.unlock("h57-officer-an")
        assert authorize(client, "111111").status_code == 200


def test_retrying_too_soon_after_a_wrong_pin_is_429_and_not_counted(
    make_service: Callable[..., SigningService],
) -> None:
    clock = FakeClock()
    service = make_service(
        policy=AuthPolicy(max_failures=5, failure_delay_seconds=10), wall_clock=clock
    )
    caller = service.authenticate(f"Bearer {VAULT_TOKEN}")
    with TestClient(create_csc_app(service)) as client:
        assert authorize(client, "000000").status_code == 400
        r = authorize(client, "111111")
        assert (r.status_code, r.json()["error"]) == (429, "slow_down")
        assert r.headers["retry-after"] == "10"
        assert service.credential_info(caller, "h57-officer-an").failures == 1
        clock.now += 10.5
        assert authorize(client, "000000").status_code == 400  # second failure: 20 s
        clock.now += 15
        assert authorize(client, "111111").status_code == 429
        clock.now += 6
        assert authorize(client, "111111").status_code == 200


def test_concurrent_guesses_are_all_counted(make_service: Callable[..., SigningService]) -> None:
    service = make_service(policy=AuthPolicy(max_failures=5, failure_delay_seconds=0))
    caller = service.authenticate(f"Bearer {VAULT_TOKEN}")
    outcomes: list[str] = []

    def guess(pin: str) -> None:
        try:
            service.authorize(caller, "h57-officer-an", hashes=[os.urandom(32)], pin=pin)
            outcomes.append("granted")
        except WrongAuthenticationFactor:
            outcomes.append("wrong")
        except CredentialLocked:
            outcomes.append("locked")

    threads = [threading.Thread(target=guess, args=(f"{i:06d}",)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "granted" not in outcomes
    assert outcomes.count("wrong") == 4  # the 5th wrong one locks and says so
    assert outcomes.count("locked") == 8
    assert service.credential_info(caller, "h57-officer-an").key_enabled is False


def test_a_lock_survives_a_restart(
    make_service: Callable[..., SigningService], tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    policy = AuthPolicy(max_failures=2, failure_delay_seconds=0)
    first = make_service(policy=policy, states=JsonFileStateStore(state_file))
    caller = first.authenticate(f"Bearer {VAULT_TOKEN}")
    for _ in range(2):
        with pytest.raises((WrongAuthenticationFactor, CredentialLocked)):
            first.authorize(caller, "h57-officer-binh", hashes=[os.urandom(32)], pin="000000")

    restarted = make_service(policy=policy, states=JsonFileStateStore(state_file))
    with pytest.raises(CredentialLocked):
        restarted.authorize(caller, "h57-officer-binh", hashes=[os.urandom(32)], pin="222222")


def test_a_sad_expires(make_service: Callable[..., SigningService]) -> None:
    clock = FakeClock()
    service = make_service(policy=AuthPolicy(sad_ttl_seconds=60), monotonic_clock=clock)
    caller = service.authenticate(f"Bearer {VAULT_TOKEN}")
    digest = os.urandom(32)
    grant = service.authorize(caller, "h57-officer-an", hashes=[digest], pin="111111")
    assert grant.expires_in == 60
    assert "sad=..." in repr(grant)  # never the SAD itself
    clock.now += 61
    with pytest.raises(InvalidSAD, match="expired"):
        service.sign_hash(caller, "h57-officer-an", grant.sad, [digest], SHA256_RSA)

    grant = service.authorize(caller, "h57-officer-an", hashes=[digest], pin="111111")
    clock.now += 59
    [signature] = service.sign_hash(caller, "h57-officer-an", grant.sad, [digest], SHA256_RSA)
    assert len(signature) == 256


def test_a_sad_is_bound_to_the_caller_that_asked_for_it(
    make_service: Callable[..., SigningService],
) -> None:
    assert SEAL_OTP is not None
    service = make_service()
    vault = service.authenticate(f"Bearer {VAULT_TOKEN}")
    agency = service.authenticate(f"Bearer {AGENCY_TOKEN}")
    digest = os.urandom(32)
    otp = totp(SEAL_OTP, totp_step(time.time()))
    grant = service.authorize(vault, "h57-seal", hashes=[digest], pin="333333", otp=otp)
    # Both may use the seal, but the SAD the vault got is the vault's alone.
    with pytest.raises(InvalidSAD):
        service.sign_hash(agency, "h57-seal", grant.sad, [digest], SHA256_RSA)


def test_logs_carry_no_pin_otp_or_sad(
    make_service: Callable[..., SigningService], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = make_service(policy=AuthPolicy(max_failures=2, failure_delay_seconds=0))
    caller = service.authenticate(f"Bearer {VAULT_TOKEN}")
    with TestClient(create_csc_app(service)) as client:
        assert authorize(client, "987654").status_code == 400
        assert authorize(client, "876543").status_code == 403  # locks
        service.unlock("h57-officer-an")
        digest = os.urandom(32)
        grant = service.authorize(caller, "h57-officer-an", hashes=[digest], pin="111111")
        service.sign_hash(caller, "h57-officer-an", grant.sad, [digest], SHA256_RSA)
    assert "wrong PIN for credential h57-officer-an" in caplog.text
    for secret in ("987654", "876543", "111111", grant.sad, VAULT_TOKEN):
        assert secret not in caplog.text
