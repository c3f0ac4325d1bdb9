"""Server memory under unauthenticated, oversized request bodies.

For each kind of route (JSON: sign-in; form: the OAuth token endpoint; multipart upload: a
document into a warehouse; the public verification upload), 8 clients at once each send a
250 MiB body without signing in (--quick: 64 MiB), once declaring its Content-Length and
once chunked (no length: the server must count). Each client sends its body in 1 MiB pieces
from one buffer, stopping as soon as the server answers (the server should answer 413 or 401
long before the end), and checks the status.

value    = the API server's peak RSS growth (its process and children, sampled every 10 ms)
           over its RSS after warm-up, in MiB, across every phase (the goal is <= 64);
baseline = none; ratio = none.

All the while a probe asks /readyz every 100 ms: the run fails if any answer is not 200 or
takes more than 5 s. The slowest /readyz answer is printed.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import _common
from bench._common import MIB, RssSampler, log

NAME = "hostile_memory"
CLIENTS = 8
BIG_FULL = 250 * MIB
BIG_QUICK = 64 * MIB
PIECE = MIB
READY_TIMEOUT = 5.0


@dataclass(frozen=True)
class Kind:
    label: str
    path: str
    content_type: str
    expected: int
    start: bytes  # the body's first bytes; zeros follow, up to the size


def kinds() -> list[Kind]:
    # Bodies of the right kind, well-formed as far as they go, but far too big; none signs in.
    boundary = "hostile" + uuid.uuid4().hex
    multipart = f"multipart/form-data; boundary={boundary}"
    file_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n%"
    ).encode()
    return [
        Kind("JSON (sign-in)", "/api/v1/auth/login", "application/json", 413, b'{"username": "'),
        Kind(
            "form (OAuth token)",
            "/api/v1/oauth/token",
            "application/x-www-form-urlencoded",
            413,
            b"grant_type=client_credentials&client_secret=",
        ),
        Kind(
            "multipart upload",
            f"/api/v1/owners/{uuid.uuid4()}/documents",
            multipart,
            401,
            file_part,
        ),
        Kind("verification upload", "/api/v1/verifications", multipart, 413, file_part),
    ]


@dataclass
class Outcome:
    statuses: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def hostile_request(
    base_url: str, kind: Kind, size: int, chunked: bool, piece: bytes, outcome: Outcome
) -> None:
    """One client: headers, then the body piece by piece until the server answers."""
    host, port = base_url.removeprefix("http://").split(":")
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST {kind.path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {kind.content_type}\r\n"
        f"{framing}\r\n\r\n"
    ).encode()
    sent = len(kind.start)
    try:
        with socket.create_connection((host, int(port)), timeout=120) as sock:
            if chunked:
                sock.sendall(head + f"{len(kind.start):x}\r\n".encode() + kind.start + b"\r\n")
            else:
                sock.sendall(head + kind.start)
            while sent < size:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # the server has answered: stop sending
                _, writable, _ = select.select([], [sock], [], 1)
                if not writable:
                    continue
                n = min(len(piece), size - sent)
                chunk = piece[:n]
                if chunked:
                    chunk = f"{n:x}\r\n".encode() + chunk + b"\r\n"
                try:
                    sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += n
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
            answer = b""
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    except OSError as exc:
        with outcome.lock:
            outcome.errors.append(f"{kind.label}: {exc}")
        return
    with outcome.lock:
        outcome.statuses.append(status)
        outcome.sent.append(sent)


class ReadyProbe:
    """Asks /readyz every 100 ms on its own thread; keeps the slowest answer and failures."""

    def __init__(self, base_url: str) -> None:
        self._client = _common.http_client(base_url, timeout=READY_TIMEOUT)
        self._stop = threading.Event()
        self.slowest = 0.0
        self.answers = 0
        self.failures: list[str] = []
        self._thread = threading.Thread(target=self._run, name="readyz-probe", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status = self._client.get("/readyz").status_code
                if status != 200:
                    self.failures.append(f"/readyz answered {status}")
            except httpx.HTTPError as exc:
                self.failures.append(f"/readyz failed: {exc!r}")
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.answers += 1
            self._stop.wait(0.1)

    def __enter__(self) -> ReadyProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._client.close()


def attack(base_url: str, kind: Kind, size: int, chunked: bool, piece: bytes) -> Outcome:
    outcome = Outcome()
    threads = [
        threading.Thread(
            target=hostile_request, args=(base_url, kind, size, chunked, piece, outcome)
        )
        for _ in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    size = BIG_QUICK if args.quick else BIG_FULL
    log(f"{NAME}: {CLIENTS} unauthenticated {size // MIB} MiB bodies at once, per kind of route")
    piece = bytes(PIECE)  # one buffer for every client: the client holds no body either
    with (
        _common.work_dir(NAME) as base,
        _common.fresh_database("bench_hostile") as db_url,
    ):
        env = _common.vault_env(database_url=db_url, s3=None, storage_path=base / "objects")
        with (
            _common.api_server(base, env) as server,
            _common.http_client(server.base_url) as client,
            RssSampler(server.ps) as sampler,
        ):
            # Warm-up: one refused request of each kind, so lazily built parts exist.
            for kind in kinds():
                attack(server.base_url, kind, 2 * MIB, False, piece)
            client.get("/readyz")
            rest = sampler.settled()
            log(f"server RSS after warm-up: {rest / MIB:.1f} MiB")
            peaks: list[tuple[str, float, float]] = []
            with ReadyProbe(server.base_url) as probe:
                for kind in kinds():
                    for chunked in (False, True):
                        label = f"{kind.label}, {'chunked' if chunked else 'Content-Length'}"
                        started = time.monotonic()
                        outcome = attack(server.base_url, kind, size, chunked, piece)
                        seconds = time.monotonic() - started
                        peak = max(sampler.window(started))
                        if outcome.errors:
                            raise RuntimeError(f"{label}: {outcome.errors[:3]}")
                        wrong = [s for s in outcome.statuses if s != kind.expected]
                        if wrong or len(outcome.statuses) != CLIENTS:
                            raise RuntimeError(
                                f"{label}: answers {outcome.statuses}, expected "
                                f"{CLIENTS} x {kind.expected}\n{server.log_tail()}"
                            )
                        most = max(outcome.sent) / MIB
                        peaks.append((label, (peak - rest) / MIB, seconds))
                        log(
                            f"{label:45}: {CLIENTS} x {kind.expected} in {seconds:5.2f} s, "
                            f"at most {most:.1f} MiB sent before the answer, "
                            f"peak RSS +{(peak - rest) / MIB:.1f} MiB"
                        )
            after = sampler.settled()
    if probe.failures:
        raise RuntimeError(f"/readyz failed during the run: {probe.failures[:3]}")
    log(f"/readyz: {probe.answers} answers, all 200, the slowest in {probe.slowest * 1000:.0f} ms")
    log(f"server RSS after the run: {after / MIB:.1f} MiB (+{(after - rest) / MIB:.1f})")
    value = max(growth for _, growth, _ in peaks)
    _common.print_result(NAME, value, "MiB", None, None)


if __name__ == "__main__":
    main()
