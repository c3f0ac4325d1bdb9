"""The development PKI — NOT FOR PRODUCTION — and its HTTP services on loopback.

A root CA, an issuing CA, officer and agency-seal certificates (one revoked, one expired), an
RFC 3161 timestamp authority, an OCSP responder and CRLs, described by
`signing/csc_server/devpki/certomancer.yml` and issued by certomancer. `start_dev_pki` binds
a loopback port first and only then issues the certificates with that port in their URLs, so
the OCSP, CRL and CA-issuer links in them reach the in-process server and tests fetch real
timestamps and revocation data.

Production uses the licensed CA's certificates, TSA and OCSP: nothing here is used there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from asn1crypto import algos, keys
from certomancer import crypto_utils
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, PKIArchitecture
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from signing.csc_server.errors import ConfigurationError

CONFIG_FILE = Path(__file__).with_name("devpki") / "certomancer.yml"
ARCH = "vault-dev"

# Key of each certificate label: ("rsa", bits) or ("ec", curve).
KEY_SPECS: dict[str, tuple[str, int | str]] = {
    "root": ("rsa", 3072),
    "issuing": ("rsa", 2048),
    "tsa": ("rsa", 2048),
    "ocsp": ("rsa", 2048),
    "officer-an": ("rsa", 2048),
    "officer-binh": ("ec", "P-256"),
    "seal-h57": ("rsa", 3072),
    "officer-revoked": ("rsa", 2048),
    "officer-expired": ("rsa", 2048),
}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class _KeyCachingBackend(crypto_utils.PycaCryptographyBackend):
    """certomancer's pyca/cryptography backend, parsing each private key once.

    cryptography checks an RSA key's consistency on every load (~80 ms for RSA-3072 on this
    machine), and certomancer loads the key again for every certificate, CRL, OCSP response
    and timestamp it signs: a timestamp cost 80 ms instead of 2. The keys are the ones this
    module generated, so the check is skipped and each parsed key is kept.
    """

    def __init__(self) -> None:
        self._parsed: dict[bytes, PrivateKey] = {}
        self._lock = threading.Lock()

    def _parse(self, der_or_pem: bytes) -> PrivateKey:
        with self._lock:
            key = self._parsed.get(der_or_pem)
            if key is None:
                load = (
                    serialization.load_pem_private_key
                    if der_or_pem.lstrip().startswith(b"-----")
                    else serialization.load_der_private_key
                )
                loaded = load(der_or_pem, None, unsafe_skip_rsa_key_validation=True)
                if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                    raise ConfigurationError("the development PKI uses RSA and EC keys only")
                key = self._parsed[der_or_pem] = loaded
            return key

    def load_private_key(
        self, key_bytes: bytes, password: bytes | None
    ) -> tuple[keys.PrivateKeyInfo, keys.PublicKeyInfo]:
        if password is not None:
            return super().load_private_key(key_bytes, password)
        key = self._parse(key_bytes)
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._parse(der)  # what generic_sign will be handed
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return keys.PrivateKeyInfo.load(der), keys.PublicKeyInfo.load(public)

    def generic_sign(
        self,
        private_key: keys.PrivateKeyInfo,
        tbs_bytes: bytes,
        sd_algo: algos.SignedDigestAlgorithm,
    ) -> bytes:
        signature_algo = sd_algo.signature_algo
        if signature_algo not in ("rsassa_pkcs1v15", "ecdsa"):
            return super().generic_sign(private_key, tbs_bytes, sd_algo)
        key = self._parse(private_key.dump())
        digest: hashes.HashAlgorithm = getattr(hashes, sd_algo.hash_algo.upper())()
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(tbs_bytes, padding.PKCS1v15(), digest)
        return key.sign(tbs_bytes, ec.ECDSA(digest))


def _use_key_cache() -> None:
    # Process-wide, like certomancer's own default backend: only this PKI uses certomancer.
    if not isinstance(crypto_utils.CRYPTO_BACKEND, _KeyCachingBackend):
        crypto_utils.CRYPTO_BACKEND = _KeyCachingBackend()


def _generate_key(spec: tuple[str, int | str]) -> PrivateKey:
    kind, size = spec
    if kind == "rsa":
        assert isinstance(size, int)
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    return ec.generate_private_key(ec.SECP256R1())


def ensure_keys(key_dir: Path) -> None:
    """Generates the keys that `key_dir` lacks; keeps those already there (so a restarted
    development service keeps its root)."""
    key_dir.mkdir(parents=True, exist_ok=True)
    for label, spec in KEY_SPECS.items():
        path = key_dir / f"{label}.key.pem"
        if path.exists():
            continue
        pem = _generate_key(spec).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),  # development keys, in the run's own folder
        )
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never world-readable
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        tmp.replace(path)


class DevPki:
    """The issued development PKI: certificates, key files and service URLs."""

    def __init__(self, directory: Path, base_url: str) -> None:
        self.directory = directory.resolve()
        self.base_url = base_url.rstrip("/")
        ensure_keys(self.directory / "keys")
        _use_key_cache()
        config = CertomancerConfig.from_yaml(
            CONFIG_FILE.read_text(encoding="utf-8"),
            key_search_dir=str(self.directory),
            external_url_prefix=self.base_url,
        )
        self.config = config
        self.arch: PKIArchitecture = config.get_pki_arch(ArchLabel(ARCH))
        cert_dir = self.directory / "certs"
        cert_dir.mkdir(exist_ok=True)
        self._certs: dict[str, x509.Certificate] = {}
        # Issue everything now: the HTTP server then only reads what exists.
        for label in KEY_SPECS:
            der = self.arch.get_cert(CertLabel(label)).dump()
            cert = x509.load_der_x509_certificate(der)
            self._certs[label] = cert
            (cert_dir / f"{label}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    # -- certificates and keys ------------------------------------------------------------

    def certificate(self, label: str) -> x509.Certificate:
        try:
            return self._certs[label]
        except KeyError as exc:
            raise ConfigurationError(f"no development certificate {label!r}") from exc

    def chain(self, label: str) -> list[x509.Certificate]:
        """`label`'s certificate first, then its CA certificates up to and with the root."""
        labels = [label, *(str(x) for x in self.arch.get_chain(CertLabel(label)))]
        return [self.certificate(x) for x in labels]

    @property
    def root(self) -> x509.Certificate:
        return self.certificate("root")

    def cert_path(self, label: str) -> Path:
        return self.directory / "certs" / f"{label}.pem"

    def key_path(self, label: str) -> Path:
        return self.directory / "keys" / f"{label}.key.pem"

    def private_key(self, label: str) -> PrivateKey:
        key = serialization.load_pem_private_key(self.key_path(label).read_bytes(), None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ConfigurationError(f"unexpected key type for {label!r}")
        return key

    # -- service URLs ---------------------------------------------------------------------

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.base_url}/{ARCH}/ocsp/issuing"

    def crl_url(self, issuer: str) -> str:
        return f"{self.base_url}/{ARCH}/crls/{issuer}/latest.crl"

    def wsgi_app(self) -> Callable[..., Iterable[bytes]]:
        """certomancer's Animator for this PKI: TSA, OCSP, CRLs and certificate repos.
        The client may not fake the time (certomancer's X-Certomancer-Fake-Time)."""
        animator: Callable[..., Iterable[bytes]] = _WholeSecondAnimator(
            AnimatorArchStore(self.config.pki_archs),
            with_web_ui=False,
            allow_time_override=False,
        )
        return animator


class _WholeSecondAnimator(Animator):
    """certomancer's Animator, stamping whole seconds: its OCSP `producedAt` otherwise
    carries microseconds, which strict DER parsers reject (pyca/cryptography; NSS, so that
    pdfsig could not check revocation). Clients may not fake the time (see `wsgi_app`)."""

    def at_time(self, request: Any) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


class _QuietHandler(WSGIRequestHandler):
    # werkzeug logs every request to stderr by default; tests and benchmarks drown in it.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _LateApp:
    """The WSGI app the server starts with: the PKI is issued only once the port is known."""

    def __init__(self) -> None:
        self.app: Callable[..., Iterable[bytes]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"development PKI not ready\n"]
        return self.app(environ, start_response)


@dataclass
class RunningDevPki:
    """The development PKI and the loopback HTTP server answering for it."""

    pki: DevPki
    url: str
    _server: BaseWSGIServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self) -> RunningDevPki:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_dev_pki(directory: Path, *, host: str = "127.0.0.1", port: int = 0) -> RunningDevPki:
    """Issues the development PKI into `directory` and serves its TSA, OCSP, CRLs and
    certificates on `host:port` (0: a free port) in a daemon thread."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigurationError("the development PKI is served on loopback only")
    late = _LateApp()
    # Single-threaded on purpose: certomancer's registries are not made for concurrency,
    # and a TSA or OCSP answer takes a few milliseconds.
    server = make_server(host, port, late, threaded=False, request_handler=_QuietHandler)
    url = f"http://{host}:{server.server_port}"
    try:
        pki = DevPki(directory, url)
    except BaseException:
        server.server_close()
        raise
    late.app = pki.wsgi_app()
    thread = threading.Thread(target=server.serve_forever, name="dev-pki-http", daemon=True)
    thread.start()
    return RunningDevPki(pki, url, server, thread)
