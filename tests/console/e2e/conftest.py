"""The officer console, end to end: one live server per test session (per xdist worker), real
everything behind it, and Debian's Chromium driven by Playwright.

- PostgreSQL (a database of its own: other modules truncate the shared one between their
  tests, which on an xdist worker can run between ours) and SeaweedFS S3 (the session's
  server from tests/conftest.py, a bucket of our own).
- Remote signing as production does it: the CSC service (`python -m api.csc`: development
  PKI served on loopback, keys in SoftHSM2) in a process of its own. SoftHSM takes one
  token configuration per process and tests/signing's `runtime` may already hold one in
  this worker, so the service cannot live in this process the way those tests run it.
- Demo data through the domain services: the officers of tests/people.py (with passwords:
  the console signs in with them), an owner with two valid papers on file for a procedure
  that needs three plus an expired one, and another owner's paper AGENCY may not see. The
  seeded papers go through the real OCR worker once, so search has words to find.

Browser: /usr/bin/chromium with the flags of PITFALLS.md; nothing downloads a browser.
Each test gets pytest-playwright's fresh context and page.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from minio import Minio
from playwright.sync_api import Browser, BrowserType, Page, Playwright, sync_playwright
from pydantic import SecretStr

from api import create_app
from ocr.worker import ocr_runner
from signing.csc_server.server_settings import DEVELOPMENT_CLIENT_TOKEN
from signing.issuing.signer_settings import SealCredential, SignerSettings
from signing.verify.pool import Verifier
from signing.verify.trust import TrustSettings
from tests.conftest import s3_store
from tests.factories import CITIZEN_ID, OTHER_CITIZEN_ID
from tests.people import AGENCY, OTHER_AGENCY, People
from tests.people import OFFICERS as PEOPLE
from tests.support import postgres
from tests.support.live import serve
from tests.support.oidc_provider import FakeIdentityProvider
from tests.support.s3server import S3Server
from tests.support.signing_process import SigningProcess, signing_service_process
from vault.auth import Actor, Role
from vault.db import migrate
from vault.domain import DocumentOrigin, OwnerKind
from vault.runtime import Vault
from vault.services.documents import NewDocument
from vault.settings import Environment, Settings

from .support import (
    AGENCY_NAME,
    FULL_NAMES,
    OFFICER_CREDENTIALS,
    OTHER_AGENCY_NAME,
    OTHER_OWNER_NAME,
    OWNER_NAME,
    PASSWORD,
    Console,
    certify_through_api,
    paper_png,
)

CHROMIUM = Path("/usr/bin/chromium")
OIDC_SUBJECT = "vneid-e2e-officer"
OIDC_OFFICER = "Đỗ Thị Định Danh"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium floods the closed network with refused connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    # pyproject's --strict-markers: the marker is declared next to the tests that use it.
    config.addinivalue_line("markers", "e2e: browser test of the officer console (Chromium)")


# -- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded one (`playwright install` fails here)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the console's browser tests need Debian's chromium "
            "(./scripts/test installs it; by hand: apt-get install -y chromium)",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


# pytest-playwright keeps Playwright (and with it a running asyncio loop on this thread) for
# the whole session, so every later test of this xdist worker that calls asyncio.run() would
# fail. Module scope: the loop is gone as soon as the worker moves on to another module.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    chosen: BrowserType = getattr(playwright, browser_name)
    return chosen


@pytest.fixture(scope="module")
def browser(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any]
) -> Iterator[Browser]:
    launched = browser_type.launch(**browser_type_launch_args)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser_context_args(base_url: str) -> dict[str, Any]:
    # Not pytest-playwright's own: it needs Playwright itself, which lives per module here.
    return {
        "base_url": base_url,
        "viewport": {"width": 1280, "height": 800},
        "locale": "vi-VN",
        "timezone_id": "Asia/Ho_Chi_Minh",
    }


@pytest.fixture(scope="session")
def base_url(console: Console) -> str:
    """pytest-playwright's contexts resolve "/console/…" against the live server."""
    return console.url


@pytest.fixture
def request_log(page: Page) -> list[str]:
    """Every URL the page requests (redirect hops included), from the start of the test."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


# -- remote signing in a process of its own --------------------------------------------------


@pytest.fixture(scope="session")
def signing_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningProcess]:
    with signing_service_process(tmp_path_factory.mktemp("e2e-signing")) as service:
        yield service


# -- the vault, its data and the live server ---------------------------------------------------


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[str]:
    url = postgres.create_database("vault_e2e")
    migrate.upgrade(url)
    yield url
    postgres.drop_database(url)


@pytest.fixture(scope="session")
def e2e_bucket(s3_server: S3Server) -> Iterator[str]:
    client = Minio(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, secure=False)
    bucket = f"e2e-{os.getpid()}-{int(time.time())}"
    client.make_bucket(bucket)
    yield bucket
    for obj in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, obj.object_name or "")
    client.remove_bucket(bucket)


def seed(vault: Vault) -> tuple[People, str, str, dict[str, str]]:
    """(people, owner id, other owner id, documents by name)."""
    with vault.uows() as uow:
        vault.auth.add_agency(uow, AGENCY, AGENCY_NAME)
        vault.auth.add_agency(uow, OTHER_AGENCY, OTHER_AGENCY_NAME)
        accounts = {
            name: vault.auth.add_officer(
                uow,
                username=name,
                full_name=FULL_NAMES.get(name, name.replace("_", " ").title()),
                agency_code=agency,
                roles=list(roles),
                password=PASSWORD,
            )
            for name, (agency, roles) in PEOPLE.items()
        }
        uow.commit()
    people = People(vault, accounts)
    clerk, issuer, other = (
        people.actor("clerk"),
        people.actor("issuer"),
        people.actor("other_clerk"),
    )
    today = date.today()

    with vault.uows() as uow:
        owner, _ = vault.owners.register(uow, clerk, OwnerKind.CITIZEN, CITIZEN_ID, OWNER_NAME)
        other_owner, _ = vault.owners.register(
            uow, other, OwnerKind.CITIZEN, OTHER_CITIZEN_ID, OTHER_OWNER_NAME
        )

        def issued(
            actor: Actor,
            owner_id: Any,
            paper_type: str,
            title: str,
            reference: str,
            issued_on: date,
            valid_until: date | None,
        ) -> str:
            meta = NewDocument(
                paper_type=paper_type,
                title=title,
                origin=DocumentOrigin.ISSUED_RESULT,
                reference_number=reference,
                issue_date=issued_on,
                valid_until=valid_until,
            )
            png = paper_png([title.upper(), f"Số: {reference}", f"Cấp ngày {issued_on:%d/%m/%Y}"])
            return str(vault.documents.upload(uow, actor, owner_id, meta, io.BytesIO(png)).id)

        documents = {
            # The two valid papers on file for the procedure (issued by AGENCY: visible to it).
            "id_card": issued(
                issuer,
                owner.id,
                "chip_id_card",
                "Căn cước công dân",
                "CC-2023-004417",
                today - timedelta(days=3 * 365),
                today + timedelta(days=10 * 365),
            ),
            "licence": issued(
                issuer,
                owner.id,
                "driving_licence",
                "Giấy phép lái xe",
                "GPLX-790-215566",
                today - timedelta(days=2 * 365),
                today + timedelta(days=8 * 365),
            ),
            # On file but expired (the type's 365 days ran out a year ago): a rejected candidate.
            "expired_health": issued(
                issuer,
                owner.id,
                "health_certificate",
                "Giấy khám sức khỏe",
                "GKSK-117",
                today - timedelta(days=2 * 365),
                None,
            ),
            # Another owner's paper from another agency: nothing AGENCY may open.
            "other_birth": issued(
                other,
                other_owner.id,
                "birth_certificate",
                "Giấy khai sinh",
                "KS-2001-0456",
                date(2001, 4, 2),
                None,
            ),
        }
        uow.commit()
    # The real OCR worker, once, over what was just stored (search then has words to find).
    ocr_runner(vault).run(once=True)
    return people, str(owner.id), str(other_owner.id), documents


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[FakeIdentityProvider]:
    """VNeID's stand-in (a small HTTP server): the console's OpenID Connect sign-in."""
    provider = FakeIdentityProvider()
    provider.subject = OIDC_SUBJECT
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def console(
    e2e_database: str,
    e2e_bucket: str,
    s3_server: S3Server,
    signing_service: SigningProcess,
    identity_provider: FakeIdentityProvider,
) -> Iterator[Console]:
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("VAULT_") and not name.startswith("VAULT_TEST_"):
                mp.delenv(name)  # a developer's own settings must not leak in
        settings = Settings(
            env=Environment.TEST,
            database_url=e2e_database,
            storage_backend="s3",
            s3_endpoint=s3_server.endpoint,
            s3_access_key=s3_server.access_key,
            s3_secret_key=s3_server.secret_key,
            s3_bucket=e2e_bucket,
            ocr_worker_embedded=False,  # OCR inside the API would fight the browser for CPU
            **identity_provider.settings,
        )
        signer_settings = SignerSettings(
            service_url=signing_service.url,
            client_token=SecretStr(DEVELOPMENT_CLIENT_TOKEN),
            tsa_url=signing_service.tsa_url,
            trust_roots=[signing_service.root],
            officers=OFFICER_CREDENTIALS,
            seals={
                AGENCY: SealCredential(
                    credential_id="h57-seal",
                    pin=SecretStr(signing_service.seal_pin),
                    otp_secret=SecretStr(signing_service.seal_otp_base32),
                )
            },
            timeout_seconds=60,
        )
    vault = Vault.from_settings(settings, blobs=s3_store(s3_server, e2e_bucket))
    verifier = Verifier(TrustSettings.from_files([signing_service.root]), workers=1)
    try:
        people, owner_id, other_owner_id, documents = seed(vault)
        with vault.uows() as uow:
            vault.auth.add_officer(
                uow,
                username="vneid_officer",
                full_name=OIDC_OFFICER,
                agency_code=AGENCY,
                roles=[Role.VERIFIER],
                oidc_subject=OIDC_SUBJECT,
            )
            uow.commit()
        app = create_app(vault=vault, signer_settings=signer_settings)
        # The verify page and the certification checks use this one (the development root).
        app.state.verifier = verifier
        with serve(app, timeout=30) as url:
            # The QR's public link must open on this server, whose port is known only now;
            # the certification service reads the base URL at each certification.
            signer_settings.public_base_url = url
            yield Console(url, people, owner_id, other_owner_id, documents)
    finally:
        verifier.close()
        vault.close()


@pytest.fixture(scope="session")
def certified_pdf(console: Console) -> bytes:
    """A real signed PDF for the verify page: a certified copy made through the API."""
    return certify_through_api(console)[1]
