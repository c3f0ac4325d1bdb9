"""Signatures, certified copies and verifications through both clients, for real: the API
under uvicorn with the vault's signing wired to the CSC service (SoftHSM2 keys, the
development PKI's TSA and OCSP over HTTP), and a verifier that trusts the development root.

The fixtures of the signing tests are reused as they are (imported by name below).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from vault_client import (
    AsyncVaultClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PadesLevel,
    PermissionDeniedError,
    RefusalReason,
    VaultClient,
)
from vault_client.types import (
    CertifiedCopy,
    Coverage,
    Document,
    DocumentOrigin,
    FoundBy,
    Indication,
    Owner,
    RecordKind,
    RevocationStatus,
    SignatureLevel,
    VerificationReport,
)
from vault_client.verification import verify_pdf

from signing.csc_server.dev_pki import DevPki
from signing.issuing.wiring import VaultSigning
from signing.verify import TrustSettings, Verifier
from tests.factories import CITIZEN_ID, jpeg_bytes, pdf_bytes, png_bytes
from tests.people import AGENCY, People
from tests.sdk import pki as throwaway_pki
from tests.sdk.conftest import FAST_RETRY, AgencySystem
from tests.sdk.pki import altered_after_signing
from tests.signing.conftest import dev, pki, runtime  # noqa: F401 - fixtures
from tests.signing.vault.conftest import (  # noqa: F401 - fixtures
    PINS,
    csc,
    signer_settings,
    signing,
    signing_app,
)
from tests.support.live import serve
from vault.runtime import Vault

# The backends are the signing tests' business; here the SDK's side of the wire is tested.
pytestmark = pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)

ISSUER_PIN = PINS["h57-officer-binh"]  # `issuer` signs with this ECDSA credential
CERTIFIER_PIN = PINS["h57-officer-an"]  # `certifier` and `clerk` with this RSA one
BOOK = "01/2026-SCT/BS-ĐT"


@pytest.fixture
def signing_live(vault: Vault, people: People, signing: VaultSigning, pki: DevPki) -> Iterator[str]:  # noqa: F811
    """The API with signing, and a verifier trusting the development root. Online: a B-T
    result carries no revocation data of its own, and the OCSP responder is on loopback."""
    app = signing_app(vault, signing)
    trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
    with Verifier(trust, offline=False) as verifier:
        app.state.verifier = verifier
        with serve(app) as url:
            yield url


def _client(url: str, system: AgencySystem, officer: str) -> VaultClient:
    return VaultClient(
        url,
        client_id=system.client_id,
        client_secret=system.client_secret,
        officer=officer,
        retry=FAST_RETRY,
    )


@pytest.fixture
def clients(signing_live: str, system: AgencySystem) -> Iterator[dict[str, VaultClient]]:
    """The agency system acting for `clerk` (registers owners), `issuer`, `certifier`, and
    a client with no credentials at all (a bank checking a paper)."""
    with (
        _client(signing_live, system, "clerk") as clerk,
        VaultClient(signing_live, retry=FAST_RETRY) as anonymous,
    ):
        yield {
            "clerk": clerk,
            "issuer": clerk.acting_for("issuer"),
            "certifier": clerk.acting_for("certifier"),
            "anonymous": anonymous,
        }


@pytest.fixture
async def async_clients(
    signing_live: str, system: AgencySystem
) -> AsyncIterator[dict[str, AsyncVaultClient]]:
    async with (
        AsyncVaultClient(
            signing_live,
            client_id=system.client_id,
            client_secret=system.client_secret,
            officer="clerk",
            retry=FAST_RETRY,
        ) as clerk,
        AsyncVaultClient(signing_live, retry=FAST_RETRY) as anonymous,
    ):
        yield {
            "clerk": clerk,
            "issuer": clerk.acting_for("issuer"),
            "certifier": clerk.acting_for("certifier"),
            "anonymous": anonymous,
        }


def _draft(issuer: VaultClient, owner: Owner) -> Document:
    return issuer.documents.upload(
        owner,
        pdf_bytes(2),
        paper_type="procedure_result",
        title="Quyết định cấp giấy phép xây dựng",
        origin="issued_result",
        filename="ket-qua.pdf",
    )


def _check_passed(report: VerificationReport) -> None:
    assert report.passed and report.validated, report.summary
    assert report.bottom_line is Indication.TOTAL_PASSED
    (signature,) = report.signatures
    assert signature.passed and signature.indication is Indication.TOTAL_PASSED
    assert signature.level is SignatureLevel.PADES_BASELINE_T
    assert signature.signer is not None and signature.signer.common_name == "Trần Thị Bình"
    assert signature.proven_signing_time is not None  # B-T: a trusted timestamp
    assert signature.scope is not None and signature.scope.coverage is Coverage.ENTIRE_FILE
    assert signature.revocation is not None
    assert signature.revocation.status is RevocationStatus.GOOD
    assert signature.certificate_chain and signature.certificate_chain[-1].is_trust_anchor
    assert report.document is not None and report.document.revisions == 2


def _check_words_and_record(
    bank: VaultClient, path: Path, signed: Document, stored: VerificationReport
) -> None:
    """The report's plain words (English by default, Vietnamese on asking) and the paper of
    the vault the file is: byte for byte, with changes appended, or none."""
    english = bank.verifications.verify(path)
    words = english.summaries
    assert words is not None and words.lang == "en" and words.indication == "TOTAL_PASSED"
    assert words.verdict.startswith("Every signature is valid")
    assert english.summary != words.verdict  # no language asked: the verifier's own sentence
    (signature,) = words.signatures
    assert signature.indication is Indication.TOTAL_PASSED and signature.reasons == []
    assert "Trần Thị Bình" in signature.summary
    record = english.on_record
    assert record is not None and record.kind is RecordKind.ISSUED_RESULT
    assert record.identical and record.found_by is FoundBy.SAME_FILE and record.current
    assert record.record_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.title == signed.title and record.office_code == AGENCY
    assert record.status == "The file is byte for byte the one on record."
    assert CITIZEN_ID not in english.model_dump_json()

    vietnamese = bank.verifications.verify(path.read_bytes(), language="vi")
    assert vietnamese.summaries is not None and vietnamese.summaries.lang == "vi"
    assert vietnamese.summary == vietnamese.summaries.verdict
    assert vietnamese.summary.startswith("Tất cả chữ ký số đều hợp lệ")
    assert vietnamese.on_record is not None
    assert vietnamese.on_record.status == "Tệp trùng khớp từng byte với bản được lưu trong kho."
    assert vietnamese.on_record.heading.startswith("Đây là kết quả giải quyết thủ tục hành chính")
    # An Accept-Language list: the best of the two the vault speaks.
    listed = bank.verifications.verify(path, language="fr-FR, vi;q=0.8, en;q=0.5")
    assert listed.summaries is not None and listed.summaries.lang == "vi"

    # The same paper with a change appended: named, and said not to be the one on record.
    altered = bank.verifications.verify(altered_after_signing(path.read_bytes()), language="en")
    assert not altered.passed and altered.on_record is not None
    assert altered.on_record.found_by is FoundBy.RECORD_THEN_CHANGES
    assert not altered.on_record.identical
    assert altered.on_record.record_sha256 == record.record_sha256
    assert altered.on_record.status.startswith("The file is NOT the one on record")
    # A file the vault never issued is on no record.
    assert bank.verifications.verify(pdf_bytes()).on_record is None

    # A stored document: worded too, and no look-up (it is on record by definition).
    assert stored.summaries is not None and stored.on_record is None
    with pytest.raises(ValueError, match="language"):
        bank.verifications.verify(path, language=" ")  # never sent


# -- sync --------------------------------------------------------------------------------------


def test_sign_a_result_then_verify_it_stored_and_as_a_file(
    clients: dict[str, VaultClient], tmp_path: Path
) -> None:
    issuer = clients["issuer"]
    owner = clients["clerk"].owners.create(
        kind="citizen", identifier=CITIZEN_ID, display_name="Nguyễn Thị Hương"
    )
    draft = _draft(issuer, owner)
    assert not draft.has_signature

    # A wrong PIN: the officer's mistake, on the field that carries it; nothing signed.
    with pytest.raises(BadRequestError) as wrong:
        issuer.signatures.sign(draft, pin="000000")
    assert wrong.value.status_code == 422
    assert [(e.field, e.detail) for e in wrong.value.field_errors] == [
        ("pin", "the signing service refused the PIN")
    ]
    assert len(issuer.documents.versions(draft)) == 1
    # The certifying officer may not sign a result.
    with pytest.raises(PermissionDeniedError):
        clients["certifier"].signatures.sign(draft, pin=CERTIFIER_PIN)
    with pytest.raises(ValueError, match="PIN"):
        issuer.signatures.sign(draft, pin="")  # never sent

    signed = issuer.signatures.sign(draft, pin=ISSUER_PIN, level=PadesLevel.B_T)
    assert signed.has_signature and signed.origin is DocumentOrigin.ISSUED_RESULT
    assert signed.version == 2 and signed.supersedes_id == draft.id
    assert [d.has_signature for d in issuer.documents.versions(signed)] == [False, True]
    with pytest.raises(ConflictError):  # the draft is superseded now
        issuer.signatures.sign(draft, pin=ISSUER_PIN)

    # The stored document, verified by the vault without downloading it.
    stored = issuer.verifications.verify_document(signed)
    _check_passed(stored)
    assert stored.summaries is not None and stored.summaries.lang == "en"
    worded = issuer.verifications.verify_document(signed, language="vi")
    assert worded.summaries is not None and worded.summaries.lang == "vi"
    assert worded.summary.startswith("Tất cả chữ ký số đều hợp lệ")
    xml = issuer.verifications.verify_document_etsi_xml(signed.id)
    assert isinstance(xml, bytes) and xml.startswith(b"<?xml") and b"ValidationReport" in xml
    unsigned = issuer.verifications.verify_document(draft)  # a report, not an error
    assert unsigned.signatures == [] and not unsigned.passed

    # The same file, as a bank holding it would send it: no sign-in, from a path, bytes or
    # a stream; the same verdict.
    path = tmp_path / "ket-qua.pdf"
    issuer.documents.download(signed, path)
    bank = clients["anonymous"]
    progress: list[tuple[int, int | None]] = []
    from_path = bank.verifications.verify(path, on_progress=lambda d, t: progress.append((d, t)))
    _check_passed(from_path)
    assert progress[-1] == (path.stat().st_size, path.stat().st_size)
    assert from_path.signatures[0].signer == stored.signatures[0].signer
    assert bank.verifications.verify(path.read_bytes()).passed
    with path.open("rb") as f:
        assert bank.verifications.verify(f).passed
    assert b"ValidationReport" in bank.verifications.verify_etsi_xml(path)
    _check_words_and_record(bank, path, signed, stored)

    # What is not a PDF is a typed error, uploaded or stored.
    with pytest.raises(BadRequestError) as not_pdf:
        bank.verifications.verify(png_bytes(), filename="scan.pdf")
    assert not_pdf.value.status_code == 415
    assert not_pdf.value.type == "urn:vault:problem:unsupported-media-type"
    image = issuer.documents.upload(
        owner, png_bytes(), paper_type="chip_id_card", title="CCCD", origin="issued_result"
    )
    with pytest.raises(BadRequestError) as scan:
        issuer.verifications.verify_document(image)
    assert scan.value.status_code == 415
    # A stored document is verified only for whoever may read it.
    with pytest.raises(AuthenticationError):
        bank.verifications.verify_document(signed)


def test_certified_copies_issue_lookup_and_refuse(clients: dict[str, VaultClient]) -> None:
    certifier = clients["certifier"]
    owner = clients["clerk"].owners.create(
        kind="citizen", identifier=CITIZEN_ID, display_name="Nguyễn Thị Hương"
    )

    reasons = certifier.certified_copies.refusal_reasons()
    assert {r.code for r in reasons} == set(RefusalReason)
    assert all(r.text and "23/2015/NĐ-CP" in r.legal_basis for r in reasons)

    pages = [jpeg_bytes(400, 560), io.BytesIO(png_bytes(400, 560))]
    total = len(pages[0]) + len(pages[1].getvalue())  # type: ignore[union-attr]
    progress: list[tuple[int, int | None]] = []
    copy = certifier.certified_copies.issue(
        owner,
        pages,
        paper_type="marital_status_certificate",
        title="Giấy xác nhận tình trạng hôn nhân",
        book=BOOK,
        pin=CERTIFIER_PIN,
        reference_number="123/XN",
        original_issue_date=date(2025, 3, 1),
        on_progress=lambda d, t: progress.append((d, t)),
    )
    assert isinstance(copy, CertifiedCopy)
    assert progress[0] == (0, total) and progress[-1] == (total, total)
    assert copy.document.origin is DocumentOrigin.CERTIFIED_COPY
    assert copy.document.owner_id == owner.id and copy.document.has_signature
    cert = copy.certification
    assert cert.book == BOOK and cert.office_agency_code == AGENCY
    assert cert.number >= 1 and cert.number_text.endswith("/ĐT")
    assert cert.pages >= 2
    assert cert.verification_code in cert.verification_url

    # Anyone may look a copy up by its code: what was certified, never whose it is.
    record = clients["anonymous"].certified_copies.lookup(
        cert.verification_code, sha256=cert.content_sha256
    )
    assert record.verification_code == cert.verification_code
    assert record.number_text == cert.number_text and record.title == copy.document.title
    assert record.signatures_valid and record.qr_hash_matches is True
    assert len(record.signatures) == 2  # the officer, then the office's seal
    assert all(s.valid and s.indication == "TOTAL_PASSED" for s in record.signatures)
    assert CITIZEN_ID not in record.model_dump_json()
    tampered = clients["anonymous"].certified_copies.lookup(cert.verification_code, sha256="0" * 64)
    assert tampered.qr_hash_matches is False
    with pytest.raises(NotFoundError):
        clients["anonymous"].certified_copies.lookup("A" * 22)
    # The copy itself verifies: two signatures, B-LT.
    report = certifier.verifications.verify_document(copy.document)
    assert report.passed, report.summary
    assert [s.level for s in report.signatures] == [SignatureLevel.PADES_BASELINE_LT] * 2

    # A restartable job passes its own key: the repeat is answered with the first copy.
    once = {
        "paper_type": "marital_status_certificate",
        "title": "Giấy xác nhận tình trạng hôn nhân",
        "book": BOOK,
        "pin": CERTIFIER_PIN,
        "idempotency_key": f"job-{copy.document.id}",
    }
    first = certifier.certified_copies.issue(owner, jpeg_bytes(400, 560), **once)
    again = certifier.certified_copies.issue(owner, jpeg_bytes(400, 560), **once)
    assert again.document.id == first.document.id
    assert again.certification.number == first.certification.number == cert.number + 1

    # Mistakes are typed errors; a wrong PIN numbers nothing.
    with pytest.raises(BadRequestError) as wrong:
        certifier.certified_copies.issue(
            owner,
            png_bytes(400, 560),  # one page, given alone
            paper_type="marital_status_certificate",
            title="Giấy xác nhận tình trạng hôn nhân",
            book=BOOK,
            pin="999999",
        )
    assert [e.field for e in wrong.value.field_errors] == ["pin"]
    with pytest.raises(BadRequestError) as not_scan:
        certifier.certified_copies.issue(
            owner,
            [b"%!PS-Adobe-3.0 not a scan"],
            paper_type="marital_status_certificate",
            title="Giấy xác nhận",
            book=BOOK,
            pin=CERTIFIER_PIN,
        )
    assert not_scan.value.status_code in (415, 422)
    with pytest.raises(ValueError, match="at least one"):
        certifier.certified_copies.issue(
            owner, [], paper_type="x", title="x", book=BOOK, pin=CERTIFIER_PIN
        )
    with pytest.raises(PermissionDeniedError):
        clients["issuer"].certified_copies.refuse(
            owner, paper_type="diploma", reason=RefusalReason.ALTERED
        )

    refusal = certifier.certified_copies.refuse(
        owner, paper_type="diploma", reason="damaged", note="Rách mất góc có dấu"
    )
    assert refusal.reason is RefusalReason.DAMAGED and refusal.owner_id == owner.id
    assert refusal.reason_text == next(r.text for r in reasons if r.code is RefusalReason.DAMAGED)
    assert refusal.note == "Rách mất góc có dấu" and refusal.office_agency_code == AGENCY
    with pytest.raises(BadRequestError) as unknown:
        certifier.certified_copies.refuse(owner, paper_type="no_such_paper", reason="altered")
    assert [e.field for e in unknown.value.field_errors] == ["paper_type"]
    with pytest.raises(ValueError):
        certifier.certified_copies.refuse(owner, paper_type="diploma", reason="lost")  # type: ignore[arg-type]


# -- async -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_async_client_signs_certifies_and_verifies(
    async_clients: dict[str, AsyncVaultClient],
) -> None:
    clerk, issuer, certifier = (async_clients[n] for n in ("clerk", "issuer", "certifier"))
    bank = async_clients["anonymous"]
    owner = await clerk.owners.create(
        kind="citizen", identifier=CITIZEN_ID, display_name="Nguyễn Thị Hương"
    )
    draft = await issuer.documents.upload(
        owner,
        pdf_bytes(),
        paper_type="procedure_result",
        title="Quyết định",
        origin="issued_result",
    )
    with pytest.raises(BadRequestError) as wrong:
        await issuer.signatures.sign(draft, pin="000000")
    assert [e.field for e in wrong.value.field_errors] == ["pin"]
    signed = await issuer.signatures.sign(draft, pin=ISSUER_PIN)
    assert signed.has_signature and signed.supersedes_id == draft.id

    report = await issuer.verifications.verify_document(signed)
    assert report.passed, report.summary
    assert b"ValidationReport" in await issuer.verifications.verify_document_etsi_xml(signed)
    stream = io.BytesIO()
    await issuer.documents.download(signed, stream)
    uploaded = await bank.verifications.verify(stream.getvalue(), language="vi")
    assert uploaded.bottom_line is report.bottom_line
    assert uploaded.summaries is not None and uploaded.summaries.lang == "vi"
    assert uploaded.on_record is not None and uploaded.on_record.identical
    assert uploaded.on_record.kind is RecordKind.ISSUED_RESULT
    worded = await issuer.verifications.verify_document(signed, language="vi")
    assert worded.summaries is not None and worded.summaries.lang == "vi"
    assert uploaded.signatures[0].signer == report.signatures[0].signer
    assert b"ValidationReport" in await bank.verifications.verify_etsi_xml(
        io.BytesIO(stream.getvalue())
    )
    with pytest.raises(BadRequestError) as not_pdf:
        await bank.verifications.verify(b"plain text, not a PDF")
    assert not_pdf.value.status_code == 415

    reasons = await certifier.certified_copies.refusal_reasons()
    assert {r.code for r in reasons} == set(RefusalReason)
    copy = await certifier.certified_copies.issue(
        owner,
        [png_bytes(400, 560)],
        paper_type="marital_status_certificate",
        title="Giấy xác nhận tình trạng hôn nhân",
        book=BOOK,
        pin=CERTIFIER_PIN,
    )
    record = await bank.certified_copies.lookup(copy.certification.verification_code)
    assert record.signatures_valid and record.qr_hash_matches is None
    with pytest.raises(NotFoundError):
        await bank.certified_copies.lookup("no-such-code")
    refusal = await certifier.certified_copies.refuse(
        owner, paper_type="diploma", reason=RefusalReason.CLASSIFIED
    )
    assert refusal.reason is RefusalReason.CLASSIFIED


# -- offline verification of what the vault signs ---------------------------------------------


def test_the_vaults_own_signed_files_verify_offline(
    clients: dict[str, VaultClient],
    pki: DevPki,  # noqa: F811
    tmp_path: Path,
) -> None:
    """`verify_pdf`, with the pyHanko the server pins, on the vault's signed results (B-T and
    B-LT) and certified copies (officer + seal, B-LT): passed against the development root,
    failed when altered after signing or checked against another root."""
    issuer, certifier = clients["issuer"], clients["certifier"]
    owner = clients["clerk"].owners.create(
        kind="citizen", identifier=CITIZEN_ID, display_name="Nguyễn Thị Hương"
    )
    b_t = issuer.signatures.sign(_draft(issuer, owner), pin=ISSUER_PIN, level=PadesLevel.B_T)
    b_lt = issuer.signatures.sign(_draft(issuer, owner), pin=ISSUER_PIN, level=PadesLevel.B_LT)
    copy = certifier.certified_copies.issue(
        owner,
        [png_bytes(400, 560)],
        paper_type="marital_status_certificate",
        title="Giấy xác nhận tình trạng hôn nhân",
        book=BOOK,
        pin=CERTIFIER_PIN,
    )
    root = pki.cert_path("root")  # what `vault trust-roots` prints in development
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(throwaway_pki.Pki.make().root_pem)
    for name, document, signers in (
        ("result-b-t", b_t, 1),
        ("result-b-lt", b_lt, 1),
        ("certified-copy", copy.document, 2),
    ):
        path = tmp_path / f"{name}.pdf"
        (issuer if name.startswith("result") else certifier).documents.download(document, path)

        report = verify_pdf(path, trust_roots=[root])  # in a child process, as by default
        assert report.verdict == "passed", (name, report.reason)
        assert len(report.signatures) == signers
        for check in report.signatures:
            assert check.passed and check.problems == [], (name, check)
            assert check.intact and check.valid and check.trusted and not check.revoked
            assert check.timestamp is not None  # B-T at least: a trusted timestamp
            # Judged when the timestamp proves it existed, with the revocation data embedded
            # after it (B-LT): still "passed" once the embedded OCSP responses are old.
            assert check.validated_at == check.timestamp
        assert report.signatures[-1].coverage == "entire_file" or name != "result-b-t"

        tampered = verify_pdf(altered_after_signing(path.read_bytes()), [root], timeout=None)
        assert tampered.verdict == "failed", (name, tampered.reason)
        assert any("changed after" in p for p in tampered.signatures[-1].problems), tampered

        untrusted = verify_pdf(path, [other_root], timeout=None)
        assert untrusted.verdict == "failed", (name, untrusted.reason)
        assert all(
            "the signer's certificate does not chain to a trusted root" in c.problems
            for c in untrusted.signatures
        ), untrusted
