"""The vault's signing use cases, built once per process beside the `Vault` runtime.

    signing = VaultSigning.build(vault, SignerSettings())   # at start-up
    signing.results.sign(...); signing.copies.certify(...)  # per request
    signing.close()                                          # at shutdown

The network side (`RemotePdfSigner`: its event loop thread, HTTP session and timestamper)
exists only when a signing service is configured. The public verification of certified
copies needs only a verifier (`signing.verify.Verifier`): the API hands in its one verifier
(`api.app`, the same the verification routes use); built without one (tests, scripts), it
makes one with a single worker over the signer's trust roots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from signing.issuing.certification import CertificationService
from signing.issuing.export_job import VaultSealer
from signing.issuing.pades import RemotePdfSigner
from signing.issuing.proof_bundle import ProofBundleService
from signing.issuing.public_view import verifier_checker
from signing.issuing.result_signing import ResultSigningService
from signing.issuing.signer_settings import SignerSettings
from signing.verify import TrustSettings, Verifier
from vault.content import ContentLimits
from vault.runtime import Vault


@dataclass
class VaultSigning:
    settings: SignerSettings
    results: ResultSigningService
    copies: CertificationService
    signer: RemotePdfSigner | None
    verifier: Verifier | None
    bundles: ProofBundleService
    sealer: VaultSealer
    _owns_verifier: bool = False

    @classmethod
    def build(
        cls,
        vault: Vault,
        settings: SignerSettings | None = None,
        *,
        verifier: Verifier | None = None,
    ) -> VaultSigning:
        settings = settings or SignerSettings()
        signer = RemotePdfSigner(settings) if settings.enabled else None
        owns = verifier is None and bool(settings.trust_roots)
        if owns:
            # Lazily started: no worker process until the first public check.
            verifier = Verifier(TrustSettings.from_files(settings.trust_roots), workers=1)

        def identify(credential_ids: Sequence[str]) -> list[str]:
            assert signer is not None
            return [who.common_name for who in signer.preflight(credential_ids)]

        limits = ContentLimits(vault.settings.max_image_pixels, vault.settings.max_pdf_pages)
        copies = CertificationService(
            vault.documents,
            settings,
            signer,
            limits,
            max_total_bytes=vault.settings.max_upload_bytes,
            checker=verifier_checker(verifier) if verifier is not None else None,
            identify=identify if signer is not None else None,
        )
        # The vault's own statements share the seal's one-time passwords with the copies.
        sealer = VaultSealer(settings, signer, otp_source=copies.seal_otp)
        return cls(
            settings=settings,
            results=ResultSigningService(vault.documents, vault.access, settings, signer),
            copies=copies,
            signer=signer,
            verifier=verifier,
            bundles=ProofBundleService(vault.documents, settings, signer, sealer),
            sealer=sealer,
            _owns_verifier=owns,
        )

    def close(self) -> None:
        if self.signer is not None:
            self.signer.close()
        if self._owns_verifier and self.verifier is not None:
            self.verifier.close()
