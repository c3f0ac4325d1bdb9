"""Revoked access tokens, shared by every API process through the database.

Signing out revokes one token by its id (`jti`); disabling an account or a client revokes
every token issued to it until then, so re-enabling it later does not bring them back. Rows
are kept until the tokens they cover have expired. Checking a token is one primary-key look-up
of at most three keys (its id, its account, its client).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vault.db import UnitOfWork

MARGIN = timedelta(minutes=1)


def token_key(jti: str) -> str:
    return "jti:" + jti


def account_key(account_id: object) -> str:
    return f"account:{account_id}"


def client_key(client_id: str) -> str:
    return "client:" + client_id


def console_session_key(session_id: str) -> str:
    """A console session, by the random id its cookie seals."""
    return "console:" + session_id


def revoke_token(uow: UnitOfWork, claims: dict[str, Any], now: datetime) -> bool:
    """Revokes the token with these (verified) claims until it expires; False if it has no id."""
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        return False
    # Kept a minute past the expiry: verification allows a few seconds of clock skew.
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC) + MARGIN
    uow.auth_state.revoke(token_key(jti), now, expires)
    uow.auth_state.forget_revocations(now)
    return True


def revoke_all(uow: UnitOfWork, key: str, now: datetime, ttl_seconds: int) -> None:
    """Every token issued to `key` (an account or a client) up to now, for as long as any of
    them can live."""
    uow.auth_state.revoke(key, now, now + timedelta(seconds=ttl_seconds) + MARGIN)
    uow.auth_state.forget_revocations(now)


def keys_of(claims: dict[str, Any]) -> list[str]:
    """The revocation keys that may cover a token: its id, its account, its client."""
    keys = [account_key(claims["sub"])]
    jti = claims.get("jti")
    if isinstance(jti, str) and jti:
        keys.append(token_key(jti))
    client_id = claims.get("client_id")
    if isinstance(client_id, str) and client_id:
        keys.append(client_key(client_id))
    return keys


def is_revoked(uow: UnitOfWork, claims: dict[str, Any]) -> str | None:
    """Why the token with these claims is revoked, or None."""
    return why_revoked(claims, uow.auth_state.revocations(keys_of(claims)))


def why_revoked(claims: dict[str, Any], found: dict[str, datetime]) -> str | None:
    """Why the token is revoked, given the revocations found under its `keys_of`, or None."""
    if not found:
        return None
    if any(key.startswith("jti:") for key in found):
        return "the token was revoked at sign-out"
    # The vault's tokens carry `iat` to the millisecond (rounded down).
    issued = float(claims.get("iat", 0))
    for key, at in found.items():
        if issued <= at.timestamp():
            what = "client" if key.startswith("client:") else "account"
            return f"the token was revoked when its {what} was disabled"
    return None
