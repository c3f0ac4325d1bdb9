"""Signing out, the account's own sign-in events, administrators switching officers and agency
systems off and on, and the token endpoint's RFC 6749 errors (with its throttle's 429
`slow_down`), through both clients against the API served for real on both backends."""

from __future__ import annotations

import logging
import re

import pytest
from vault_client import (
    AccessToken,
    AsyncVaultClient,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    Password,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    VaultClient,
)
from vault_client.pagination import AsyncSignInsPage, SignInsPage
from vault_client.types import ClientStatus, OfficerStatus, SignInEvent, Token

from tests.people import AGENCY, People
from tests.sdk.conftest import FAST_RETRY, AgencySystem
from vault.runtime import Vault

PASSWORD = "mật-khẩu-đủ-dài-2025"
NO_RETRY = RetryPolicy(max_retries=0)


def add_officer(vault: Vault, username: str = "lan") -> None:
    """An officer of AGENCY with a password (the cast's officers have none)."""
    with vault.uows() as uow:
        vault.auth.add_officer(
            uow,
            username=username,
            full_name="Trần Thị Lan",
            agency_code=AGENCY,
            roles=[],
            password=PASSWORD,
        )
        uow.commit()


def add_client(vault: Vault) -> AgencySystem:
    with vault.uows() as uow:
        client_id, secret = vault.auth.add_client(uow, name="Hệ thống khác", agency_code=AGENCY)
        uow.commit()
    return AgencySystem(client_id, secret)


def audited(vault: Vault, action: str, outcome: str) -> int:
    with vault.uows() as uow:
        return sum(e.action == action and e.outcome == outcome for e in uow.audit.iter_all())


# -- sign-out ------------------------------------------------------------------------------------


def test_sign_out_revokes_the_presented_token(
    live: str, sdk: VaultClient, system: AgencySystem, vault: Vault
) -> None:
    token = sdk.auth.client_credentials(
        client_id=system.client_id, client_secret=system.client_secret, officer="receiver"
    )
    with VaultClient(live, access_token=token.access_token.get_secret_value()) as given:
        assert given.auth.me().name == "Receiver"
        assert given.auth.logout() is None
        with pytest.raises(AuthenticationError) as refused:
            given.auth.me()  # a token given as is cannot be renewed: refused from now on
        assert "revoked" in refused.value.detail
        with pytest.raises(AuthenticationError):
            given.auth.logout()  # twice: that token is no good any more

    # A client that can renew its token signs out, then signs in again on its next call,
    # without presenting the revoked token first (no refusal is audited for it).
    before = sdk.auth.me()
    refusals = audited(vault, "auth.token_refused", "denied")
    sdk.auth.logout()
    assert audited(vault, "auth.sign_out", "ok") == 2
    again = sdk.auth.me()
    assert again.account_id == before.account_id and again.client_id == system.client_id
    assert audited(vault, "auth.token_refused", "denied") == refusals


# -- the account's own sign-ins ----------------------------------------------------------------


def test_an_account_reads_its_own_sign_in_failures_and_throttle(
    live: str, vault: Vault, people: People
) -> None:
    add_officer(vault)
    with (
        VaultClient(live, credentials=Password("lan", PASSWORD), retry=FAST_RETRY) as lan,
        VaultClient(live, retry=NO_RETRY) as anonymous,
    ):
        assert lan.auth.me().name == "Trần Thị Lan"  # signed in before the failures
        for _ in range(3):
            with pytest.raises(AuthenticationError) as wrong:
                anonymous.auth.login(username="lan", password="sai-mật-khẩu")
            assert wrong.value.error is None  # a problem document, not an OAuth2 error
        page = lan.auth.sign_ins()
        assert isinstance(page, SignInsPage)
        assert page.throttle is not None and page.throttle.failures == 3
        assert page.throttle.locked_until is None
        denied = [e for e in page if (e.action, e.outcome) == ("auth.login", "denied")]
        assert len(denied) == 3 and all(isinstance(e, SignInEvent) for e in denied)
        assert [e.seq for e in page.items] == sorted((e.seq for e in page.items), reverse=True)

        # Page by hand: two at a time, the same events.
        first = lan.auth.sign_ins(limit=2)
        assert len(first.items) == 2 and first.has_next_page()
        walked = [e.seq for p in first.iter_pages() for e in p.items]
        assert walked == [e.seq for e in page]
        resumed = lan.auth.sign_ins(limit=2, cursor=first.next_cursor)
        assert [e.seq for e in resumed.items] == walked[2:4]
        with pytest.raises(BadRequestError) as bad:
            lan.auth.sign_ins(cursor="not-a-cursor")
        assert [e.field for e in bad.value.field_errors] == ["cursor"]

    # Another account sees none of them.
    with VaultClient(live, access_token=people.token("clerk")) as clerk:
        theirs = clerk.auth.sign_ins()
        assert theirs.throttle is None and theirs.items == [] and theirs.next_cursor is None


# -- the token endpoint's errors -----------------------------------------------------------------


def test_token_errors_carry_the_rfc_6749_error_and_description(
    live: str, system: AgencySystem
) -> None:
    with VaultClient(
        live,
        client_id=system.client_id,
        client_secret="not-the-secret",
        officer="clerk",
        retry=NO_RETRY,
    ) as wrong:
        with pytest.raises(AuthenticationError) as failed:
            wrong.auth.me()  # the client fetches its token first: that fails
        error = failed.value
        assert error.status_code == 401 and error.error == "invalid_client"
        assert error.error_description == "unknown client or wrong secret"
        assert error.oauth_error is not None and error.problem.title == "invalid_client"
        assert str(error) == "401 invalid_client: unknown client or wrong secret"
        assert error.www_authenticate == 'Basic realm="vault"'

    with VaultClient(
        live,
        client_id=system.client_id,
        client_secret=system.client_secret,
        officer="other_clerk",  # an officer of another agency
        retry=NO_RETRY,
    ) as elsewhere:
        with pytest.raises(PermissionDeniedError) as unauthorized:
            elsewhere.auth.me()  # RFC 6749's 400, raised as the refusal it is
        assert unauthorized.value.status_code == 400
        assert unauthorized.value.error == "unauthorized_client"
        assert unauthorized.value.error_description == (
            "a client may act only for officers of its own agency"
        )


def test_slow_down_is_raised_with_retry_after_or_waited_out(
    live: str, vault: Vault, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    mine = add_client(vault)  # failures are counted per client id
    with VaultClient(live, retry=NO_RETRY) as anonymous:

        def wrong() -> None:
            anonymous.auth.client_credentials(
                client_id=mine.client_id,
                client_secret="not-the-secret",
                officer="clerk",
            )

        for _ in range(5):  # the free failures
            with pytest.raises(AuthenticationError):
                wrong()
        # Then each attempt waits 1, 2, 4 … s after the last failure. One that comes too
        # early is refused before its secret is checked (one too late is a 6th failure).
        slowed: RateLimitError | None = None
        for _ in range(3):
            try:
                wrong()
            except RateLimitError as exc:
                slowed = exc
                break
            except AuthenticationError:
                continue
        assert slowed is not None, "no 429 in the backoff"
        assert slowed.error == "slow_down" and slowed.status_code == 429
        assert slowed.error_description is not None
        assert slowed.error_description.startswith("too many failed")
        assert slowed.retry_after is not None and 1 <= slowed.retry_after <= 4

    # With retries, the client waits out the Retry-After it is given and gets its token.
    patient = RetryPolicy(max_retries=4, initial_delay=0.01, max_retry_after=10)
    with (
        caplog.at_level(logging.INFO, logger="vault_client"),
        VaultClient(
            live,
            client_id=mine.client_id,
            client_secret=mine.client_secret,
            officer="clerk",
            retry=patient,
        ) as right,
    ):
        # Sooner than the backoff allows: answered 429 first, whatever the secret.
        assert right.auth.me().client_id == mine.client_id
    waits = [
        float(m.group(1))
        for r in caplog.records
        if (m := re.search(r"POST /api/v1/oauth/token after 429 in ([\d.]+)s", r.getMessage()))
    ]
    assert waits and all(w in (1.0, 2.0, 4.0) for w in waits), caplog.text


# -- administration --------------------------------------------------------------------------------


def test_an_administrator_switches_officers_and_agency_systems(
    live: str, sdk: VaultClient, vault: Vault
) -> None:
    admin = sdk.acting_for("admin")
    receiver = sdk.acting_for("receiver")
    assert receiver.auth.me().name == "Receiver"

    # Only an administrator, and only of the officer's own agency.
    with pytest.raises(PermissionDeniedError):
        sdk.admin.disable_officer("receiver")  # clerk is no administrator
    with pytest.raises(PermissionDeniedError):
        admin.admin.disable_officer("other_receiver")
    with pytest.raises(NotFoundError):
        admin.admin.disable_officer("nobody")
    with pytest.raises(ValueError, match="officer"):
        admin.admin.disable_officer("")  # never sent

    off = admin.admin.disable_officer("receiver")
    assert off == OfficerStatus(username="receiver", active=False)
    # Its token is revoked; the client asks for a new one, which is refused.
    with pytest.raises(PermissionDeniedError) as refused:
        receiver.auth.me()
    assert refused.value.error == "unauthorized_client"
    assert refused.value.error_description == "no such active officer"
    on = admin.admin.enable_officer("receiver")
    assert on.active and on.username == "receiver"
    assert receiver.auth.me().name == "Receiver"

    other = add_client(vault)
    with VaultClient(
        live,
        client_id=other.client_id,
        client_secret=other.client_secret,
        officer="clerk",
        retry=FAST_RETRY,
    ) as system:
        assert system.auth.me().client_id == other.client_id
        switched = admin.admin.disable_client(other.client_id)
        assert switched == ClientStatus(client_id=other.client_id, agency_code=AGENCY, active=False)
        with pytest.raises(AuthenticationError) as disabled:
            system.auth.me()
        assert disabled.value.error == "invalid_client"
        assert disabled.value.error_description == "this client is disabled"
        assert admin.admin.enable_client(other.client_id).active
        assert system.auth.me().client_id == other.client_id
    with pytest.raises(NotFoundError):
        admin.admin.enable_client("no-such-client")


# -- async ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_async_client_signs_out_reads_sign_ins_and_administers(
    live: str, async_sdk: AsyncVaultClient, vault: Vault
) -> None:
    add_officer(vault)
    async with AsyncVaultClient(live, retry=NO_RETRY) as anonymous:
        with pytest.raises(AuthenticationError):
            await anonymous.auth.login(username="lan", password="sai-mật-khẩu")
        token = await anonymous.auth.login(username="lan", password=PASSWORD)
        with pytest.raises(AuthenticationError) as wrong:
            await anonymous.auth.client_credentials(
                client_id="no-such-client",
                client_secret="x",
                officer="clerk",
            )
        assert wrong.value.error == "invalid_client"

    secret = token.access_token.get_secret_value()
    async with AsyncVaultClient(live, credentials=AccessToken(secret)) as lan:
        page = await lan.auth.sign_ins()
        assert isinstance(page, AsyncSignInsPage)
        # The successful sign-in cleared the throttle; the failure is still in the log.
        assert page.throttle is None
        actions = [(e.action, e.outcome) async for e in page]
        assert ("auth.login", "denied") in actions
        await lan.auth.logout()
        with pytest.raises(AuthenticationError):
            await lan.auth.me()

    admin = async_sdk.acting_for("admin")
    with pytest.raises(PermissionDeniedError):
        await async_sdk.admin.disable_officer("lan")
    assert not (await admin.admin.disable_officer("lan")).active
    with pytest.raises(AuthenticationError):
        await anonymous_login(live)
    assert (await admin.admin.enable_officer("lan")).active
    assert (await anonymous_login(live)).expires_in > 0
    other = add_client(vault)
    assert not (await admin.admin.disable_client(other.client_id)).active
    assert (await admin.admin.enable_client(other.client_id)).active


async def anonymous_login(live: str) -> Token:
    async with AsyncVaultClient(live, retry=NO_RETRY) as anonymous:
        return await anonymous.auth.login(username="lan", password=PASSWORD)
