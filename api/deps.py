"""Request dependencies: the vault built at start-up, the caller, one unit of work per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from anyio import CancelScope
from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from vault.auth import Actor, ActorKind, Role
from vault.db import UnitOfWork
from vault.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from vault.request_context import timed, timed_besides_sql
from vault.runtime import Vault

_bearer = HTTPBearer(
    auto_error=False, description="An access token from /api/v1/oauth/token or /api/v1/auth/login"
)


# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency on
# a worker thread, and each such hop (a thread wake-up and two GIL hand-overs) costs more
# than the work itself on a busy machine.


async def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


async def get_uow(vault: Annotated[Vault, Depends(get_vault)]) -> AsyncIterator[UnitOfWork]:
    """Commits when the endpoint returns, before the response is sent; rolls back (and
    deletes the blobs written) when it raises. Audit entries are written either way.

    Opening a unit of work touches no database (the connection is taken at the first
    statement), so only its end goes to a worker thread; shielded, so a client that hangs
    up cannot leave it open."""
    uow = vault.uows()
    try:
        yield uow
    except BaseException as exc:
        with CancelScope(shield=True):
            await run_in_threadpool(uow.__exit__, type(exc), exc, exc.__traceback__)
        raise
    else:
        with CancelScope(shield=True):
            await run_in_threadpool(_commit, uow)


def _commit(uow: UnitOfWork) -> None:
    with uow:
        uow.commit()


def get_actor(
    vault: Annotated[Vault, Depends(get_vault)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    uow: Annotated[UnitOfWork, Depends(get_uow, scope="function")],
) -> Actor:
    """The caller, checked against their account in the request's own transaction."""
    return check_caller(vault, credentials, uow)


def check_caller(
    vault: Vault, credentials: HTTPAuthorizationCredentials | None, uow: UnitOfWork
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("sign in: send Authorization: Bearer <access token>")
    actor = vault.auth.actor(uow, credentials.credentials)
    with timed("ratelimit"):
        vault.rate_limiter.check(actor.client_id or str(actor.account_id))
    return actor


async def read_in_one_hop(
    vault: Vault,
    credentials: HTTPAuthorizationCredentials | None,
    read: Callable[[UnitOfWork, Actor], BaseModel],
    *,
    writes_nothing: bool = False,
) -> Response:
    """A hot read as one trip to a worker thread: the caller's check, the use case, the
    commit with its durable audit entry, and the JSON, where the usual dependencies
    (`UowDep`, `ActorDep`, a plain `def` route and its response check) take four. The route
    declares its `response_model` for the contract; `read` returns an instance of it.
    `writes_nothing`: the read (and the caller's check) only reads, so its statements may
    each run on their own (`UnitOfWork.read_only`)."""

    def run() -> bytes:
        with vault.uows() as uow:
            if writes_nothing:
                uow.read_only()
            actor = check_caller(vault, credentials, uow)
            with timed_besides_sql("service"):
                model = read(uow, actor)
            uow.commit()  # the audit entry is durable before the answer leaves
        with timed("serialise"):
            return model.__pydantic_serializer__.to_json(model)

    return Response(await run_in_threadpool(run), media_type="application/json")


CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require_roles(*roles: Role) -> Any:
    """A route dependency: the caller holds one of `roles`, checked before the body is
    validated (a caller without the role gets 403, never a 422 about a body they may not
    send). The domain checks again; this only decides first."""

    def check(actor: Annotated[Actor, Depends(get_actor)]) -> None:
        actor.require(*roles)

    return Depends(check)


def require_owner() -> Any:
    """A route dependency: the caller is an owner (a citizen or an organisation's account),
    checked before the body is validated. The domain checks again."""

    def check(actor: Annotated[Actor, Depends(get_actor)]) -> None:
        if actor.kind is not ActorKind.OWNER or actor.owner_id is None:
            raise PermissionDenied("only the owner themselves may do this")

    return Depends(check)


async def only_declared_query(request: Request) -> None:
    """The API's routes refuse query parameters they do not declare (422 naming it): a
    misspelt filter (`?paper_typ=…`) would otherwise be ignored silently and return more
    than the caller asked for."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared: set[str] = set()
    pending = [dependant]
    while pending:  # the route's own parameters and its dependencies'
        current = pending.pop()
        declared.update(param.alias for param in current.query_params)
        pending.extend(current.dependencies)
    for name in request.query_params:
        if name not in declared:
            raise InvalidInput(name or "query", "this query parameter is not one the route takes")


def limit_by_address(request: Request, vault: Annotated[Vault, Depends(get_vault)]) -> None:
    """For the sign-in endpoints, which have no caller yet: slows password guessing."""
    vault.rate_limiter.check("addr:" + (request.client.host if request.client else "?"))


VaultDep = Annotated[Vault, Depends(get_vault)]
# scope="function": the commit happens before the response leaves, so a failed commit is
# an error response, never a 201 for something that was not stored.
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
ActorDep = Annotated[Actor, Depends(get_actor)]
