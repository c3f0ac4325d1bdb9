"""Sign-in state every API process shares: throttled sign-in subjects and revoked tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vault.db.base import Base, UTCDateTime


class SignInThrottleRow(Base):
    """Failed sign-ins of one subject ("user:<username>" or "client:<client id>") in a row:
    the backoff and the lockout are decided from these."""

    __tablename__ = "sign_in_throttles"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TokenRevocationRow(Base):
    """A revoked token ("jti:<id>", at sign-out), or every token issued up to `revoked_at` to
    an account or a client ("account:<uuid>", "client:<id>", when it is disabled). Kept until
    `expires_at`, when every token it covers has expired anyway."""

    __tablename__ = "token_revocations"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateLimitRow(Base):
    """A client's place in the shared rate limiter (vault.db.rate_limit_store): its GCRA
    theoretical arrival time, in seconds since the epoch. Unlogged on PostgreSQL."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tat: Mapped[float] = mapped_column(Double)
