"""The CSC API over real HTTP (uvicorn on loopback), with raw requests: CSC v2 field names,
SAD binding, callers, algorithms and errors."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

from signing.csc_server.assembly import DEV_CREDENTIALS
from tests.signing.conftest import AGENCY_TOKEN, VAULT_TOKEN
from tests.signing.seal_otp import seal_otp

SHA256 = "2.16.840.1.101.3.4.2.1"
SHA384 = "2.16.840.1.101.3.4.2.2"
SHA256_RSA = "1.2.840.113549.1.1.11"
SHA256_ECDSA = "1.2.840.10045.4.3.2"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
SEAL_OTP = next(c.otp_secret for c in DEV_CREDENTIALS if c.id == "h57-seal") or b""


@pytest.fixture
def api(csc_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{csc_url}/csc/v1",
        headers={"Authorization": f"Bearer {VAULT_TOKEN}"},
        timeout=30,
        trust_env=False,
    ) as client:
        yield client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def digests(n: int = 1, size: int = 32) -> list[bytes]:
    return [os.urandom(size) for _ in range(n)]


def authorize_v1(
    api: httpx.Client, credential: str, pin: str, hashes_: list[bytes], **extra: Any
) -> httpx.Response:
    body = {
        "credentialID": credential,
        "numSignatures": len(hashes_),
        "hash": [b64(h) for h in hashes_],
        "PIN": pin,
        **extra,
    }
    return api.post("/credentials/authorize", json=body)


def sign_v1(
    api: httpx.Client, credential: str, sad: str, hashes_: list[bytes], algo: str = SHA256_RSA
) -> httpx.Response:
    return api.post(
        "/signatures/signHash",
        json={
            "credentialID": credential,
            "SAD": sad,
            "hash": [b64(h) for h in hashes_],
            "hashAlgo": SHA256,
            "signAlgo": algo,
        },
    )


def certificate(api: httpx.Client, credential: str) -> x509.Certificate:
    info = api.post("/credentials/info", json={"credentialID": credential}).json()
    return x509.load_der_x509_certificate(base64.b64decode(info["cert"]["certificates"][0]))


def assert_csc_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str) and body["error_description"]


# -- info, callers, credentials --------------------------------------------------------------


def test_info_is_public_and_lists_the_methods(csc_url: str) -> None:
    for version, specs in (("v1", "1.0.4.0"), ("v2", "2.0.0.2")):
        r = httpx.post(f"{csc_url}/csc/{version}/info", json={}, trust_env=False)
        assert r.status_code == 200
        body = r.json()
        assert body["specs"] == specs
        assert set(body["methods"]) >= {
            "credentials/list",
            "credentials/info",
            "credentials/authorize",
            "signatures/signHash",
        }


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong-token", f"Basic {VAULT_TOKEN}"])
def test_unauthenticated_callers_are_refused(csc_url: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for endpoint in ("credentials/list", "credentials/info", "signatures/signHash"):
        r = httpx.post(
            f"{csc_url}/csc/v1/{endpoint}",
            json={"credentialID": "h57-officer-an"},
            headers=headers,
            trust_env=False,
        )
        assert_csc_error(r, 401, "invalid_token")
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_caller_sees_and_uses_only_its_own_credentials(api: httpx.Client) -> None:
    everything = api.post("/credentials/list", json={}).json()["credentialIDs"]
    assert set(everything) == {c.id for c in DEV_CREDENTIALS}

    agency = {"Authorization": f"Bearer {AGENCY_TOKEN}"}
    mine = api.post("/credentials/list", json={}, headers=agency).json()["credentialIDs"]
    assert mine == ["h57-seal"]
    # Another system's credential looks exactly like one that does not exist.
    foreign = api.post("/credentials/info", json={"credentialID": "h57-officer-an"}, headers=agency)
    missing = api.post("/credentials/info", json={"credentialID": "no-such-credential"})
    assert_csc_error(foreign, 400, "invalid_request")
    assert foreign.json() == missing.json()


def test_list_filters_by_user_and_pages(api: httpx.Client) -> None:
    r = api.post("/credentials/list", json={"userID": "000.00.15.H57/tran.thi.binh"})
    assert r.json()["credentialIDs"] == ["h57-officer-binh"]
    first = api.post("/credentials/list", json={"maxResults": 2}).json()
    assert len(first["credentialIDs"]) == 2
    rest = api.post(
        "/credentials/list", json={"maxResults": 10, "pageToken": first["nextPageToken"]}
    ).json()
    assert len(first["credentialIDs"]) + len(rest["credentialIDs"]) == len(DEV_CREDENTIALS)
    assert "nextPageToken" not in rest


def test_credential_info_lists_full_signature_algorithm_oids_and_the_chain(
    api: httpx.Client,
) -> None:
    rsa_info = api.post(
        "/credentials/info",
        json={"credentialID": "h57-officer-an", "certificates": "chain", "certInfo": True},
    ).json()
    assert rsa_info["key"] == {
        "status": "enabled",
        "algo": ["1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13"],
        "len": 2048,
    }
    assert rsa_info["SCAL"] == "2" and rsa_info["multisign"] >= 1
    assert rsa_info["PIN"]["presence"] == "true" and rsa_info["OTP"]["presence"] == "false"
    chain = [
        x509.load_der_x509_certificate(base64.b64decode(c))
        for c in rsa_info["cert"]["certificates"]
    ]
    assert len(chain) == 3  # officer, issuing CA, root
    assert "Nguyễn Văn An" in chain[0].subject.rfc4514_string()
    assert "NOT FOR PRODUCTION" in chain[2].subject.rfc4514_string()
    assert rsa_info["cert"]["status"] == "valid"
    assert rsa_info["cert"]["serialNumber"] == format(chain[0].serial_number, "x")
    assert rsa_info["cert"]["validTo"].endswith("Z")

    ec_info = api.post("/credentials/info", json={"credentialID": "h57-officer-binh"}).json()
    assert ec_info["key"]["algo"] == [
        "1.2.840.10045.4.3.2",
        "1.2.840.10045.4.3.3",
        "1.2.840.10045.4.3.4",
    ]
    assert ec_info["key"]["curve"] == "1.2.840.10045.3.1.7" and ec_info["key"]["len"] == 256
    assert len(ec_info["cert"]["certificates"]) == 1  # "single" is the default

    seal = api.post("/credentials/info", json={"credentialID": "h57-seal"}).json()
    assert seal["key"]["len"] == 3072 and seal["OTP"]["presence"] == "true"
    expired = api.post("/credentials/info", json={"credentialID": "h57-officer-expired"}).json()
    assert expired["cert"]["status"] == "expired"


# -- signing -----------------------------------------------------------------------------------


def test_v2_field_names_sign_with_pin_and_otp(api: httpx.Client) -> None:
    hashes_ = digests(2)
    otp = seal_otp()
    r = api.post(
        "/credentials/authorize",
        json={
            "credentialID": "h57-seal",
            "numSignatures": 2,
            "hashes": [b64(h) for h in hashes_],
            "hashAlgorithmOID": SHA256,
            "authData": [{"id": "PIN", "value": "333333"}, {"id": "OTP", "value": otp}],
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    sad = r.json()["SAD"]
    assert 0 < r.json()["expiresIn"] <= 3600
    r = api.post(
        "/signatures/signHash",
        json={
            "credentialID": "h57-seal",
            "SAD": sad,
            "hashes": [b64(h) for h in reversed(hashes_)],  # order is free, the set is not
            "hashAlgorithmOID": SHA256,
            "signAlgo": SHA256_RSA,
            "operationMode": "S",
        },
    )
    assert r.status_code == 200, r.text
    signatures = [base64.b64decode(s) for s in r.json()["signatures"]]
    key = certificate(api, "h57-seal").public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    for digest, signature in zip(reversed(hashes_), signatures, strict=True):
        key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))

    # The same OTP a second time is a replay: refused (and counted).
    r = api.post(
        "/credentials/authorize",
        json={
            "credentialID": "h57-seal",
            "numSignatures": 1,
            "hashes": [b64(digests()[0])],
            "authData": [{"id": "PIN", "value": "333333"}, {"id": "OTP", "value": otp}],
        },
    )
    assert_csc_error(r, 400, "invalid_otp")


def test_rsa_signature_is_pkcs1_v15_over_a_digest_info(api: httpx.Client) -> None:
    [digest] = digests()
    sad = authorize_v1(api, "h57-officer-an", "111111", [digest]).json()["SAD"]
    r = sign_v1(api, "h57-officer-an", sad, [digest])
    assert r.status_code == 200, r.text
    signature = base64.b64decode(r.json()["signatures"][0])
    key = certificate(api, "h57-officer-an").public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    numbers = key.public_numbers()
    block = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n).to_bytes(256, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + digest
    assert block == b"\x00\x01" + b"\xff" * (256 - 3 - len(digest_info)) + b"\x00" + digest_info


def test_rsa_encryption_with_hash_algo_is_accepted(api: httpx.Client) -> None:
    [digest] = digests(size=48)
    sad = authorize_v1(api, "h57-officer-an", "111111", [digest]).json()["SAD"]
    r = api.post(
        "/signatures/signHash",
        json={
            "credentialID": "h57-officer-an",
            "SAD": sad,
            "hash": [b64(digest)],
            "hashAlgo": SHA384,
            "signAlgo": RSA_ENCRYPTION,
        },
    )
    assert r.status_code == 200, r.text
    key = certificate(api, "h57-officer-an").public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        base64.b64decode(r.json()["signatures"][0]),
        digest,
        padding.PKCS1v15(),
        Prehashed(hashes.SHA384()),
    )


def test_ecdsa_signature_is_der_never_raw_r_s(api: httpx.Client) -> None:
    [digest] = digests()
    sad = authorize_v1(api, "h57-officer-binh", "222222", [digest]).json()["SAD"]
    r = sign_v1(api, "h57-officer-binh", sad, [digest], SHA256_ECDSA)
    assert r.status_code == 200, r.text
    signature = base64.b64decode(r.json()["signatures"][0])
    assert signature[0] == 0x30  # a DER SEQUENCE, not 64 bytes of r || s
    r_, s_ = decode_dss_signature(signature)
    assert r_ > 0 and s_ > 0
    key = certificate(api, "h57-officer-binh").public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))


# -- the SAD is bound to caller, credential, hashes and count; short-lived; single-use -----


def test_a_sad_signs_only_its_own_hashes_and_credential_once(api: httpx.Client) -> None:
    a, b = digests(2)

    sad = authorize_v1(api, "h57-officer-an", "111111", [a]).json()["SAD"]
    assert_csc_error(sign_v1(api, "h57-officer-an", sad, [b]), 400, "invalid_request")
    # That attempt spent it: not even the right hash signs with it now.
    assert_csc_error(sign_v1(api, "h57-officer-an", sad, [a]), 400, "invalid_request")

    sad = authorize_v1(api, "h57-officer-an", "111111", [a]).json()["SAD"]
    assert_csc_error(sign_v1(api, "h57-officer-revoked", sad, [a]), 400, "invalid_request")

    sad = authorize_v1(api, "h57-officer-an", "111111", [a, b]).json()["SAD"]
    assert_csc_error(sign_v1(api, "h57-officer-an", sad, [a]), 400, "invalid_request")  # count

    sad = authorize_v1(api, "h57-officer-an", "111111", [a, a]).json()["SAD"]
    assert_csc_error(sign_v1(api, "h57-officer-an", sad, [a, b]), 400, "invalid_request")

    sad = authorize_v1(api, "h57-officer-an", "111111", [a]).json()["SAD"]
    assert sign_v1(api, "h57-officer-an", sad, [a]).status_code == 200
    assert_csc_error(sign_v1(api, "h57-officer-an", sad, [a]), 400, "invalid_request")  # reuse


def test_hash_pinning_is_required(api: httpx.Client) -> None:
    r = api.post(
        "/credentials/authorize",
        json={"credentialID": "h57-officer-an", "numSignatures": 1, "PIN": "111111"},
    )
    assert_csc_error(r, 400, "invalid_request")


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"numSignatures": 1, "hash": ["AA=="], "PIN": "111111"}, "credentialID"),
        ({"credentialID": "h57-officer-an", "hash": [b64(bytes(32))], "PIN": "1"}, "numSignatures"),
        (
            {"credentialID": "h57-officer-an", "numSignatures": 1, "hash": ["***"], "PIN": "1"},
            "Base64",
        ),
        (
            {
                "credentialID": "h57-officer-an",
                "numSignatures": 1,
                "hash": [b64(b"short")],
                "PIN": "1",
            },
            "length",
        ),
        (
            {
                "credentialID": "h57-officer-an",
                "numSignatures": 2,
                "hash": [b64(bytes(32))],
                "PIN": "1",
            },
            "numSignatures",
        ),
        ({"credentialID": "h57-officer-an", "numSignatures": 1, "hash": [b64(bytes(32))]}, "PIN"),
        (
            {"credentialID": "nobody", "numSignatures": 1, "hash": [b64(bytes(32))], "PIN": "1"},
            "credentialID",
        ),
    ],
)
def test_malformed_authorize_requests_are_400_and_not_counted(
    api: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    r = api.post("/credentials/authorize", json=body)
    assert_csc_error(r, 400, "invalid_request")
    assert fragment in r.json()["error_description"]


def test_malformed_bodies_and_unsupported_algorithms(api: httpx.Client) -> None:
    r = api.post(
        "/credentials/info", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_csc_error(r, 400, "invalid_request")
    r = api.post("/credentials/info", content=b" " * (300 * 1024))  # over the body limit
    assert_csc_error(r, 400, "invalid_request")
    r = api.post("/credentials/info", json=["not", "an", "object"])
    assert_csc_error(r, 400, "invalid_request")
    [digest] = digests()
    sad = authorize_v1(api, "h57-officer-an", "111111", [digest]).json()["SAD"]
    r = sign_v1(api, "h57-officer-an", sad, [digest], SHA256_ECDSA)  # EC algorithm, RSA key
    assert_csc_error(r, 400, "invalid_request")
    r = api.post(
        "/signatures/signHash",
        json={
            "credentialID": "h57-officer-an",
            "SAD": sad,
            "hash": [b64(digest)],
            "hashAlgo": SHA384,  # contradicts sha256WithRSA
            "signAlgo": SHA256_RSA,
        },
    )
    assert_csc_error(r, 400, "invalid_request")


def test_an_expired_certificate_signs_nothing(api: httpx.Client) -> None:
    r = authorize_v1(api, "h57-officer-expired", "555555", digests())
    assert_csc_error(r, 403, "access_denied")
    assert "expired" in r.json()["error_description"]


def test_responses_never_echo_pins_or_sads(api: httpx.Client) -> None:
    r = authorize_v1(api, "h57-officer-an", "999999", digests())
    assert_csc_error(r, 400, "invalid_pin")
    assert "999999" not in r.text
    api.post("/credentials/authorize", json={})  # no state change from an empty request
    good = authorize_v1(api, "h57-officer-an", "111111", digests()).json()["SAD"]
    r = sign_v1(api, "h57-officer-an", good, digests())
    assert good not in r.text
    assert hashlib.sha256(good.encode()).hexdigest() not in r.text
