"""Signature algorithms beyond pyHanko's defaults: plain-format ECDSA (BSI TR-03111, used
by several national e-ID cards), and an honest answer for algorithms nobody here supports.

pyHanko reports an unsupported algorithm as a signature value that does not verify
(`AlgorithmNotSupported` is an `InvalidSignature`); the verifier must say "unsupported"
instead, so the validator raises `UnsupportedAlgorithm`, which is not.
"""

from __future__ import annotations

from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko_certvalidator.errors import AlgorithmNotSupported
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)

# BSI TR-03111 ecdsa-plain-signatures: r || s, each as long as the curve's order.
PLAIN_ECDSA: dict[str, str] = {
    "0.4.0.127.0.7.1.1.4.1.1": "sha1",
    "0.4.0.127.0.7.1.1.4.1.2": "sha224",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256",
    "0.4.0.127.0.7.1.1.4.1.4": "sha384",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512",
    "0.4.0.127.0.7.1.1.4.1.8": "sha3_224",
    "0.4.0.127.0.7.1.1.4.1.9": "sha3_256",
    "0.4.0.127.0.7.1.1.4.1.10": "sha3_384",
    "0.4.0.127.0.7.1.1.4.1.11": "sha3_512",
}


class UnsupportedAlgorithm(NotImplementedError):
    """The signature's algorithm is not one the verifier can check."""


def algorithm_name(algorithm: algos.SignedDigestAlgorithm) -> str:
    """A readable name: "sha256_ecdsa", "sha256_ecdsa_plain", "rsassa_pss", or the OID."""
    oid = algorithm["algorithm"].dotted
    if oid in PLAIN_ECDSA:
        return f"{PLAIN_ECDSA[oid]}_ecdsa_plain"
    return str(algorithm["algorithm"].native)


def signature_mechanism(algorithm: algos.SignedDigestAlgorithm) -> str:
    """The mechanism as the report names it: "ecdsa", "rsassa_pkcs1v15", "rsassa_pss",
    "ecdsa_plain", or the OID of an unknown one."""
    if algorithm["algorithm"].dotted in PLAIN_ECDSA:
        return "ecdsa_plain"
    try:
        return str(algorithm.signature_algo)
    except ValueError:
        return str(algorithm["algorithm"].dotted)


class VerifierSignatureValidator(DefaultSignatureValidator):
    """pyHanko's validator, plus plain ECDSA, with unsupported algorithms told apart."""

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: keys.PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        hash_name = PLAIN_ECDSA.get(signature_algorithm["algorithm"].dotted)
        if hash_name is not None:
            if public_key_info.algorithm != "ec":
                raise UnsupportedAlgorithm("plain ECDSA with a key that is not an EC key")
            half = len(signature) // 2
            if not signature or len(signature) % 2:
                raise InvalidSignature("a plain ECDSA value has two halves of equal length")
            signature = encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
            signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": f"{hash_name}_ecdsa"})
        try:
            super().validate_signature(
                signature, signed_data, public_key_info, signature_algorithm, context
            )
        except AlgorithmNotSupported as exc:
            raise UnsupportedAlgorithm(
                f"the signature algorithm {algorithm_name(signature_algorithm)} is not supported"
            ) from exc
