"""Trust anchors and verification policy: from configuration only, never the OS store.

In production the anchors are the Vietnamese national root CA (and, if configured, the
licensed CAs' roots under it); in development, the development PKI's root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from signing.verify.errors import TrustConfigurationError

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


def load_certificates(data: bytes, *, source: str = "certificate data") -> list[bytes]:
    """DER encodings of the certificates in `data`: one DER certificate, or PEM blocks."""
    try:
        if _PEM_BEGIN in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise TrustConfigurationError(f"{source}: not a certificate ({exc})") from exc
    return [c.public_bytes(Encoding.DER) for c in certs]


def load_certificate_files(paths: Iterable[Path]) -> list[bytes]:
    """Certificates from files (PEM, several per file allowed, or DER) and folders of them
    (`*.pem`, `*.crt`, `*.cer`, `*.der`)."""
    out: list[bytes] = []
    for path in paths:
        files = (
            sorted(
                p for p in path.iterdir() if p.suffix.lower() in {".pem", ".crt", ".cer", ".der"}
            )
            if path.is_dir()
            else [path]
        )
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise TrustConfigurationError(f"{file}: cannot read ({exc.strerror})") from exc
            out.extend(load_certificates(data, source=str(file)))
    return out


@dataclass(frozen=True)
class TrustSettings:
    """The only certificates a signature or timestamp may chain to.

    `roots` are trust anchors (DER). `intermediates` are extra CA certificates offered for
    path building only: they are never trusted by themselves.
    """

    roots: tuple[bytes, ...]
    intermediates: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        for der in (*self.roots, *self.intermediates):
            try:
                x509.load_der_x509_certificate(der)
            except ValueError as exc:
                raise TrustConfigurationError(f"not a DER certificate: {exc}") from exc

    @classmethod
    def from_files(cls, roots: Iterable[Path], intermediates: Iterable[Path] = ()) -> TrustSettings:
        return cls(
            tuple(load_certificate_files(roots)), tuple(load_certificate_files(intermediates))
        )

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(hashlib.sha256(der).hexdigest() for der in self.roots)


# The reference policy: EU DSS's default levels for PDF modifications (FAIL for /ByteRange,
# signature dictionary, page content and integrity; WARN for visual difference, annotation
# overlap, undefined changes, DocMDP/FieldMDP), plus the attack checks DSS lacks.
DEFAULT_POLICY_NAME = "vault-reference-1"
# Everything after signing beyond validation data, timestamps and later signatures fails.
STRICT_POLICY_NAME = "vault-strict-1"


@dataclass(frozen=True)
class VerificationPolicy:
    """What may change in a signed document after a signature, beyond what is always
    allowed (later signatures, document timestamps, validation data in the DSS, metadata).

    The default is the reference policy (EU DSS's default levels): an annotation over no
    signed text, or form filling into fields that were empty when signed, passes with
    warnings; a DocMDP/FieldMDP violation is a warning finding. Never permitted, whatever
    the switches: page content or resources changed, an annotation or filled field over
    signed text, a field that showed a value when signed changed (the shadow "replace"
    attack, which pyHanko's own difference analysis accepts as form filling), and every
    structural attack.

    `VerificationPolicy.strict()` refuses form filling and annotations and enforces the
    signer's DocMDP/FieldMDP. Whoever relies on a verdict without a person reading the
    warnings (the vault's reuse gate) must treat those warnings as refusals.
    """

    name: str = DEFAULT_POLICY_NAME
    allow_form_filling: bool = True
    allow_annotations: bool = True
    # DocMDP/FieldMDP violations fail the signature (EU DSS default: a warning).
    enforce_mdp: bool = False
    # Refuse validation of documents with more incremental updates than this.
    max_revisions: int = 200
    # How far the claimed signing time may lie after the proven (timestamp) time.
    clock_skew_seconds: int = 300
    # Digest algorithms accepted for the document digest and in timestamps.
    digest_algorithms: frozenset[str] = field(
        default_factory=lambda: frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_512"})
    )

    @classmethod
    def strict(cls) -> VerificationPolicy:
        """No form filling, no annotations after signing; DocMDP/FieldMDP enforced."""
        return cls(allow_form_filling=False, allow_annotations=False, enforce_mdp=True)

    @property
    def is_strict(self) -> bool:
        return not self.allow_form_filling and not self.allow_annotations and self.enforce_mdp

    def __post_init__(self) -> None:
        # The report names the policy in force: the default name follows the switches
        # ("vault-strict-1", or "vault-reference-1+no-forms" for one switch tightened), so
        # two reports made under different settings never carry the same policy name.
        if self.name == DEFAULT_POLICY_NAME:
            if self.is_strict:
                object.__setattr__(self, "name", STRICT_POLICY_NAME)
                return
            extras = [
                label
                for label, on in (
                    ("no-forms", not self.allow_form_filling),
                    ("no-annotations", not self.allow_annotations),
                    ("mdp-enforced", self.enforce_mdp),
                )
                if on
            ]
            if extras:
                object.__setattr__(self, "name", "+".join([self.name, *extras]))
