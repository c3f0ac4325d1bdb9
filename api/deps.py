"""Request dependencies: the vault built at start-up, and one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from vault.db import UnitOfWork
from vault.runtime import Vault


def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def get_uow(vault: Annotated[Vault, Depends(get_vault)]) -> Iterator[UnitOfWork]:
    """Commits when the endpoint returns, before the response is sent; rolls back (and
    deletes the blobs written) when it raises."""
    with vault.uows() as uow:
        yield uow
        uow.commit()


VaultDep = Annotated[Vault, Depends(get_vault)]
# scope="function": the commit happens before the response leaves, so a failed commit is
# an error response, never a 201 for something that was not stored.
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
