"""Schemas of sign-in errors, account switching and an account's own sign-in events."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vault.domain import AuditEntry, ThrottleState


class OAuthError(BaseModel):
    """RFC 6749 §5.2: what the token endpoint answers when it issues no token."""

    error: str = Field(examples=["invalid_client"])
    error_description: str


class AccountStatusOut(BaseModel):
    username: str
    active: bool


class ClientStatusOut(BaseModel):
    client_id: str
    agency_code: str
    active: bool


class SignInEventOut(BaseModel):
    seq: int
    at: datetime
    action: str
    outcome: str
    detail: str | None
    client_id: str | None

    @classmethod
    def of(cls, e: AuditEntry) -> SignInEventOut:
        return cls(
            seq=e.seq,
            at=e.at,
            action=e.action,
            outcome=e.outcome,
            detail=e.detail,
            client_id=e.client_id,
        )


class ThrottleOut(BaseModel):
    failures: int = Field(description="failed sign-ins in a row, until a success")
    last_failure_at: datetime
    locked_until: datetime | None

    @classmethod
    def of(cls, t: ThrottleState) -> ThrottleOut:
        return cls(
            failures=t.failures, last_failure_at=t.last_failure_at, locked_until=t.locked_until
        )


class SignInsOut(BaseModel):
    throttle: ThrottleOut | None = Field(
        description="where the throttle on your password sign-in stands (null: no failures)"
    )
    items: list[SignInEventOut]
    next_cursor: str | None
