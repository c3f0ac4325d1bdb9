"""Outbound integrations: the outside systems the vault calls, each behind an interface.

Like `vault.storage` (a BlobStore with folder and S3 adapters), each system is a
typing.Protocol with an HTTP adapter: `NationalPortal` (the National Public Service Portal's
dossier sync) and `PeerVault` (another province's vault). Their shared footing is in
`base` (errors, retry policy, timeouts, the client-authentication interface), `http` (one
call with timeouts, safe retries and clean logs) and `auth` (bearer token, private_key_jwt).
Outbound calls import httpx here only (an import-linter contract; the console's OIDC
sign-in, vault.auth.oidc_flow, is the older exception); `config` builds the adapters from
Settings.
"""

from vault.integrations.base import (
    ClientAuth,
    IntegrationError,
    IntegrationProtocolError,
    IntegrationRefused,
    IntegrationUnavailable,
    RetryPolicy,
    Timeouts,
)
from vault.integrations.peer import DocumentRef, PeerVault, ReuseCandidate, ReuseRequest
from vault.integrations.portal import Acknowledgement, DossierEvent, NationalPortal

__all__ = [
    "Acknowledgement",
    "ClientAuth",
    "DocumentRef",
    "DossierEvent",
    "IntegrationError",
    "IntegrationProtocolError",
    "IntegrationRefused",
    "IntegrationUnavailable",
    "NationalPortal",
    "PeerVault",
    "RetryPolicy",
    "ReuseCandidate",
    "ReuseRequest",
    "Timeouts",
]
