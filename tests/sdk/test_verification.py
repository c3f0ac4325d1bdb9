"""Offline verification of a signed PDF downloaded through the SDK, with no server call:
a verdict, never a crash, for intact, altered, untrusted, unsigned and malformed files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from vault_client import VaultClient
from vault_client.verification import verify_pdf

from tests.factories import CITIZEN_ID, pdf_bytes
from tests.sdk.pki import Pki, altered_after_signing, fill_text_field, with_text_field

sqlite_only = pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.make()


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    return pki.sign()


@sqlite_only
def test_a_result_downloaded_from_the_vault_verifies_offline(
    sdk: VaultClient, pki: Pki, signed: bytes, tmp_path: Path
) -> None:
    owner = sdk.owners.create(kind="citizen", identifier=CITIZEN_ID, display_name="Hương")
    stored = sdk.documents.upload(
        owner, signed, paper_type="procedure_result", title="Kết quả", origin="issued_result"
    )
    assert stored.has_signature
    path = tmp_path / "result.pdf"
    sdk.documents.download(stored, path)
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_pem)

    report = verify_pdf(path, trust_roots=[root])  # in a child process, time-bounded
    assert report.passed, report.reason
    (check,) = report.signatures
    assert check.intact and check.valid and check.trusted and not check.revoked
    assert check.coverage == "entire_file" and check.problems == []
    assert check.signer is not None and "Trần Văn Ký" in check.signer
    assert check.signed_at is not None
    # No timestamp to prove when it was signed: judged now.
    assert check.timestamp is None and check.validated_at is not None
    assert abs((check.validated_at - datetime.now(UTC)).total_seconds()) < 120
    assert verify_pdf(path.read_bytes(), [pki.root_pem], timeout=None).passed


def test_content_changed_after_signing_fails(pki: Pki, signed: bytes) -> None:
    report = verify_pdf(altered_after_signing(signed), [pki.root_pem], timeout=None)
    assert report.verdict == "failed"
    (check,) = report.signatures
    assert check.intact  # the signed revision itself is untouched: the trap
    assert any("changed after the signature" in p for p in check.problems)


def test_a_signer_outside_the_trust_roots_fails(signed: bytes) -> None:
    report = verify_pdf(signed, [Pki.make().root_pem], timeout=None)
    assert report.verdict == "failed"
    assert report.signatures[0].problems == [
        "the signer's certificate does not chain to a trusted root"
    ]


def test_an_unsigned_file_fails(pki: Pki) -> None:
    report = verify_pdf(pdf_bytes(), [pki.root_pem], timeout=None)
    assert report.verdict == "failed" and report.reason == "the file carries no signature"


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7\n garbage", b"", b"not a pdf at all"],
    ids=["garbage", "empty", "not-pdf"],
)
def test_a_malformed_file_cannot_be_validated(pki: Pki, content: bytes) -> None:
    report = verify_pdf(content, [pki.root_pem], timeout=None)
    assert report.verdict == "cannot_validate" and not report.passed


def test_a_truncated_signed_file_is_never_passed(pki: Pki, signed: bytes) -> None:
    report = verify_pdf(signed[: len(signed) // 2], [pki.root_pem], timeout=None)
    assert report.verdict in {"failed", "cannot_validate"}


def test_time_memory_and_size_bounds(pki: Pki, signed: bytes) -> None:
    slow = verify_pdf(signed, [pki.root_pem], timeout=0.05)
    assert slow.verdict == "cannot_validate" and "longer than" in slow.reason
    starved = verify_pdf(signed, [pki.root_pem], max_memory=64 * 1024 * 1024)
    assert starved.verdict == "cannot_validate"
    big = verify_pdf(signed, [pki.root_pem], max_bytes=100)
    assert big.verdict == "cannot_validate" and "over 100 bytes" in big.reason


def test_trust_roots_that_cannot_be_read_are_the_callers_error(
    signed: bytes, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="trust root"):
        verify_pdf(signed, [b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"])
    with pytest.raises(FileNotFoundError):
        verify_pdf(signed, [tmp_path / "missing.pem"])
    with pytest.raises(TypeError):
        verify_pdf(signed, tmp_path / "root.pem")  # type: ignore[arg-type]


def test_an_earlier_signature_allows_later_signatures_and_nothing_else(pki: Pki) -> None:
    form = with_text_field(pdf_bytes(), "HoTen")
    first = pki.sign(form, field_name="NguoiKy")
    both = pki.sign(first, field_name="ConDau")  # the office seal after the officer
    report = verify_pdf(both, [pki.root_pem], timeout=None)
    assert report.passed, report.reason
    assert [c.field_name for c in report.signatures] == ["NguoiKy", "ConDau"]

    # A form value filled in between: the later signature covers it, the earlier does not.
    filled = pki.sign(fill_text_field(first, "HoTen", "Nguyễn Văn A"), field_name="ConDau")
    report = verify_pdf(filled, [pki.root_pem], timeout=None)
    assert report.verdict == "failed"
    earlier, later = report.signatures
    assert earlier.problems == [
        "the file was changed after this signature by more than later signatures"
    ]
    assert later.passed and later.problems == []
