"""RFC 6238 one-time passwords (mã OTP), shared by both sides of the CSC protocol.

The signing server (`signing.csc_server.credentials`) checks an OTP against a credential's
secret; the vault's PAdES signer computes one for unattended sealing with
an OTP-protected credential. Neither side imports the other: both import this module.
"""

from __future__ import annotations

import hashlib
import hmac
import struct


def totp_step(when: float, period: int = 30) -> int:
    return int(when // period)


def totp(secret: bytes, step: int, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1, as authenticator apps compute it) for a time step."""
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"
