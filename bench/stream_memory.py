"""Server memory while a big document streams in and back out.

value    = the API server's peak RSS (its process and any children, sampled every 10 ms)
           during a BIG upload followed by a download of that document, then the same BIG
           file uploaded raw (the body is the file, as the SDK sends it), minus its RSS after
           warm-up, in MiB (the goal is <= 64);
baseline = the same growth for a 1 MiB upload + download, measured first, against the same
           post-warm-up RSS;
ratio    = value / baseline: how the growth scales with a 200x (--quick: 64x) bigger file.
           Streaming keeps it near 1 (fixed-size buffers); anything that holds the whole
           file makes it approach the size ratio. The baseline is floored at 1 MiB so that
           a near-zero small-file growth cannot blow the ratio up into noise.

The client streams the upload from a file on disk (httpx reads it in 64 KiB pieces) and the
download into a hash and /dev/null, so it never holds the file either; the download's SHA-256
must match the file's.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil

from bench import _common
from bench._common import MIB, RssSampler, log

NAME = "stream_memory"
BIG_FULL = 200 * MIB
BIG_QUICK = 64 * MIB
SMALL = 1 * MIB
WARMUP = 256 * 1024
BASELINE_FLOOR_MIB = 1.0
# Streaming a big file through a loaded 2-core machine can be slow; never hang forever.
TIMEOUT = httpx.Timeout(600, connect=10)


@dataclass(frozen=True)
class Sample:
    """A test file on disk and its SHA-256."""

    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class Phase:
    label: str
    seconds: float
    peak_rss: int  # bytes


def write_pdf(path: Path, size: int) -> Sample:
    """A valid PDF of `size` bytes written in 1 MiB pieces: a small PDF, then a `%` comment
    line of random bytes (as `tests.factories.padded_pdf` does, without holding it whole)."""
    digest = hashlib.sha256()
    with path.open("wb") as out:

        def emit(data: bytes) -> None:
            digest.update(data)
            out.write(data)

        emit(_common.pdf_head() + b"\n%")
        remaining = size - out.tell() - 1
        while remaining > 0:
            chunk = _common.random_comment(min(MIB, remaining))
            remaining -= len(chunk)
            emit(chunk)
        emit(b"\n")
    if path.stat().st_size != size:
        raise RuntimeError(f"{path} is {path.stat().st_size} bytes, not {size}")
    return Sample(path, size, digest.hexdigest())


def upload(client: httpx.Client, owner_id: str, sample: Sample) -> str:
    with sample.path.open("rb") as file:
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data=_common.UPLOAD_FIELDS,
            files={"file": (sample.path.name, file, "application/pdf")},
        )
    if r.status_code != 201:
        raise RuntimeError(f"upload answered {r.status_code}: {r.text[:500]}")
    body = r.json()
    if body["content"]["sha256"] != sample.sha256:
        raise RuntimeError("the server recorded another SHA-256 than the file's")
    document_id: str = body["id"]
    return document_id


def upload_raw(client: httpx.Client, owner_id: str, sample: Sample) -> str:
    """The same upload as the SDK sends it: the file as the body (streamed in 64 KiB pieces),
    the metadata in the Document-Metadata header."""

    def pieces() -> Iterator[bytes]:
        with sample.path.open("rb") as file:
            while piece := file.read(64 * 1024):
                yield piece

    r = client.post(
        f"/api/v1/owners/{owner_id}/documents",
        content=pieces(),
        headers={
            "Content-Type": "application/pdf",
            "Content-Length": str(sample.size),
            "Document-Metadata": json.dumps(_common.UPLOAD_FIELDS),
        },
    )
    if r.status_code != 201:
        raise RuntimeError(f"raw upload answered {r.status_code}: {r.text[:500]}")
    if r.json()["content"]["sha256"] != sample.sha256:
        raise RuntimeError("the server recorded another SHA-256 than the file's")
    document_id: str = r.json()["id"]
    return document_id


def download(client: httpx.Client, document_id: str, sample: Sample) -> None:
    digest = hashlib.sha256()
    size = 0
    with (
        Path("/dev/null").open("wb") as sink,
        client.stream("GET", f"/api/v1/documents/{document_id}/content") as r,
    ):
        if r.status_code != 200:
            r.read()
            raise RuntimeError(f"download answered {r.status_code}: {r.text[:500]}")
        for chunk in r.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
            sink.write(chunk)
    if size != sample.size or digest.hexdigest() != sample.sha256:
        raise RuntimeError(
            f"downloaded {size} bytes with SHA-256 {digest.hexdigest()}; "
            f"expected {sample.size} bytes with {sample.sha256}"
        )


def timed(sampler: RssSampler, label: str, action: Callable[[], object]) -> Phase:
    start = time.monotonic()
    action()
    end = time.monotonic()
    samples = sampler.window(start, end)
    if not samples:
        raise RuntimeError(f"no RSS sample during {label}")
    return Phase(label, end - start, max(samples))


def round_trip(
    client: httpx.Client, sampler: RssSampler, owner_id: str, sample: Sample
) -> tuple[Phase, Phase]:
    """Upload then download `sample`, each phase with its time and peak RSS."""
    document: list[str] = []
    up = timed(sampler, "upload", lambda: document.append(upload(client, owner_id, sample)))
    down = timed(sampler, "download", lambda: download(client, document[0], sample))
    return up, down


def mib(n: float) -> float:
    return n / MIB


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    big = BIG_QUICK if args.quick else BIG_FULL
    log(f"{NAME}: server RSS for a {big // MIB} MiB upload + download (baseline: 1 MiB)")
    with (
        _common.work_dir(NAME) as base,
        _common.seaweedfs(base) as s3,
        _common.fresh_database("bench_stream") as db_url,
    ):
        started = time.monotonic()
        big_sample = write_pdf(base / "big.pdf", big)
        small_sample = write_pdf(base / "small.pdf", SMALL)
        warmup_sample = write_pdf(base / "warmup.pdf", WARMUP)
        log(f"test files written in {time.monotonic() - started:.1f} s")

        bucket = _common.create_bucket(s3, "vault")
        officer = _common.add_officer(db_url, base)
        env = _common.vault_env(
            database_url=db_url,
            s3=s3,
            bucket=bucket,
            extra={"VAULT_MAX_UPLOAD_BYTES": str(big + 64 * MIB)},
        )
        with (
            _common.api_server(base, env) as server,
            _common.http_client(server.base_url, timeout=None) as client,
            RssSampler(server.ps) as sampler,
            # The client's own RSS too (not its children: they are the servers), to show it
            # does not hold the file either.
            RssSampler(psutil.Process(), children=False) as own,
        ):
            client.timeout = TIMEOUT
            client.headers.update(officer)
            owner_id = _common.create_owner(client)
            round_trip(client, sampler, owner_id, warmup_sample)
            rest = sampler.settled()
            log(f"server RSS after warm-up: {mib(rest):.1f} MiB")

            small_phases = round_trip(client, sampler, owner_id, small_sample)
            own_rest = own.settled(0.2)
            started = time.monotonic()
            raw_up = timed(sampler, "raw upload", lambda: upload_raw(client, owner_id, big_sample))
            big_phases = (*round_trip(client, sampler, owner_id, big_sample), raw_up)
            own_peak = max(own.window(started))
            after = sampler.settled()
            samples = sampler.count

    for size, phases in ((SMALL, small_phases), (big, big_phases)):
        for phase in phases:
            log(
                f"{size // MIB:4d} MiB {phase.label:10}: {phase.seconds:6.2f} s "
                f"({mib(size) / phase.seconds:6.1f} MiB/s), "
                f"peak RSS {mib(phase.peak_rss):6.1f} MiB (+{mib(phase.peak_rss - rest):.1f})"
            )
    log(f"server RSS after both: {mib(after):.1f} MiB; {samples} RSS samples taken")
    client_growth = mib(own_peak - own_rest)
    log(f"client RSS growth during the {big // MIB} MiB round trip: {client_growth:.1f} MiB")
    log("downloads verified: sizes and SHA-256 match the files")

    value = mib(max(p.peak_rss for p in big_phases) - rest)
    small_growth = mib(max(p.peak_rss for p in small_phases) - rest)
    log(f"growth: {big // MIB} MiB file {value:.1f} MiB; 1 MiB file {small_growth:.1f} MiB")
    baseline = max(small_growth, BASELINE_FLOOR_MIB)
    _common.print_result(NAME, value, "MiB", baseline, value / baseline)


if __name__ == "__main__":
    main()
