"""The verification worker process: `python -m signing.verify.worker`.

Started by `signing.verify.pool`, it verifies one document at a time under hard limits a
hostile PDF cannot lift: an address-space limit (`RLIMIT_AS`, so a decompression bomb or a
huge /Length ends in MemoryError, not in the machine swapping), a CPU-time limit per job
(`RLIMIT_CPU`, behind the parent's wall-clock timeout and kill), no core dumps, and in
offline mode no network at all. It dies with its parent.

Protocol on stdin/stdout: frames of a 4-byte big-endian length and a payload. First an init
frame (JSON: trust anchors, policy, memory limit), answered by {"ready": true}; then per
job a JSON header frame ({"offline": bool, "time_limit": float}) and a frame with the PDF,
answered by the report as JSON. Replies are JSON, never pickle: a worker subverted by a
document could not make its parent run code.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import gc
import json
import logging
import math
import os
import resource
import signal
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

_HEADER = struct.Struct(">I")
MAX_FRAME = 512 * 1024 * 1024
EXIT_AFTER_MEMORY_ERROR = 3


def read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    if size > MAX_FRAME:
        raise ValueError("frame too large")
    data = stream.read(size)
    if len(data) < size:
        return None
    return data


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


class _Offline:
    """Refuses every outgoing connection and name lookup while offline: the guarantee that
    an offline verification fetched nothing does not rest on configuration alone."""

    def __init__(self) -> None:
        self._connect = socket.socket.connect
        self._connect_ex = socket.socket.connect_ex
        self._getaddrinfo = socket.getaddrinfo
        self.active = False

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError("network access is disabled during offline verification")

    def set(self, offline: bool) -> None:
        if offline == self.active:
            return
        refuse: Callable[..., Any] = self._refuse
        socket.socket.connect = refuse if offline else self._connect  # type: ignore[method-assign]
        socket.socket.connect_ex = refuse if offline else self._connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = refuse if offline else self._getaddrinfo
        self.active = offline


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent is already gone
        sys.exit(0)


def _limit_memory(limit_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def _limit_cpu(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def main() -> int:
    # Frames go to the original stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    _die_with_parent()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

    # Import the verifier before the limits: its import is trusted and sizeable.
    from signing.verify import fast_hex
    from signing.verify.engine import analyse_pdf
    from signing.verify.report import ProblemCode, cannot_validate
    from signing.verify.trust import TrustSettings, VerificationPolicy

    fast_hex.install()
    # Compile the report serialiser now rather than during the first job's time limit.
    cannot_validate(ProblemCode.NOT_A_PDF, "warm-up", offline=True, policy="").to_json()
    init_raw = read_frame(inp)
    if init_raw is None:
        return 0
    init = json.loads(init_raw)
    trust = TrustSettings(
        roots=tuple(base64.b64decode(c) for c in init["roots"]),
        intermediates=tuple(base64.b64decode(c) for c in init["intermediates"]),
    )
    policy_fields = dict(init["policy"])
    policy_fields["digest_algorithms"] = frozenset(policy_fields["digest_algorithms"])
    policy = VerificationPolicy(**policy_fields)
    _limit_memory(int(init["memory_limit"]))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    offline_guard = _Offline()
    write_frame(out, b'{"ready": true}')

    while True:
        try:
            header_raw = read_frame(inp)
            data = read_frame(inp) if header_raw is not None else None
        except MemoryError:
            # The document alone does not fit: the parent, still writing it, sees the pipe
            # close and reads this exit status as "memory limit".
            return EXIT_AFTER_MEMORY_ERROR
        if header_raw is None or data is None:
            return 0
        header = json.loads(header_raw)
        offline = bool(header["offline"])
        _limit_cpu(float(header["time_limit"]))
        offline_guard.set(offline)
        exit_code: int | None = None
        try:
            payload = analyse_pdf(data, trust, offline=offline, policy=policy, loop=loop).to_json()
        except MemoryError:
            data = b""
            gc.collect()
            payload = cannot_validate(
                ProblemCode.MEMORY_LIMIT_EXCEEDED,
                "the document needs more memory than the verifier may use",
                offline=offline,
                policy=policy.name,
            ).to_json()
            exit_code = EXIT_AFTER_MEMORY_ERROR  # start afresh: the heap may be fragmented
        except RecursionError:
            payload = cannot_validate(
                ProblemCode.TOO_COMPLEX,
                "the document's structure is nested too deeply",
                offline=offline,
                policy=policy.name,
            ).to_json()
        except Exception as exc:  # a verifier bug is still an answer
            payload = cannot_validate(
                ProblemCode.VERIFIER_FAILURE,
                f"the verifier failed on this document ({type(exc).__name__})",
                offline=offline,
                policy=policy.name,
            ).to_json()
        write_frame(out, payload)
        if exit_code is not None:
            return exit_code


if __name__ == "__main__":
    sys.exit(main())
