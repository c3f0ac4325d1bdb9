"""Small, real files and records for tests."""

from __future__ import annotations

import functools
import io
import uuid
from typing import Any

import pypdfium2
from fastapi.testclient import TestClient
from PIL import Image

# A paper the default test officer may store and read back: a result their agency issued.
DEFAULT_FIELDS = {
    "paper_type": "birth_certificate",
    "title": "Giấy khai sinh",
    "origin": "issued_result",
}
CITIZEN_ID = "079203001234"  # HCMC (079), female born 2003
OTHER_CITIZEN_ID = "001099012345"  # Hà Nội (001), male born 1999
TAX_CODE = "0312345678"
AGENCY = "000.00.15.H57"


def png_bytes(width: int = 120, height: int = 80, color: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(width: int = 120, height: int = 80) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "gray").save(out, "JPEG", quality=80)
    return out.getvalue()


def tiff_bytes(pages: int = 2) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("L", (100, 60), 255 - i * 40) for i in range(pages)]
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def pdf_bytes(pages: int = 1) -> bytes:
    pdf = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def padded_pdf(size: int) -> bytes:
    """A valid PDF of about `size` bytes (random bytes in a trailing comment; readers skip it)."""
    import os

    head = pdf_bytes()
    pad = os.urandom(max(0, size - len(head) - 3)).replace(b"\n", b" ").replace(b"\r", b" ")
    return head + b"\n%" + pad + b"\n"


def self_signed_certificate(common_name: str, *, ca: bool = False) -> tuple[bytes, bytes]:
    """A throw-away EC P-256 key (PKCS#8 PEM) and its self-signed certificate (DER)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )
    if ca:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@functools.cache
def _test_signer() -> tuple[bytes, bytes]:
    """The throw-away signer of `signed_pdf_bytes`, one per test process, so a test's
    verifier can trust it (`signer_certificate`)."""
    return self_signed_certificate("Test signer")


def signer_certificate() -> bytes:
    """The DER certificate `signed_pdf_bytes` signs with: trust it to make them valid."""
    return _test_signer()[1]


def signed_pdf_bytes() -> bytes:
    """A PDF carrying a real PAdES signature by the throw-away test signer, made with pyHanko."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.general import load_private_key_from_pemder_data

    key_pem, cert_der = _test_signer()
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert_der),
        signing_key=load_private_key_from_pemder_data(key_pem, passphrase=None),
        cert_registry=None,  # type: ignore[arg-type]
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf_bytes())),
        signers.PdfSignatureMetadata(field_name="Signature1"),
        signer=signer,
    )
    return out.getvalue()


def create_owner(
    client: TestClient, identifier: str = CITIZEN_ID, name: str = "Nguyễn Thị Hương"
) -> str:
    kind = "citizen" if len(identifier) == 12 else "organisation"
    r = client.post(
        "/api/v1/owners", json={"kind": kind, "identifier": identifier, "display_name": name}
    )
    assert r.status_code in (200, 201), r.text
    owner_id: str = r.json()["id"]
    return owner_id


def upload(
    client: TestClient,
    owner_id: str,
    content: bytes | None = None,
    *,
    filename: str = "scan.png",
    content_type: str = "image/png",
    expect: int = 201,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    data = {**DEFAULT_FIELDS, **fields}
    r = client.post(
        f"/api/v1/owners/{owner_id}/documents",
        headers=headers,
        data={k: str(v) for k, v in data.items() if v is not None},
        files={"file": (filename, content if content is not None else png_bytes(), content_type)},
    )
    assert r.status_code == expect, r.text
    body: dict[str, Any] = r.json()
    return body


def random_uuid() -> str:
    return str(uuid.uuid4())
