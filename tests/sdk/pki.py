"""A throw-away PKI for the offline verification tests: a root CA, a signer it issued, and
PDFs signed with pyHanko (PAdES), intact or altered after signing."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.factories import pdf_bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND phường Bến Nghé"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Pki:
    root_pem: bytes
    signer_pem: bytes
    signer_key_pem: bytes

    @classmethod
    def make(cls, signer_name: str = "Trần Văn Ký") -> Pki:
        now = dt.datetime.now(dt.UTC)
        root_key = ec.generate_private_key(ec.SECP256R1())
        root = (
            x509.CertificateBuilder()
            .subject_name(_name("Test Root CA"))
            .issuer_name(_name("Test Root CA"))
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=10))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .sign(root_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name(signer_name))
            .issuer_name(root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .sign(root_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        return cls(
            root_pem=root.public_bytes(pem),
            signer_pem=leaf.public_bytes(pem),
            signer_key_pem=key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )

    def sign(self, pdf: bytes | None = None, field_name: str = "Signature1") -> bytes:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "signer.pem").write_bytes(self.signer_pem)
            Path(tmp, "root.pem").write_bytes(self.root_pem)
            signer = signers.SimpleSigner(
                signing_cert=load_cert_from_pemder(str(Path(tmp, "signer.pem"))),
                signing_key=load_private_key_from_pemder_data(self.signer_key_pem, None),
                cert_registry=SimpleCertificateStore.from_certs(
                    [load_cert_from_pemder(str(Path(tmp, "root.pem")))]
                ),
            )
            out = signers.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf or pdf_bytes())),
                signers.PdfSignatureMetadata(field_name=field_name),
                signer=signer,
            )
        return out.getvalue()


def altered_after_signing(signed: bytes) -> bytes:
    """An incremental update after the signature that replaces the first page's content:
    the signed revision is intact, but what a reader shows is not what was signed."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (FORGED) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_text_field(pdf: bytes, name: str) -> bytes:
    """The PDF with an empty text form field `name` on its first page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    field = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
                generic.NameObject("/FT"): generic.NameObject("/Tx"),
                generic.NameObject("/T"): generic.TextStringObject(name),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (72, 600, 300, 630)]
                ),
                generic.NameObject("/F"): generic.NumberObject(4),
                generic.NameObject("/P"): page_ref,
            }
        )
    )
    page["/Annots"] = generic.ArrayObject([field])
    writer.update_container(page)
    writer.root["/AcroForm"] = generic.DictionaryObject(
        {generic.NameObject("/Fields"): generic.ArrayObject([field])}
    )
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_text_field(pdf: bytes, name: str, value: str) -> bytes:
    """An incremental update that gives the text field `name` a value (form filling)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == name:
            field["/V"] = generic.TextStringObject(value)
            writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
