"""Fixtures for the SDK tests: the API served for real (uvicorn on loopback, on the real
database and object store of the `backend` fixture), agency client credentials, and SDK
clients signed in with them.

Until the project installs the SDK into its virtualenv (`uv pip install -e ./client_sdk`),
its source folder is put on the path here.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SDK_SRC = Path(__file__).resolve().parents[2] / "client_sdk" / "src"
if importlib.util.find_spec("vault_client") is None:
    sys.path.insert(0, str(SDK_SRC))

from vault_client import AsyncVaultClient, RetryPolicy, VaultClient  # noqa: E402

from api import create_app  # noqa: E402
from tests.people import AGENCY, People  # noqa: E402
from tests.sdk.faults import FaultProxy  # noqa: E402
from tests.support.live import serve  # noqa: E402
from vault.runtime import Vault  # noqa: E402

# Real backoff shape, short delays: a test of three retries takes milliseconds, not seconds.
FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)


@dataclass(frozen=True)
class AgencySystem:
    """An agency one-stop system's OAuth2 client, registered for AGENCY."""

    client_id: str
    client_secret: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_sdk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own CITIZEN_VAULT_* settings must not sign the tests' clients in.
    for name in list(os.environ):
        if name.startswith("CITIZEN_VAULT_"):
            monkeypatch.delenv(name)


@pytest.fixture
def live(vault: Vault) -> Iterator[str]:
    """The base URL of the API served by uvicorn on a free loopback port."""
    with serve(create_app(vault=vault)) as url:
        yield url


@pytest.fixture
def system(vault: Vault, people: People) -> AgencySystem:
    with vault.uows() as uow:
        client_id, secret = vault.auth.add_client(uow, name="Hệ thống một cửa", agency_code=AGENCY)
        uow.commit()
    return AgencySystem(client_id, secret)


@pytest.fixture
def sdk(live: str, system: AgencySystem) -> Iterator[VaultClient]:
    """The agency system acting for `clerk` (receiving, issuing and certifying roles)."""
    with VaultClient(
        live,
        client_id=system.client_id,
        client_secret=system.client_secret,
        officer="clerk",
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest.fixture
async def async_sdk(live: str, system: AgencySystem) -> AsyncIterator[AsyncVaultClient]:
    async with AsyncVaultClient(
        live,
        client_id=system.client_id,
        client_secret=system.client_secret,
        officer="clerk",
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest.fixture
def proxy(live: str) -> Iterator[FaultProxy]:
    """A fault-injecting HTTP proxy in front of the live API."""
    faults = FaultProxy(live)
    with serve(faults) as url:  # type: ignore[arg-type]
        faults.url = url
        yield faults
