"""PAdES signatures made through the remote signing service (CSC API), with pyHanko.

`RemotePdfSigner` is built once per process. It owns one event loop thread and, on it, one
aiohttp session that every network call shares (CSC, TSA, OCSP, CRLs), and one
`HTTPTimeStamper`: pyHanko asks the TSA for a throw-away timestamp to size the signature
container, and caches it in the timestamper, so a shared one pays that round trip once per
process instead of once per document. Synchronous callers (the API's worker threads, the CLI)
hand it coroutines and wait.

Levels: B-T (signature timestamp) by default; B-LT adds the revocation data of the signer's
and the TSA's chains to the document security store, so the signature can be checked offline
years later; `add_archive_timestamp` takes a document to B-LTA.

Before each signature the signer's certificate is validated against the configured roots,
with revocation checked (OCSP/CRL, hard-fail): a revoked or expired certificate signs nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import math
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError, extract_certificate_info
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from signing.issuing.pdf_text import ScaledGlyphAccumulatorFactory
from signing.issuing.signer_settings import SignerSettings
from signing.totp import totp, totp_step
from vault import metrics
from vault.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    RateLimited,
    UnreadableContent,
    VaultError,
)

log = logging.getLogger("signing.pades")
T = TypeVar("T")

# Việt Nam keeps UTC+7 all year (no daylight saving): a fixed offset is exact.
VIETNAM_TIME = timezone(timedelta(hours=7), "GMT+7")
MD_ALGORITHM = "sha256"
KEEPALIVE_SECONDS = 4.0  # below every server keep-alive we talk to (uvicorn: 5 s)
STAMP_TEXT = "Ký số bởi: %(signer)s\nCơ quan: %(agency)s\nThời gian: %(when)s"


# -- errors (vault errors: the API maps them without knowing this module) ---------------------


class SigningUnavailable(VaultError):
    """The signing service, the TSA or a revocation responder failed or could not be reached."""


class SigningNotConfigured(SigningUnavailable):
    """This vault has no signing service configured (VAULT_SIGNER_SERVICE_URL)."""


class NoSigningCredential(PermissionDenied):
    """The officer (or office) has no credential in the signing service."""


class SigningCredentialBlocked(PermissionDenied):
    """The signing service refuses the credential: locked after wrong PINs, or unusable."""


class SignerCertificateRejected(Conflict):
    """The signer's certificate is revoked, expired or does not chain to a trusted root."""


# -- what to sign -----------------------------------------------------------------------------


class PadesLevel(StrEnum):
    B_T = "B-T"  # signature timestamp
    B_LT = "B-LT"  # + the revocation data, in the document security store


@dataclass(frozen=True)
class VisibleStamp:
    """The signature's appearance: who signed, for which agency, when (in Vietnamese)."""

    agency: str
    page: int = -1  # of a new field; -1: the last page
    box: tuple[int, int, int, int] | None = (340, 30, 565, 100)  # None: the field's own


@dataclass(frozen=True)
class SignatureSpec:
    credential_id: str
    pin: str | None = field(default=None, repr=False)
    otp: Callable[[], str] | None = field(default=None, repr=False)
    field_name: str = "Signature1"
    level: PadesLevel = PadesLevel.B_T
    stamp: VisibleStamp | None = None
    # A certification signature (DocMDP): FILL_FORMS keeps later signatures and the
    # long-term validation updates allowed, and nothing else.
    certify: bool = False
    reason: str | None = None
    location: str | None = None
    # A wrong PIN is the person's mistake (422 on "pin"); for an office seal signing
    # unattended it is the vault's configuration that is wrong.
    factors_from_user: bool = True


@dataclass(frozen=True)
class SignerIdentity:
    credential_id: str
    common_name: str
    not_after: datetime


class TotpSource:
    """One-time passwords for a credential that signs unattended (an office seal).

    The signing service accepts each 30-second step once, within one step of its clock; this
    hands out the steps in order, never one twice, and waits when both usable steps are
    spent. One process per seal: two processes would hand out the same step.
    """

    def __init__(
        self,
        secret: bytes,
        *,
        period: int = 30,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._secret = secret
        self._period = period
        self._clock = clock
        self._sleep = sleep
        self._last: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "TotpSource(...)"

    def __call__(self) -> str:
        with self._lock:
            while True:
                now = totp_step(self._clock(), self._period)
                step = now if self._last is None else max(now, self._last + 1)
                if step <= now + 1:
                    self._last = step
                    return totp(self._secret, step)
                self._sleep((step - 1) * self._period - self._clock() + 0.05)


# -- long-term upkeep -------------------------------------------------------------------------


@dataclass(frozen=True)
class Protection:
    """How long a signed document's evidence holds: the level and the first expiry that
    matters (the newest document timestamp's TSA certificate; without one, the earliest of
    the signers' and their timestamps' certificates)."""

    level: str  # "B-T", "B-LT" or "B-LTA"
    expires: datetime
    signatures: int


def _common_name(cert: asn1_x509.Certificate) -> str:
    name = cert.subject.native.get("common_name")
    if isinstance(name, list):
        name = name[0]
    return str(name or cert.subject.human_friendly)


def load_trust_roots(paths: Sequence[Path]) -> list[asn1_x509.Certificate]:
    roots = []
    for path in paths:
        for cert in x509.load_pem_x509_certificates(path.read_bytes()):
            roots.append(asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)))
    return roots


def protection(pdf: bytes) -> Protection | None:
    """The level and expiry of a signed PDF's evidence; None if it carries no signature."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    regular = list(reader.embedded_regular_signatures)
    if not regular:
        return None
    stamps = list(reader.embedded_timestamp_signatures)
    if stamps:
        return Protection("B-LTA", stamps[-1].signer_cert.not_valid_after, len(regular))
    expiries = []
    for sig in regular:
        expiries.append(sig.signer_cert.not_valid_after)
        for tst in extract_tst_data_iter(sig.signer_info, signed=False):
            expiries.append(extract_certificate_info(tst).signer_cert.not_valid_after)
    has_dss = "/DSS" in reader.root
    return Protection("B-LT" if has_dss else "B-T", min(expiries), len(regular))


# -- the signer -------------------------------------------------------------------------------


class _LoopThread:
    """An event loop in a daemon thread, for synchronous callers."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="remote-pdf-signer", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure())
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise SigningUnavailable(f"signing took longer than {timeout:g} s") from exc

    def close(self, cleanup: Callable[[], Coroutine[Any, Any, None]]) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(cleanup(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


class _Authorization(CSCAuthorizationManager):
    """Gets a SAD bound to the hashes being signed (SCAL 2) with the PIN and OTP, and keeps
    the service's refusal as a typed error: pyHanko turns any failure into a bare
    "No signing results available"."""

    def __init__(
        self,
        info: CSCServiceSessionInfo,
        credential: CSCCredentialInfo,
        session: aiohttp.ClientSession,
        spec: SignatureSpec,
        timeout: float,
    ) -> None:
        super().__init__(info, credential)
        self._session = session
        self._spec = spec
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.failure: VaultError | None = None

    def __repr__(self) -> str:
        return f"_Authorization({self._spec.credential_id!r})"

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        spec = self._spec
        request = self.format_csc_auth_request(
            pin=spec.pin, otp=spec.otp() if spec.otp else None, hash_b64s=hash_b64s
        )
        info = self.csc_session_info
        url = f"{info.service_url}/csc/{info.api_ver}/credentials/authorize"
        try:
            async with self._session.post(
                url, headers=self.auth_headers, json=request, timeout=self._timeout
            ) as response:
                data = await response.json(content_type=None)
                if response.status != 200:
                    self.failure = _refusal(response, data, spec)
                    raise SigningError(self.failure.detail)
        except aiohttp.ClientError as exc:
            self.failure = SigningUnavailable("the signing service could not be reached")
            raise SigningError(self.failure.detail) from exc
        return self.parse_csc_auth_response(data)


def _refusal(response: aiohttp.ClientResponse, data: Any, spec: SignatureSpec) -> VaultError:
    error = data.get("error") if isinstance(data, dict) else None
    if error in ("invalid_pin", "invalid_otp"):
        factor = "pin" if error == "invalid_pin" else "otp"
        if spec.factors_from_user:
            return InvalidInput(factor, f"the signing service refused the {factor.upper()}")
        return SigningUnavailable(
            f"the signing service refused the configured {factor.upper()} of credential "
            f"{spec.credential_id}"
        )
    if error == "slow_down":
        wait = response.headers.get("Retry-After", "1")
        retry = int(wait) if wait.isdigit() else 1
        return RateLimited("too soon after a wrong PIN: try again later", max(1, retry))
    if response.status == 403:
        return SigningCredentialBlocked(
            f"the signing service refuses credential {spec.credential_id} "
            "(locked after wrong PINs, or its certificate is unusable)"
        )
    return SigningUnavailable(f"the signing service refused to authorize ({response.status})")


class RemotePdfSigner:
    """Signs PDFs with credentials of the remote signing service. One per process."""

    def __init__(self, settings: SignerSettings) -> None:
        if not settings.enabled:
            raise SigningNotConfigured("no signing service is configured")
        assert settings.service_url is not None and settings.tsa_url is not None
        self._service_url = settings.service_url
        self._token = settings.client_token
        self._tsa_url = settings.tsa_url
        self._timeout = settings.timeout_seconds
        self._cache_seconds = settings.credential_cache_seconds
        self.trust_roots = load_trust_roots(settings.trust_roots)
        self._font = str(settings.font_file)
        self._loop = _LoopThread()
        # Only touched on the loop thread.
        self._session: aiohttp.ClientSession | None = None
        self._timestamper: HTTPTimeStamper | None = None
        self._credentials: dict[str, tuple[float, CSCCredentialInfo]] = {}
        # fontTools reports every table it does not subset (e.g. FFTM): noise on each stamp.
        logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

    def close(self) -> None:
        self._loop.close(self._close_session)

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coro, self._timeout)

    # -- shared clients (loop thread) ----------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Idle connections are dropped well before the signing service's keep-alive
            # (30 s; uvicorn's default was 5 s): reusing one the server is closing at that
            # moment failed a signature with ServerDisconnectedError.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            )
        return self._session

    def _tsa(self) -> HTTPTimeStamper:
        if self._timestamper is None:
            self._timestamper = HTTPTimeStamper(
                self._tsa_url, session=self._http(), timeout=math.ceil(self._timeout)
            )
        return self._timestamper

    def _validation_context(self) -> ValidationContext:
        """Fresh revocation data, fetched over the shared session; hard-fail."""
        return ValidationContext(
            trust_roots=list(self.trust_roots),
            allow_fetching=True,
            revocation_mode="hard-fail",
            fetcher_backend=AIOHttpFetcherBackend(self._http()),
        )

    def _session_info(self, credential_id: str) -> CSCServiceSessionInfo:
        return CSCServiceSessionInfo(
            self._service_url, credential_id, oauth_token=self._token.get_secret_value()
        )

    async def _credential(self, credential_id: str) -> CSCCredentialInfo:
        cached = self._credentials.get(credential_id)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            info = await fetch_certs_in_csc_credential(
                self._http(), self._session_info(credential_id), timeout=int(self._timeout)
            )
        except SigningError as exc:
            cause = exc.__cause__
            status = getattr(cause, "status", None)
            if status == 400:
                raise NoSigningCredential(
                    f"the signing service has no credential {credential_id} for this vault"
                ) from exc
            raise SigningUnavailable("the signing service did not describe the credential") from exc
        self._credentials[credential_id] = (time.monotonic(), info)
        return info

    # -- checks before signing -----------------------------------------------------------------

    async def _checked(self, credential_id: str, vc: ValidationContext) -> CSCCredentialInfo:
        info = await self._credential(credential_id)
        validator: Any = CertificateValidator(  # its coroutines carry no annotations
            info.signing_cert, intermediate_certs=info.chain, validation_context=vc
        )
        try:
            await validator.async_validate_usage({"non_repudiation"})
        except RevokedError as exc:
            raise SignerCertificateRejected(
                f"the certificate of credential {credential_id} is revoked"
            ) from exc
        except (ExpiredError, NotYetValidError) as exc:
            raise SignerCertificateRejected(
                f"the certificate of credential {credential_id} is not valid now"
            ) from exc
        except (PathBuildingError, PathValidationError, ValidationError) as exc:
            # Includes revocation data that could not be fetched: hard-fail, never sign blind.
            raise SignerCertificateRejected(
                f"the certificate of credential {credential_id} could not be validated "
                f"({type(exc).__name__})"
            ) from exc
        return info

    async def _preflight(self, credential_ids: Sequence[str]) -> list[SignerIdentity]:
        vc = self._validation_context()
        identities = []
        for credential_id in credential_ids:
            info = await self._checked(credential_id, vc)
            identities.append(
                SignerIdentity(
                    credential_id,
                    _common_name(info.signing_cert),
                    info.signing_cert.not_valid_after,
                )
            )
        return identities

    def preflight(self, credential_ids: Sequence[str]) -> list[SignerIdentity]:
        """Who each credential signs as; raises if one is unknown, revoked or expired."""
        return self._run(self._preflight(credential_ids))

    # -- signing -------------------------------------------------------------------------------

    def _stamp_style(self) -> TextStampStyle:
        return TextStampStyle(
            stamp_text=STAMP_TEXT,
            border_width=1,
            text_box_style=TextBoxStyle(
                font=ScaledGlyphAccumulatorFactory(self._font, font_size=8), font_size=8, leading=10
            ),
        )

    async def _sign_one(self, pdf: bytes, spec: SignatureSpec, vc: ValidationContext) -> bytes:
        info = await self._checked(spec.credential_id, vc)
        manager = _Authorization(
            self._session_info(spec.credential_id), info, self._http(), spec, self._timeout
        )
        csc = CSCSigner(self._http(), auth_manager=manager, sign_timeout=int(self._timeout))
        lt = spec.level is PadesLevel.B_LT
        meta = signers.PdfSignatureMetadata(
            field_name=spec.field_name,
            md_algorithm=MD_ALGORITHM,
            subfilter=SigSeedSubFilter.PADES,
            certify=spec.certify,
            docmdp_permissions=MDPPerm.FILL_FORMS,
            reason=spec.reason,
            location=spec.location,
            # With a validation context pyHanko checks the signer (and TSA) chains before
            # signing; B-LT also writes what it fetched into the DSS.
            validation_context=vc,
            embed_validation_info=lt,
            signer_key_usage={"non_repudiation"},
        )
        new_field = None
        stamp = spec.stamp
        if stamp is not None and stamp.box is not None:
            new_field = SigFieldSpec(spec.field_name, on_page=stamp.page, box=stamp.box)
        pdf_signer = signers.PdfSigner(
            meta,
            csc,
            timestamper=self._tsa(),
            stamp_style=self._stamp_style() if stamp is not None else None,
            new_field_spec=new_field,
        )
        params = None
        if stamp is not None:
            when = datetime.now(VIETNAM_TIME).strftime("%H:%M:%S %d/%m/%Y (GMT+7)")
            params = {"agency": stamp.agency, "when": when}
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            out = await pdf_signer.async_sign_pdf(writer, appearance_text_params=params)
        except SigningError as exc:
            if manager.failure is not None:
                raise manager.failure from exc
            raise SigningUnavailable(f"signing failed: {exc}") from exc
        except TimestampRequestError as exc:
            raise SigningUnavailable("the timestamp authority did not answer") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SigningUnavailable("a signing dependency could not be reached") from exc
        except PdfError as exc:
            raise UnreadableContent(f"the PDF cannot be signed: {exc}") from exc
        return bytes(out.getvalue())

    async def _sign(self, pdf: bytes, specs: Sequence[SignatureSpec]) -> bytes:
        vc = self._validation_context()  # one per document: revocation data fetched once
        for spec in specs:
            pdf = await self._sign_one(pdf, spec, vc)
        return pdf

    def sign(self, pdf: bytes, specs: Sequence[SignatureSpec]) -> bytes:
        """Applies the signatures in order (each an incremental update) and returns the
        signed PDF. Nothing is returned half-signed: any failure raises."""
        started = time.monotonic()
        try:
            signed = self._run(self._sign(pdf, specs))
        except Exception:
            metrics.signatures_made.labels("failed").inc(len(specs))
            raise
        metrics.signatures_made.labels("made").inc(len(specs))
        metrics.signing_seconds.observe(time.monotonic() - started)
        return signed

    async def _sign_data(self, data: bytes, spec: SignatureSpec) -> bytes:
        vc = self._validation_context()
        info = await self._checked(spec.credential_id, vc)
        manager = _Authorization(
            self._session_info(spec.credential_id), info, self._http(), spec, self._timeout
        )
        csc = CSCSigner(self._http(), auth_manager=manager, sign_timeout=int(self._timeout))
        try:
            cms = await csc.async_sign_general_data(
                data, MD_ALGORITHM, detached=True, use_cades=True, timestamper=self._tsa()
            )
        except SigningError as exc:
            if manager.failure is not None:
                raise manager.failure from exc
            raise SigningUnavailable(f"signing failed: {exc}") from exc
        except TimestampRequestError as exc:
            raise SigningUnavailable("the timestamp authority did not answer") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SigningUnavailable("a signing dependency could not be reached") from exc
        return bytes(cms.dump())

    def sign_data(self, data: bytes, spec: SignatureSpec) -> bytes:
        """A detached CMS (CAdES-T: a signature timestamp from the TSA) over `data`, DER."""
        return self._run(self._sign_data(data, spec))

    # -- long-term -----------------------------------------------------------------------------

    async def _archive(self, pdf: bytes) -> bytes:
        from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        vc = self._validation_context()
        paths = []
        # Revocation data for every signature, its timestamp, and earlier document
        # timestamps: a B-T document becomes B-LT in the same update.
        for sig in reader.embedded_signatures:
            paths.extend(await collect_validation_info(sig, vc))
        output = io.BytesIO()
        output.write(pdf)  # in-place updates append at the stream's position: the end
        writer = IncrementalPdfFileWriter(output, strict=False)
        DocumentSecurityStore.supply_dss_in_writer(
            writer, sig_contents=None, paths=paths, validation_context=vc
        )
        stamper = PdfTimeStamper(self._tsa(), readable_field_name="Dấu thời gian lưu trữ")
        try:
            await stamper.async_timestamp_pdf(writer, MD_ALGORITHM, vc, in_place=True)
        except TimestampRequestError as exc:
            raise SigningUnavailable("the timestamp authority did not answer") from exc
        return output.getvalue()

    def add_archive_timestamp(self, pdf: bytes) -> bytes:
        """B-LTA: the validation data of everything signed so far, then a document
        timestamp over it all (and the timestamp's own validation data after it)."""
        try:
            return self._run(self._archive(pdf))
        except (PathBuildingError, PathValidationError, ValidationError) as exc:
            raise SignerCertificateRejected(
                f"a certificate in the document cannot be validated now ({type(exc).__name__})"
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SigningUnavailable("a revocation responder could not be reached") from exc
