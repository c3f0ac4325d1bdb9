"""Sign-in throttling per account and per client: backoff, then a temporary lockout.

The counts live in the database (`sign_in_throttles`), so every API process sees the same
ones. A subject is "user:<username>" (for a username with no account too: the answers must not
tell which usernames exist) or "client:<client id>". After `free_failures` failures in a row,
each further attempt waits 1, 2, 4 … seconds (at most `max_backoff_seconds`) after the last
failure; at `lock_after` failures the subject is locked out for `lockout_seconds`. An attempt
that comes too early is refused before any password is checked (`RateLimited`, i.e. 429 with
Retry-After). A success clears the count; failures older than the lockout are forgotten.

Failures are counted in their own transaction: the sign-in request itself rolls back.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vault.db import UnitOfWork
from vault.domain import ThrottleState
from vault.errors import RateLimited


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int = 5
    lock_after: int = 10
    lockout_seconds: int = 900
    max_backoff_seconds: int = 60
    first_backoff_seconds: float = 1.0

    def backoff(self, failures: int) -> float:
        """Seconds after the last of `failures` failures in a row before another attempt."""
        if failures < self.free_failures:
            return 0.0
        delay = self.first_backoff_seconds * 2 ** (failures - self.free_failures)
        return float(min(delay, self.max_backoff_seconds))

    @property
    def memory(self) -> timedelta:
        """Failures older than this (since the last one) no longer count."""
        return timedelta(seconds=self.lockout_seconds)


def user_subject(username: str) -> str:
    return "user:" + username


def client_subject(client_id: str) -> str:
    return "client:" + client_id


class SignInThrottle:
    PURGE_EVERY = 60.0  # seconds between clean-ups of forgotten subjects, per process

    def __init__(self, uows: Callable[[], UnitOfWork], policy: ThrottlePolicy) -> None:
        self._uows = uows
        self.policy = policy
        self._purged = 0.0
        self._lock = threading.Lock()

    def wait(self, state: ThrottleState | None, now: datetime) -> int:
        """Whole seconds before `state`'s subject may try again; 0: now."""
        if state is None:
            return 0
        if state.locked_until is not None and now < state.locked_until:
            return _ceil(state.locked_until - now)
        if state.last_failure_at < now - self.policy.memory:
            return 0
        ready = state.last_failure_at + timedelta(seconds=self.policy.backoff(state.failures))
        return _ceil(ready - now) if ready > now else 0

    def check(self, uow: UnitOfWork, subject: str, now: datetime) -> ThrottleState | None:
        """The subject's state; RateLimited if it must wait (backing off or locked out)."""
        state = uow.auth_state.throttle(subject)
        wait = self.wait(state, now)
        if wait > 0:
            locked = state is not None and state.locked_until is not None
            why = "locked out after too many failed sign-ins" if locked else "too many failed"
            raise RateLimited(f"{why}: try again in {wait} s", retry_after=wait)
        return state

    def failed(self, subject: str, now: datetime) -> bool:
        """Counts a failure (committed at once, whatever the request does next); True when
        this failure locks the subject out."""
        with self._uows() as own:
            failures = own.auth_state.count_failure(
                subject, now, forget_before=now - self.policy.memory
            )
            locks = failures >= self.policy.lock_after
            if locks:
                own.auth_state.lock(subject, now + timedelta(seconds=self.policy.lockout_seconds))
            if self._purge_due():
                own.auth_state.forget_throttles(now - self.policy.memory)
            own.commit()
        return locks

    def succeeded(self, uow: UnitOfWork, subject: str, state: ThrottleState | None) -> None:
        if state is not None:
            uow.auth_state.clear_throttle(subject)

    def _purge_due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._purged < self.PURGE_EVERY:
                return False
            self._purged = now
            return True


def _ceil(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
