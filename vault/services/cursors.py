"""Opaque page cursors over time-ordered ids."""

from __future__ import annotations

import base64
import binascii
import uuid

from vault.errors import InvalidInput


def encode(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput("cursor", "the cursor is not one this server handed out") from exc


def check_limit(limit: int, maximum: int = 200) -> int:
    if not 1 <= limit <= maximum:
        raise InvalidInput("limit", f"limit must be between 1 and {maximum}")
    return limit
