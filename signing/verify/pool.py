"""Verification in worker processes, bounded in time and memory.

A `Verifier` keeps a few long-lived worker processes (`signing.verify.worker`), so a
verification costs a round trip over a pipe, not a Python start-up. A job that overruns its
time limit gets its worker killed (SIGKILL) and a "cannot be validated: time limit" report;
a worker that runs out of memory answers "cannot be validated: memory limit" and is
replaced; a worker that dies answers for itself through the parent. Workers are started
lazily, or all at once by `start()`.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import dataclasses
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from signing.verify.errors import VerifierBusy, VerifierClosed
from signing.verify.report import ProblemCode, VerificationReport, cannot_validate
from signing.verify.sniff import sniff_pdf
from signing.verify.trust import TrustSettings, VerificationPolicy
from signing.verify.worker import _HEADER, EXIT_AFTER_MEMORY_ERROR, MAX_FRAME

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MEMORY_LIMIT = 1024 * 1024 * 1024
STARTUP_TIMEOUT = 120.0  # importing pyHanko on a busy 2-core machine


class _WorkerGone(Exception):
    """The worker closed its pipe or died."""


class _Worker:
    def __init__(self, init: bytes) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(_PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        # Fewer malloc arenas: each reserves address space that counts against RLIMIT_AS.
        env["MALLOC_ARENA_MAX"] = "2"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "signing.verify.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin = self.process.stdin
        self._stdin_fd = self.process.stdin.fileno()
        # Non-blocking writes: a wedged worker must not hang the caller on a full pipe.
        os.set_blocking(self._stdin_fd, False)
        self._stdout_fd = self.process.stdout.fileno()
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            self._send(init, deadline)
            ready = self._receive(deadline)
        except BaseException:
            self.kill()
            raise
        if json.loads(ready).get("ready") is not True:
            self.kill()
            raise _WorkerGone("the verification worker did not start")

    def _send(self, payload: bytes, deadline: float) -> None:
        for part in (_HEADER.pack(len(payload)), payload):
            view = memoryview(part)
            while view:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    raise TimeoutError
                _, writable, _ = select.select([], [self._stdin_fd], [], timeout)
                if not writable:
                    raise TimeoutError
                try:
                    written = os.write(self._stdin_fd, view[: 1 << 16])
                except BlockingIOError:
                    continue
                except OSError as exc:  # EPIPE: the worker is gone
                    raise _WorkerGone("the verification worker is gone") from exc
                view = view[written:]

    def _read_exact(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._stdout_fd], [], [], timeout)
            if not ready:
                raise TimeoutError
            chunk = os.read(self._stdout_fd, min(remaining, 1 << 20))
            if not chunk:
                raise _WorkerGone("the verification worker closed its output")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _receive(self, deadline: float) -> bytes:
        (size,) = _HEADER.unpack(self._read_exact(_HEADER.size, deadline))
        if size > MAX_FRAME:
            raise _WorkerGone("the verification worker sent an oversized answer")
        return self._read_exact(size, deadline)

    def run(self, data: bytes, *, offline: bool, time_limit: float) -> bytes:
        header = json.dumps({"offline": offline, "time_limit": time_limit}).encode()
        deadline = time.monotonic() + time_limit
        self._send(header, deadline)
        self._send(data, deadline)
        return self._receive(deadline)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(OSError, ValueError):
            self._stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.stdout is not None:
            with contextlib.suppress(OSError):
                self.process.stdout.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.process.stdout is not None:
            with contextlib.suppress(OSError):
                self.process.stdout.close()


class Verifier:
    """Verifies PDFs in up to `workers` worker processes at once.

    Thread-safe: each call takes a free worker, waiting at most `queue_timeout` seconds for
    one (then `VerifierBusy`). `time_limit` is the default per-document wall-clock limit;
    `memory_limit` the address space each worker may use (bytes).
    """

    def __init__(
        self,
        trust: TrustSettings,
        *,
        policy: VerificationPolicy | None = None,
        workers: int = 1,
        time_limit: float = 30.0,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        queue_timeout: float = 30.0,
        max_document_bytes: int = 64 * 1024 * 1024,
        offline: bool = True,
    ) -> None:
        if workers < 1:
            raise ValueError("a verifier needs at least one worker")
        self.trust = trust
        self.policy = policy or VerificationPolicy()
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self.queue_timeout = queue_timeout
        self.max_document_bytes = max_document_bytes
        self.offline = offline
        self._spawner: ThreadPoolExecutor | None = None
        # Told of every report (the API counts them for /metrics); none by default.
        self.observer: Callable[[VerificationReport, float], None] | None = None
        policy_fields = dataclasses.asdict(self.policy)
        policy_fields["digest_algorithms"] = sorted(self.policy.digest_algorithms)
        self._init = json.dumps(
            {
                "roots": [base64.b64encode(c).decode() for c in trust.roots],
                "intermediates": [base64.b64encode(c).decode() for c in trust.intermediates],
                "policy": policy_fields,
                "memory_limit": memory_limit,
            }
        ).encode()
        # None marks a slot whose worker is not (or no longer) running.
        self._slots: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(workers):
            self._slots.put(None)
        self._workers = workers
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> Verifier:
        """Starts every worker now instead of on first use."""
        taken = [self._take() for _ in range(self._workers)]
        try:
            for index, worker in enumerate(taken):
                if worker is None:
                    taken[index] = self._spawn()
        finally:
            for worker in taken:
                self._slots.put(worker)
        return self

    def _take(self) -> _Worker | None:
        if self._closed:
            raise VerifierClosed("the verifier is closed")
        try:
            return self._slots.get(timeout=self.queue_timeout)
        except queue.Empty:
            raise VerifierBusy("every verification worker is busy", self.queue_timeout) from None

    def _spawn(self) -> _Worker:
        # Started from one thread that lives as long as this verifier: a worker asks the
        # kernel to kill it when its parent dies (PR_SET_PDEATHSIG), and Linux means the
        # thread that started it. Started from a request's thread, it was killed mid-job
        # once the server retired that idle thread while another thread was using it.
        with self._lock:
            if self._spawner is None:
                self._spawner = ThreadPoolExecutor(1, thread_name_prefix="verifier-spawn")
            spawner = self._spawner
        worker = spawner.submit(_Worker, self._init).result()
        with self._lock:
            self._all.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def verify(
        self, data: bytes, *, offline: bool | None = None, time_limit: float | None = None
    ) -> VerificationReport:
        """The report for `data` (offline and time limit default to the verifier's). Never
        raises for a bad document; raises `VerifierBusy` when no worker frees up in time and
        `VerifierClosed` after `close()`."""
        limit = self.time_limit if time_limit is None else time_limit
        offline = self.offline if offline is None else offline
        name = self.policy.name
        if len(data) > self.max_document_bytes:
            return cannot_validate(
                ProblemCode.TOO_LARGE,
                f"the document is larger than {self.max_document_bytes} bytes",
                offline=offline,
                policy=name,
            )
        if not sniff_pdf(data):  # no need to wake a worker for this
            return cannot_validate(
                ProblemCode.NOT_A_PDF,
                "the file is not a PDF (no %PDF- header)",
                offline=offline,
                policy=name,
            )
        started = time.monotonic()
        worker = self._take()
        try:
            report, worker = self._run(worker, data, offline=offline, time_limit=limit)
        except BaseException:
            # Interrupted mid-protocol: the worker's state is unknown, so it goes.
            if worker is not None:
                self._discard(worker)
            self._slots.put(None)
            raise
        self._slots.put(worker)
        if self.observer is not None:
            self.observer(report, time.monotonic() - started)
        return report

    def _run(
        self, worker: _Worker | None, data: bytes, *, offline: bool, time_limit: float
    ) -> tuple[VerificationReport, _Worker | None]:
        """The report, and the worker to put back (None when it had to go)."""
        name = self.policy.name
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    self._discard(worker)
                    worker = None
                worker = self._spawn()
        except (_WorkerGone, TimeoutError, OSError) as exc:
            report = cannot_validate(
                ProblemCode.VERIFIER_FAILURE,
                f"the verification worker could not start ({type(exc).__name__})",
                offline=offline,
                policy=name,
            )
            return report, None
        try:
            raw = worker.run(data, offline=offline, time_limit=time_limit)
        except TimeoutError:
            self._discard(worker)
            report = cannot_validate(
                ProblemCode.TIME_LIMIT_EXCEEDED,
                f"verification did not finish within {time_limit:g} s",
                offline=offline,
                policy=name,
            )
            return report, None
        except _WorkerGone:
            try:
                code: int | None = worker.process.wait(2)
            except subprocess.TimeoutExpired:
                code = None
            self._discard(worker)
            return self._died(code, offline), None
        report = VerificationReport.from_json(raw)
        if report.problem is not None and report.problem.code is ProblemCode.MEMORY_LIMIT_EXCEEDED:
            self._discard(worker)  # it exits by itself; the next job gets a fresh heap
            return report, None
        return report, worker

    def _died(self, returncode: int | None, offline: bool) -> VerificationReport:
        # SIGXCPU: the per-job CPU limit; SIGKILL: possibly the kernel's OOM killer.
        if returncode == EXIT_AFTER_MEMORY_ERROR:
            code = ProblemCode.MEMORY_LIMIT_EXCEEDED
            message = "the document needs more memory than the verifier may use"
        elif returncode == -24:
            code, message = ProblemCode.TIME_LIMIT_EXCEEDED, "verification exceeded its CPU time"
        elif returncode == -9:
            code, message = ProblemCode.MEMORY_LIMIT_EXCEEDED, "the verifier process was killed"
        else:
            code = ProblemCode.VERIFIER_FAILURE
            message = f"the verifier process died (exit status {returncode})"
        return cannot_validate(code, message, offline=offline, policy=self.policy.name)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
            spawner, self._spawner = self._spawner, None
        for worker in workers:
            worker.close()
        if spawner is not None:
            spawner.shutdown(wait=False)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_shared: dict[tuple[TrustSettings, VerificationPolicy], Verifier] = {}
_shared_lock = threading.Lock()


def _shared_verifier(trust: TrustSettings, policy: VerificationPolicy) -> Verifier:
    with _shared_lock:
        verifier = _shared.get((trust, policy))
        if verifier is None:
            if not _shared:
                atexit.register(close_shared_verifiers)
            verifier = _shared[(trust, policy)] = Verifier(trust, policy=policy)
        return verifier


def close_shared_verifiers() -> None:
    with _shared_lock:
        verifiers = list(_shared.values())
        _shared.clear()
    for verifier in verifiers:
        verifier.close()


def verify_pdf(
    data: bytes,
    trust: TrustSettings,
    *,
    offline: bool,
    time_limit: float,
    policy: VerificationPolicy | None = None,
) -> VerificationReport:
    """Verifies `data` in a worker process (one shared, lazily started worker per trust
    and policy). Applications that verify often should own a `Verifier` instead."""
    try:
        verifier = _shared_verifier(trust, policy or VerificationPolicy())
        return verifier.verify(data, offline=offline, time_limit=time_limit)
    except VerifierClosed as exc:
        return cannot_validate(
            ProblemCode.VERIFIER_FAILURE,
            f"the verifier could not run ({type(exc).__name__})",
            offline=offline,
            policy=(policy or VerificationPolicy()).name,
            now=datetime.now(UTC),
        )
