"""The caller's side: pyHanko's stock `CSCSigner` against a CSC service such as ours.

pyHanko's `CSCSigner` calls `signatures/signHash` itself but leaves getting a SAD to a
`CSCAuthorizationManager`. `PinAuthorizationManager` calls `credentials/authorize` with the
holder's PIN (and OTP) for exactly the hashes about to be signed (SCAL 2), once per batch.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)


class PinAuthorizationManager(CSCAuthorizationManager):
    """Gets a SAD bound to the hashes being signed, with a PIN and/or a one-time password.

    `otp` is called for each authorization (a TOTP is good for one use).
    """

    def __init__(
        self,
        csc_session_info: CSCServiceSessionInfo,
        credential_info: CSCCredentialInfo,
        session: aiohttp.ClientSession,
        *,
        pin: str | None = None,
        otp: Callable[[], str] | None = None,
        timeout: float = 30,
    ) -> None:
        super().__init__(csc_session_info, credential_info)
        self._session = session
        self._pin = pin
        self._otp = otp
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def __repr__(self) -> str:
        return f"PinAuthorizationManager({self.csc_session_info.credential_id!r})"

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        request = self.format_csc_auth_request(
            pin=self._pin,
            otp=self._otp() if self._otp else None,
            hash_b64s=hash_b64s,
        )
        info = self.csc_session_info
        url = f"{info.service_url}/csc/{info.api_ver}/credentials/authorize"  # endpoint_url()
        try:
            async with self._session.post(
                url, headers=self.auth_headers, json=request, timeout=self._timeout
            ) as response:
                data = await response.json(content_type=None)
                if response.status != 200:
                    error = data.get("error") if isinstance(data, dict) else None
                    raise SigningError(f"authorization refused ({response.status} {error})")
        except aiohttp.ClientError as exc:
            raise SigningError("authorization request failed") from exc
        return self.parse_csc_auth_response(data)


async def csc_signer(
    session: aiohttp.ClientSession,
    service_url: str,
    credential_id: str,
    bearer_token: str,
    *,
    pin: str | None = None,
    otp: Callable[[], str] | None = None,
) -> CSCSigner:
    """A pyHanko signer for one credential of a CSC service: its certificates come from
    `credentials/info`, its SADs from `credentials/authorize` (see above)."""
    info = CSCServiceSessionInfo(service_url, credential_id, oauth_token=bearer_token)
    credential = await fetch_certs_in_csc_credential(session, info)
    manager = PinAuthorizationManager(info, credential, session, pin=pin, otp=otp)
    return CSCSigner(session, auth_manager=manager)
