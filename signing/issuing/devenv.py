"""The vault's signer settings for the embedded development default (NOT FOR PRODUCTION).

`vault signing-serve` without a credentials file provisions the development PKI and a
SoftHSM2 token and writes `dev-credentials.json` (public PINs, the TSA URL, the root). The
vault started by `./scripts/run` reads that manifest here, so the officer console and the
signing endpoints work out of the box; production configures `VAULT_SIGNER_*` instead.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from signing.issuing.signer_settings import SealCredential, SignerSettings
from vault.settings import Environment


class DevSigningUnavailable(RuntimeError):
    """The development signing service did not come up in time."""


def wait_for_dev_service(manifest: Path, service_url: str, timeout: float = 120.0) -> None:
    """Blocks until the manifest exists and the CSC service answers `info`: the service
    writes the manifest once its PKI and token are ready, then starts listening."""
    deadline = time.monotonic() + timeout
    if not service_url.startswith(("http://", "https://")):
        raise ValueError("the signing service URL must be http(s)")
    info = service_url.rstrip("/") + "/csc/v1/info"
    while True:
        if manifest.exists():
            try:
                request = urllib.request.Request(info, data=b"{}", method="POST")  # noqa: S310
                request.add_header("Content-Type", "application/json")
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
        if time.monotonic() > deadline:
            raise DevSigningUnavailable(
                f"the development signing service at {service_url} did not start within "
                f"{timeout:.0f} s (is softhsm2 installed? see var/signing-serve.log)"
            )
        time.sleep(0.25)


def dev_signer_settings(
    manifest: Path,
    *,
    service_url: str,
    officers: Mapping[str, str],
    seals: Mapping[str, str],
    public_base_url: str,
) -> SignerSettings:
    """`officers`: username -> credential id; `seals`: agency code -> credential id. PINs
    and OTP secrets of the seals come from the manifest (development: they are public)."""
    data = json.loads(manifest.read_text(encoding="utf-8"))
    credentials = data["credentials"]
    return SignerSettings(
        env=Environment.DEVELOPMENT,
        service_url=service_url,
        client_token=SecretStr(data["client"]["token"]),
        tsa_url=data["tsa_url"],
        trust_roots=[Path(data["root_certificate"])],
        officers=dict(officers),
        seals={
            agency: SealCredential(
                credential_id=credential_id,
                pin=SecretStr(credentials[credential_id]["pin"]),
                otp_secret=(
                    SecretStr(credentials[credential_id]["otp_secret_base32"])
                    if credentials[credential_id]["otp_secret_base32"]
                    else None
                ),
            )
            for agency, credential_id in seals.items()
        },
        public_base_url=public_base_url,
    )
