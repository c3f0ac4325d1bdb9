"""Plain types of the audit log, shared by the log and its repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Anchor:
    """An RFC 3161 timestamp over the chain head at entry `seq`."""

    seq: int
    hash: str
    tsa_url: str
    token: bytes  # DER TimeStampToken
    gen_time: datetime
