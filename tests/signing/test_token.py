"""The PKCS#11 token (SoftHSM2): keys stay inside, concurrent callers are serialised."""

from __future__ import annotations

import hashlib
import os
import threading

import pkcs11
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from signing.csc_server import token as token_module
from signing.csc_server.algorithms import HashAlgorithm, KeyKind
from signing.csc_server.assembly import DevEnvironment
from signing.csc_server.dev_pki import DevPki
from signing.csc_server.errors import ConfigurationError, TokenFailure


@pytest.mark.parametrize("label", ["officer-an", "officer-binh", "seal-h57"])
def test_imported_keys_are_sensitive_and_not_extractable(dev: DevEnvironment, label: str) -> None:
    facts = dev.token.describe_key(label)
    assert facts.sensitive and not facts.extractable and facts.can_sign
    secret = (
        pkcs11.Attribute.PRIVATE_EXPONENT if facts.kind is KeyKind.RSA else pkcs11.Attribute.VALUE
    )
    with token_module._LOCK, dev.token._session() as session:
        key = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label)
        with pytest.raises(pkcs11.AttributeSensitive):
            key[secret]


def test_concurrent_signing_is_serialised_and_every_signature_verifies(
    dev: DevEnvironment, pki: DevPki
) -> None:
    rsa_key = pki.certificate("officer-an").public_key()
    ec_key = pki.certificate("officer-binh").public_key()
    assert isinstance(rsa_key, rsa.RSAPublicKey) and isinstance(ec_key, ec.EllipticCurvePublicKey)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                digest = hashlib.sha256(os.urandom(16)).digest()
                sig = dev.token.sign_digest("officer-an", KeyKind.RSA, HashAlgorithm.SHA256, digest)
                rsa_key.verify(sig, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
                sig = dev.token.sign_digest(
                    "officer-binh", KeyKind.EC, HashAlgorithm.SHA256, digest
                )
                ec_key.verify(sig, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_unknown_key_and_wrong_digest_length_fail_cleanly(dev: DevEnvironment) -> None:
    with pytest.raises(TokenFailure, match="no private key"):
        dev.token.sign_digest("nope", KeyKind.RSA, HashAlgorithm.SHA256, bytes(32))
    with pytest.raises(TokenFailure, match="length"):
        dev.token.sign_digest("officer-an", KeyKind.RSA, HashAlgorithm.SHA384, bytes(32))


def test_one_token_configuration_per_process(dev: DevEnvironment, tmp_path: object) -> None:
    other = token_module.write_softhsm_config(tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="one token configuration per process"):
        token_module.Pkcs11Token("whatever", "1234", softhsm_conf=other)


def test_repr_shows_no_pin(dev: DevEnvironment) -> None:
    assert "label=" in repr(dev.token)
    assert "pin" not in repr(dev.token).lower()
