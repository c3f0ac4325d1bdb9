"""Remote signing throughput: PAdES B-T signatures through the CSC service vs signing locally.

value    = B-T signatures/s made by pyHanko's stock `CSCSigner` through our signing service
           (credentials/authorize + signatures/signHash over HTTP; the key in SoftHSM2),
           median over rounds;
baseline = B-T signatures/s made by pyHanko with the same key loaded from its file
           (`SimpleSigner`, the key parsed once), median over rounds;
ratio    = value / baseline (the goal is >= 0.8); the remote p50 latency goal is <= 80 ms.

pyHanko's stock `SimpleSigner` re-parses its key for every raw signature (twice per PDF: the
size-estimating dry run signs for real), and cryptography checks an RSA key's consistency on
each parse (~50-100 ms here): that measures key parsing, not signing, so the baseline keeps
the parsed key (`KeyOnceSigner`). The stock signer is measured
too and printed, not used for the ratio.

All sides sign the same one-page PDF with the same RSA-2048 officer key, the same digest,
and a timestamp from the same development TSA, one signature at a time. The service runs
as its own process (`python -m api.csc`, the embedded development default, which also
serves the development TSA); this process is the client. Rounds alternate which side goes
first, so drift on this shared, noisy machine hits both alike; a warm-up round of each is
excluded.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper

from bench import _common
from bench._common import log, percentile
from signing.issuing.client import csc_signer
from tests.support.live import free_port

NAME = "sign"
SERVICE = [sys.executable, "-m", "api.csc"]  # what `vault signing-serve` will run
CREDENTIAL = "h57-officer-an"  # RSA-2048
CERT_LABEL = "officer-an"


class KeyOnceSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner with its RSA key parsed once instead of per signature."""

    _parsed: rsa.RSAPrivateKey | None = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        if self._parsed is None:
            key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            self._parsed = key
        hash_algo = getattr(hashes, digest_algorithm.upper())()
        return self._parsed.sign(data, padding.PKCS1v15(), hash_algo)


@dataclass(frozen=True)
class Plan:
    rounds: int
    per_round: int
    warmup: int


QUICK = Plan(rounds=4, per_round=15, warmup=5)
FULL = Plan(rounds=8, per_round=40, warmup=10)


@dataclass
class Side:
    name: str
    sign: Callable[[bytes], Awaitable[bytes]]
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: the service gets SIGTERM if this benchmark is killed outright.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


@contextlib.contextmanager
def signing_service(base: Path) -> Iterator[tuple[str, dict[str, object]]]:
    """`python -m api.csc` (development default) on free loopback ports; yields its URL and
    the development manifest (TSA URL, credential PINs, key and certificate files)."""
    dev_dir = base / "dev"
    port, pki_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env.update(
        VAULT_SIGNING_DEV_DIR=str(dev_dir),
        VAULT_SIGNING_DEV_PKI_PORT=str(pki_port),
        VAULT_SIGNING_SIGNATURE_LOG=str(base / "signatures.jsonl"),
        VAULT_SIGNING_STATE_FILE=str(base / "credential-state.json"),
    )
    log_path = base / "signing-service.log"
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            [*SERVICE, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=_common.REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        with httpx.Client(timeout=2, trust_env=False) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"signing service exited:\n{log_path.read_text()[-3000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if client.post(f"{url}/csc/v1/info", json={}).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("signing service did not start")
                time.sleep(0.1)
        log(f"signing service pid {process.pid} on {url}")
        manifest = json.loads((dev_dir / "dev-credentials.json").read_text(encoding="utf-8"))
        yield url, manifest
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def pdf_signer(signer: Signer, tsa_url: str, session: aiohttp.ClientSession) -> signers.PdfSigner:
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    # A shared session: without one, pyHanko's timestamp client builds a new aiohttp
    # session, and with it a TLS context loading the CA bundle (~50 ms), per timestamp.
    timestamper = HTTPTimeStamper(tsa_url, session=session)
    return signers.PdfSigner(meta, signer, timestamper=timestamper)


def signing_function(pdf_signer_: signers.PdfSigner) -> Callable[[bytes], Awaitable[bytes]]:
    async def sign(pdf: bytes) -> bytes:
        out = await pdf_signer_.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
        return bytes(out.getvalue())

    return sign


async def run_round(side: Side, pdf: bytes, count: int, *, record: bool) -> None:
    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        signed = await side.sign(pdf)
        latencies.append(time.perf_counter() - t0)
        if len(signed) <= len(pdf):
            raise RuntimeError(f"{side.name}: nothing was signed")
    elapsed = time.perf_counter() - start
    if record:
        side.rates.append(count / elapsed)
        side.latencies.extend(latencies)


async def measure(url: str, manifest: dict[str, object], plan: Plan) -> tuple[Side, Side, Side]:
    credentials = manifest["credentials"]
    assert isinstance(credentials, dict)
    officer = credentials[CREDENTIAL]
    client = manifest["client"]
    assert isinstance(client, dict)
    tsa_url = str(manifest["tsa_url"])
    pki_dir = Path(officer["certificate"]).parent
    pdf = _common.pdf_head()

    async with aiohttp.ClientSession() as session:
        remote_signer = await csc_signer(
            session, url, CREDENTIAL, str(client["token"]), pin=str(officer["pin"])
        )
        key_file, cert_file = str(officer["key_file"]), str(officer["certificate"])
        chain = (str(pki_dir / "issuing.pem"), str(pki_dir / "root.pem"))
        stock_signer = signers.SimpleSigner.load(key_file, cert_file, ca_chain_files=chain)  # type: ignore[no-untyped-call]
        assert stock_signer is not None
        local_signer = KeyOnceSigner(  # load() always builds a plain SimpleSigner
            signing_cert=stock_signer.signing_cert,
            signing_key=stock_signer.signing_key,
            cert_registry=stock_signer.cert_registry,
        )

        def side(name: str, signer: Signer) -> Side:
            return Side(name, signing_function(pdf_signer(signer, tsa_url, session)))

        remote = side("remote (CSC → SoftHSM)", remote_signer)
        local = side("local (SimpleSigner, key parsed once)", local_signer)
        stock = side("local (stock SimpleSigner, key parsed per signature)", stock_signer)

        log(f"warm-up: {plan.warmup} signatures each")
        for each in (remote, local, stock):
            await run_round(each, pdf, plan.warmup, record=False)
        for number in range(plan.rounds):
            order = (remote, local) if number % 2 == 0 else (local, remote)
            for each in order:
                await run_round(each, pdf, plan.per_round, record=True)
            await run_round(stock, pdf, max(1, plan.per_round // 3), record=True)
            log(
                f"round {number + 1}/{plan.rounds}: remote {remote.rates[-1]:.1f}/s, "
                f"local {local.rates[-1]:.1f}/s (stock SimpleSigner {stock.rates[-1]:.1f}/s)"
            )
    return remote, local, stock


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    with _common.work_dir(NAME) as base, signing_service(base) as (url, manifest):
        remote, local, stock = asyncio.run(measure(url, manifest, plan))

    value = statistics.median(remote.rates)
    baseline = statistics.median(local.rates)
    for side in (remote, local, stock):
        ms = [x * 1000 for x in side.latencies]
        log(
            f"{side.name}: {statistics.median(side.rates):.1f} signatures/s, latency "
            f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms "
            f"({len(ms)} signatures)"
        )
    stock_rate = statistics.median(stock.rates)
    print(f"ratio against the stock SimpleSigner: {value / stock_rate:.3f}", flush=True)
    p50 = percentile([x * 1000 for x in remote.latencies], 50)
    print(f"remote p50 latency: {p50:.1f} ms (goal <= 80 ms)", flush=True)
    _common.print_result(NAME, value, "signatures/s", baseline, value / baseline)


if __name__ == "__main__":
    main()
