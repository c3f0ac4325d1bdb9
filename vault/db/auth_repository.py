"""Sign-in state shared by every API process: throttle counters and lockouts, revoked tokens,
accounts and clients switched on and off, an account's own sign-in events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vault.db.auth_models import SignInThrottleRow, TokenRevocationRow
from vault.db.models import AccountRow, ApiClientRow, AuditEntryRow
from vault.db.repositories import audit_from_row
from vault.db.repositories.accounts import account_from_row
from vault.domain import Account, AuditEntry, ThrottleState


class AuthStateRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _insert(self, table: Any) -> Any:
        # One atomic upsert on either backend (ON CONFLICT is spelt the same on both).
        dialect = self._s.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)

    # -- throttling ------------------------------------------------------------------------

    def throttle(self, subject: str) -> ThrottleState | None:
        row = self._s.get(SignInThrottleRow, subject)
        if row is None:
            return None
        return ThrottleState(row.subject, row.failures, row.last_failure_at, row.locked_until)

    def count_failure(self, subject: str, at: datetime, *, forget_before: datetime) -> int:
        """Counts one more failure (the count restarts when the last one is older than
        `forget_before`); returns the count, atomically under concurrent failures."""
        row = SignInThrottleRow
        stmt = self._insert(row).values(subject=subject, failures=1, last_failure_at=at)
        stmt = stmt.on_conflict_do_update(
            index_elements=[row.subject],
            set_={
                "failures": case((row.last_failure_at < forget_before, 1), else_=row.failures + 1),
                "last_failure_at": at,
            },
        ).returning(row.failures)
        return int(self._s.execute(stmt).scalar_one())

    def lock(self, subject: str, until: datetime) -> None:
        self._s.execute(
            update(SignInThrottleRow)
            .where(SignInThrottleRow.subject == subject)
            .values(locked_until=until)
        )

    def clear_throttle(self, subject: str) -> None:
        self._s.execute(delete(SignInThrottleRow).where(SignInThrottleRow.subject == subject))

    def forget_throttles(self, before: datetime) -> int:
        """Drops what no longer holds anyone back (the table stays small under floods of
        made-up usernames)."""
        result = self._s.execute(
            delete(SignInThrottleRow).where(
                SignInThrottleRow.last_failure_at < before,
                (SignInThrottleRow.locked_until.is_(None))
                | (SignInThrottleRow.locked_until < before),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # -- revoked tokens --------------------------------------------------------------------

    def revoke(self, key: str, at: datetime, expires_at: datetime) -> None:
        row = TokenRevocationRow
        stmt = self._insert(row).values(key=key, revoked_at=at, expires_at=expires_at)
        self._s.execute(
            stmt.on_conflict_do_update(
                index_elements=[row.key], set_={"revoked_at": at, "expires_at": expires_at}
            )
        )

    def revocations(self, keys: Sequence[str]) -> dict[str, datetime]:
        """When each of `keys` was revoked, for those that are: one primary-key look-up."""
        rows = self._s.execute(
            select(TokenRevocationRow.key, TokenRevocationRow.revoked_at).where(
                TokenRevocationRow.key.in_(list(keys))
            )
        )
        return {str(key): at for key, at in rows}

    def account_and_revocations(
        self, account_id: uuid.UUID, keys: Sequence[str]
    ) -> tuple[Account | None, dict[str, datetime]]:
        """An account and the revocations among `keys`, in one statement (a request's
        token check): the account's row once per revocation found, or once with none."""
        revoked = TokenRevocationRow
        rows = self._s.execute(
            select(AccountRow, revoked.key, revoked.revoked_at)
            .outerjoin(revoked, revoked.key.in_(list(keys)))
            .where(AccountRow.id == account_id)
        ).all()
        if not rows:
            return None, {}
        found = {str(key): at for _, key, at in rows if key is not None}
        return account_from_row(rows[0][0]), found

    def forget_revocations(self, now: datetime) -> None:
        self._s.execute(delete(TokenRevocationRow).where(TokenRevocationRow.expires_at < now))

    # -- accounts and clients --------------------------------------------------------------

    def set_account_active(self, account_id: uuid.UUID, active: bool) -> None:
        self._s.execute(update(AccountRow).where(AccountRow.id == account_id).values(active=active))

    def set_client_active(self, client_id: str, active: bool) -> None:
        self._s.execute(
            update(ApiClientRow).where(ApiClientRow.client_id == client_id).values(active=active)
        )

    def sign_in_events(
        self, actor_id: str, actions: Sequence[str], *, before_seq: int | None, limit: int
    ) -> list[AuditEntry]:
        """The audit entries of these actions by this actor, newest first."""
        q = select(AuditEntryRow).where(
            AuditEntryRow.actor_id == actor_id, AuditEntryRow.action.in_(list(actions))
        )
        if before_seq is not None:
            q = q.where(AuditEntryRow.seq < before_seq)
        return [
            audit_from_row(r)
            for r in self._s.scalars(q.order_by(AuditEntryRow.seq.desc()).limit(limit))
        ]
