"""Digest and signature algorithms the service signs with, by OID, as the CSC API names them.

The service receives a digest, never the data: for RSA it wraps the digest in a DER
DigestInfo and signs that with raw PKCS#1 v1.5; for ECDSA it signs the digest itself and
DER-encodes (r, s). Both need to know the digest algorithm for sure, so every signing
request resolves to exactly one `(KeyKind, HashAlgorithm)` pair here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives import hashes

from signing.csc_server.errors import InvalidRequest


class KeyKind(StrEnum):
    RSA = "rsa"
    EC = "ec"


class HashAlgorithm(StrEnum):
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"

    @property
    def oid(self) -> str:
        return _HASH_OIDS[self]

    @property
    def digest_size(self) -> int:
        return _HASH_SIZES[self]

    @property
    def digest_info_prefix(self) -> bytes:
        """DER of `DigestInfo` up to the digest itself (RFC 8017 §9.2, note 1)."""
        return _DIGEST_INFO_PREFIXES[self]

    def pyca(self) -> hashes.HashAlgorithm:
        if self is HashAlgorithm.SHA256:
            return hashes.SHA256()
        if self is HashAlgorithm.SHA384:
            return hashes.SHA384()
        return hashes.SHA512()

    @classmethod
    def from_oid(cls, oid: str) -> HashAlgorithm:
        for algo, known in _HASH_OIDS.items():
            if known == oid:
                return algo
        raise InvalidRequest("hashAlgo", f"unsupported hash algorithm {oid!r}")


_HASH_OIDS = {
    HashAlgorithm.SHA256: "2.16.840.1.101.3.4.2.1",
    HashAlgorithm.SHA384: "2.16.840.1.101.3.4.2.2",
    HashAlgorithm.SHA512: "2.16.840.1.101.3.4.2.3",
}
_HASH_SIZES = {HashAlgorithm.SHA256: 32, HashAlgorithm.SHA384: 48, HashAlgorithm.SHA512: 64}
_DIGEST_INFO_PREFIXES = {
    HashAlgorithm.SHA256: bytes.fromhex("3031300d060960864801650304020105000420"),
    HashAlgorithm.SHA384: bytes.fromhex("3041300d060960864801650304020205000430"),
    HashAlgorithm.SHA512: bytes.fromhex("3051300d060960864801650304020305000440"),
}
DIGEST_SIZES = frozenset(_HASH_SIZES.values())

# rsaEncryption: "PKCS#1 v1.5, digest named by hashAlgo". Accepted from clients that send it,
# never advertised: `key/algo` lists only full signature-algorithm OIDs.
RSA_ENCRYPTION_OID = "1.2.840.113549.1.1.1"


@dataclass(frozen=True)
class SignatureAlgorithm:
    oid: str
    name: str  # as asn1crypto names it (what pyHanko compares against)
    key_kind: KeyKind
    hash: HashAlgorithm


SIGNATURE_ALGORITHMS: tuple[SignatureAlgorithm, ...] = (
    SignatureAlgorithm("1.2.840.113549.1.1.11", "sha256_rsa", KeyKind.RSA, HashAlgorithm.SHA256),
    SignatureAlgorithm("1.2.840.113549.1.1.12", "sha384_rsa", KeyKind.RSA, HashAlgorithm.SHA384),
    SignatureAlgorithm("1.2.840.113549.1.1.13", "sha512_rsa", KeyKind.RSA, HashAlgorithm.SHA512),
    SignatureAlgorithm("1.2.840.10045.4.3.2", "sha256_ecdsa", KeyKind.EC, HashAlgorithm.SHA256),
    SignatureAlgorithm("1.2.840.10045.4.3.3", "sha384_ecdsa", KeyKind.EC, HashAlgorithm.SHA384),
    SignatureAlgorithm("1.2.840.10045.4.3.4", "sha512_ecdsa", KeyKind.EC, HashAlgorithm.SHA512),
)


def algorithms_for(kind: KeyKind) -> tuple[SignatureAlgorithm, ...]:
    return tuple(a for a in SIGNATURE_ALGORITHMS if a.key_kind is kind)


def resolve(key_kind: KeyKind, sign_algo_oid: str, hash_algo_oid: str | None) -> SignatureAlgorithm:
    """The one algorithm a signHash request asks for, or `InvalidRequest`.

    A full signature OID fixes the digest; `hashAlgo`, when also sent, must agree with it.
    rsaEncryption leaves the digest to `hashAlgo`, which is then required.
    """
    hash_algo = HashAlgorithm.from_oid(hash_algo_oid) if hash_algo_oid else None
    if sign_algo_oid == RSA_ENCRYPTION_OID and key_kind is KeyKind.RSA:
        if hash_algo is None:
            raise InvalidRequest("hashAlgo", "hashAlgo is required with signAlgo rsaEncryption")
        return next(a for a in algorithms_for(KeyKind.RSA) if a.hash is hash_algo)
    for algo in algorithms_for(key_kind):
        if algo.oid == sign_algo_oid:
            if hash_algo is not None and hash_algo is not algo.hash:
                raise InvalidRequest("hashAlgo", "hashAlgo does not match signAlgo")
            return algo
    raise InvalidRequest("signAlgo", f"signature algorithm {sign_algo_oid!r} is not supported")
