"""Verification throughput: PAdES B-LT documents verified offline, our verifier vs pyHanko.

value    = verifications/s of `signing.verify.Verifier` (one worker process under its time
           and memory limits; byte-range checks, our analysis of every revision, pyHanko's
           validation and difference analysis, the report as JSON over the pipe), median
           over rounds;
baseline = verifications/s of pyHanko called directly in this process on the same files:
           `validate_pdf_signature` for each signature with a validation context built from
           the document's DSS, at the signature timestamp's time (pyHanko's long-term
           validation model), fetching disabled; median over rounds;
ratio    = value / baseline (the goal is >= 0.9).

Our workers parse signature /Contents with a faster hex-string reader
(`signing.verify.fast_hex`; pyHanko's reads byte by byte, ~100 ms per signature here). So
that the ratio does not hide the cost of our extra analysis behind that speed-up, the
benchmark also measures pyHanko directly with the same reader installed and prints that
ratio too (not the RESULT).

The documents are signed before measuring, with the development PKI's officer key and
its TSA, and their revocation data embedded (B-LT); each side then verifies them one at a
time, offline. Rounds alternate which side goes first, so drift on this shared, noisy
machine hits both alike; a warm-up round of each is excluded. Each side checks every
answer (TOTAL_PASSED / a true bottom line), so a fast wrong answer cannot count.
"""

from __future__ import annotations

import asyncio
import io
import logging
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from bench import _common
from bench._common import log
from signing.csc_server.dev_pki import DevPki, start_dev_pki
from signing.verify import Indication, TrustSettings, Verifier, fast_hex
from tests.signing.verify.pdfs import result_document

NAME = "verify"
DOCUMENTS = 4  # distinct signed files, verified in turn


@dataclass(frozen=True)
class Plan:
    rounds: int
    per_round: int
    warmup: int


QUICK = Plan(rounds=4, per_round=12, warmup=4)
FULL = Plan(rounds=8, per_round=30, warmup=8)


@dataclass
class Side:
    name: str
    verify: Callable[[bytes], None]
    rates: list[float] = field(default_factory=list)


def sign_lt_documents(pki: DevPki, count: int) -> list[bytes]:
    cert = load_cert_from_pemder(str(pki.cert_path("officer-an")))
    key = load_private_key_from_pemder(str(pki.key_path("officer-an")), None)
    chain = [load_cert_from_pemder(str(pki.cert_path(x))) for x in ("issuing", "root")]
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs(chain)
    )
    root = asn1_x509.Certificate.load(pki.root.public_bytes(Encoding.DER))
    documents = []
    for _ in range(count):
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1",
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            embed_validation_info=True,
            validation_context=ValidationContext(
                trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail"
            ),
        )
        pdf_signer = signers.PdfSigner(meta, signer, timestamper=HTTPTimeStamper(pki.tsa_url))
        out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(result_document())))
        documents.append(bytes(out.getvalue()))
    return documents


def pyhanko_direct(root: asn1_x509.Certificate) -> Callable[[bytes], None]:
    """pyHanko's validation, called directly: what a caller without our verifier runs."""
    loop = asyncio.new_event_loop()

    async def validate(data: bytes) -> bool:
        reader = PdfFileReader(io.BytesIO(data))
        ok = True
        for sig in reader.embedded_signatures:
            token = next(extract_tst_data_iter(sig.signer_info, signed=False))
            when = token["encap_content_info"]["content"].parsed["gen_time"].native
            dss = DocumentSecurityStore.read_dss(reader)
            context = dss.as_validation_context(
                {
                    "trust_roots": [root],
                    "allow_fetching": False,
                    "revocation_mode": "hard-fail",
                    "retroactive_revinfo": True,
                    "moment": when,
                }
            )
            status = await async_validate_pdf_signature(sig, context)
            ok = ok and status.bottom_line
        return ok

    def verify(data: bytes) -> None:
        if not loop.run_until_complete(validate(data)):
            raise RuntimeError("pyHanko did not validate a good B-LT document")

    return verify


def ours(verifier: Verifier) -> Callable[[bytes], None]:
    def verify(data: bytes) -> None:
        report = verifier.verify(data, offline=True)
        if report.bottom_line is not Indication.TOTAL_PASSED:
            raise RuntimeError(f"the verifier did not pass a good B-LT document: {report.summary}")

    return verify


def run_round(side: Side, documents: list[bytes], count: int, *, record: bool) -> None:
    start = time.perf_counter()
    for index in range(count):
        side.verify(documents[index % len(documents)])
    elapsed = time.perf_counter() - start
    if record:
        side.rates.append(count / elapsed)


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    with _common.work_dir(NAME) as base, start_dev_pki(base / "pki") as running:
        pki = running.pki
        log(f"development PKI on {running.url}; signing {DOCUMENTS} B-LT documents")
        documents = sign_lt_documents(pki, DOCUMENTS)
        trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
        root = asn1_x509.Certificate.load(trust.roots[0])
        with Verifier(trust, workers=1, time_limit=60) as verifier:
            verifier.start()
            ours_side = Side("our verifier (worker process)", ours(verifier))
            direct_side = Side("pyHanko directly", pyhanko_direct(root))
            # The same reader ours uses, measured apart so the extra work shows.
            fast_side = Side("pyHanko directly, with our hex reader", pyhanko_direct(root))
            fast_direct = fast_side.verify

            def with_fast_hex(data: bytes) -> None:
                fast_hex.install()
                try:
                    fast_direct(data)
                finally:
                    fast_hex.uninstall()

            fast_side.verify = with_fast_hex
            sides = (ours_side, direct_side, fast_side)
            log(f"warm-up: {plan.warmup} verifications each")
            for side in sides:
                run_round(side, documents, plan.warmup, record=False)
            for number in range(plan.rounds):
                order = sides if number % 2 == 0 else tuple(reversed(sides))
                for side in order:
                    run_round(side, documents, plan.per_round, record=True)
                log(
                    f"round {number + 1}/{plan.rounds}: ours {ours_side.rates[-1]:.1f}/s, "
                    f"pyHanko {direct_side.rates[-1]:.1f}/s, "
                    f"pyHanko + fast hex {fast_side.rates[-1]:.1f}/s"
                )
    value = statistics.median(ours_side.rates)
    baseline = statistics.median(direct_side.rates)
    same_reader = statistics.median(fast_side.rates)
    for side in sides:
        rate = statistics.median(side.rates)
        log(f"{side.name}: {rate:.1f} verifications/s ({1000 / rate:.1f} ms each)")
    print(
        f"ratio against pyHanko with the same hex reader (our analysis's own cost): "
        f"{value / same_reader:.3f}",
        flush=True,
    )
    _common.print_result(NAME, value, "verifications/s", baseline, value / baseline)


if __name__ == "__main__":
    main()
