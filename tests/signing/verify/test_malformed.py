"""Files the parser chokes on get a structured "cannot be validated: why", never a crash,
never a hang, never PASSED; the worker's time and memory limits hold."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from signing.verify import Indication, ProblemCode, SubIndication, TrustSettings, Verifier
from tests.signing.verify import pdfs


@pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(pdfs.truncated, ProblemCode.UNREADABLE_PDF, id="truncated"),
        pytest.param(
            lambda s: pdfs.garbage_with_header(), ProblemCode.UNREADABLE_PDF, id="garbage"
        ),
        pytest.param(lambda s: b"\x89PNG\r\n\x1a\n" + s[100:200], ProblemCode.NOT_A_PDF, id="png"),
        pytest.param(lambda s: b"", ProblemCode.NOT_A_PDF, id="empty"),
        pytest.param(pdfs.page_tree_cycle, ProblemCode.TOO_COMPLEX, id="page-tree-cycle"),
    ],
)
def test_unreadable_files_cannot_be_validated(
    verifier: Verifier,
    locally_signed: bytes,
    make: Callable[[bytes], bytes],
    code: ProblemCode,
) -> None:
    report = verifier.verify(make(locally_signed))
    assert report.problem is not None and report.problem.code is code, report.summary
    assert report.bottom_line is Indication.INDETERMINATE
    assert not report.validated and report.summary.startswith("cannot be validated")


def test_byte_range_pointing_outside_the_file_fails(
    verifier: Verifier, locally_signed: bytes
) -> None:
    report = verifier.verify(pdfs.byte_range_outside_file(locally_signed), offline=False)
    sig = report.signatures[0]
    assert (sig.indication, sig.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert any("past the end of the file" in e for e in sig.errors)


def test_huge_length_is_not_a_crash(verifier: Verifier) -> None:
    report = verifier.verify(pdfs.huge_length())
    assert report.bottom_line is Indication.INDETERMINATE
    assert report.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND or report.problem


def test_unsigned_document_is_not_passed(verifier: Verifier, result_pdf: bytes) -> None:
    report = verifier.verify(result_pdf)
    assert report.bottom_line is Indication.INDETERMINATE
    assert report.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    assert report.validated  # it was read fine: there is simply nothing signed


def test_time_limit_kills_the_worker_and_the_next_document_is_verified(
    verifier: Verifier, signed_lt: bytes
) -> None:
    report = verifier.verify(signed_lt, time_limit=0.005)
    assert report.problem is not None
    assert report.problem.code is ProblemCode.TIME_LIMIT_EXCEEDED
    assert report.bottom_line is Indication.INDETERMINATE
    assert verifier.verify(signed_lt).bottom_line is Indication.TOTAL_PASSED


def test_memory_limit_is_a_report_not_a_crash(trust: TrustSettings, result_pdf: bytes) -> None:
    # The worker idles at ~100 MB of address space; 180 MB more does not fit in 256.
    big = result_pdf + b"%" + b"x" * (180 * 1024 * 1024) + b"\n"
    with Verifier(trust, memory_limit=256 * 1024 * 1024, max_document_bytes=len(big)) as tight:
        report = tight.verify(big)
        assert report.problem is not None, report.summary
        assert report.problem.code is ProblemCode.MEMORY_LIMIT_EXCEEDED
        assert tight.verify(result_pdf).sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND


def test_too_large_is_refused_before_any_parsing(trust: TrustSettings) -> None:
    with Verifier(trust, max_document_bytes=1000) as small:
        report = small.verify(b"%PDF-1.7\n" + b"x" * 2000)
    assert report.problem is not None and report.problem.code is ProblemCode.TOO_LARGE
