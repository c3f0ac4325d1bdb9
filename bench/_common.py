"""Shared plumbing for the benchmarks.

Every benchmark starts what it measures against, on loopback only, and tears it down in
reverse order, on failure and on SIGTERM too:

- a SeaweedFS S3 server (`weed mini`) in a temporary folder, with a fresh bucket;
- a fresh PostgreSQL database migrated to head, dropped at the end;
- the API as a real uvicorn server in a separate process (`vault serve`), so the client's
  load does not share its GIL and its RSS can be measured on its own.

The last line a benchmark prints is the one `./scripts/bench` documents:
`RESULT <name> value=<n> unit=<u> baseline=<n|none> ratio=<n|none>`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import FrameType
from typing import TypeVar

import httpx
import psutil
import pypdfium2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from minio import Minio
from PIL import Image
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from tests.support import postgres
from tests.support.live import free_port
from tests.support.s3server import S3Server, start_seaweedfs
from vault.auth import Role
from vault.db import migrate
from vault.domain import Account
from vault.runtime import Vault
from vault.settings import (
    Environment,
    Settings,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

# A valid citizen identifier (Hồ Chí Minh City, born 2003) and a seeded paper type.
CITIZEN_ID = "079203001234"
PAPER_TYPE = "birth_certificate"
# The agency of the benchmarks' officer, and what it uploads: a result it issued itself,
# which its officers may store and read back.
AGENCY = "000.00.15.H57"
OFFICER = "bench-officer"
UPLOAD_FIELDS = {
    "paper_type": PAPER_TYPE,
    "title": "Giấy khai sinh (bản điện tử)",
    "origin": "issued_result",
}
# A token signing key made for this run and given to the server too, so the benchmark can
# issue its callers' access tokens itself: no password hashing and no sign-in round trips
# (an Argon2 hash takes ~0.5 s here). Tokens live the longest allowed, so none expires
# mid-run.
TOKEN_KEY_ID = "bench"
TOKEN_TTL_SECONDS = 3600
TOKEN_KEY_PEM = (
    Ed25519PrivateKey.generate()
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode()
)


_STARTED = time.monotonic()

T = TypeVar("T")


# -- output ------------------------------------------------------------------------------


def log(message: str) -> None:
    """A progress line, stamped with the seconds since the benchmark started."""
    print(f"[{time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


def _number(x: float | None) -> str:
    return "none" if x is None else f"{x:.3f}"


def print_result(
    name: str, value: float, unit: str, baseline: float | None, ratio: float | None
) -> None:
    """Prints the RESULT line; must be the last thing a benchmark prints."""
    print(
        f"RESULT {name} value={_number(value)} unit={unit} "
        f"baseline={_number(baseline)} ratio={_number(ratio)}",
        flush=True,
    )


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating between closest ranks (numpy's default)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# -- command line and signals ------------------------------------------------------------


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="a smaller run (about a minute) for a smoke check"
    )
    args = parser.parse_args()
    _exit_cleanly_on_sigterm()
    return args


def _exit_cleanly_on_sigterm() -> None:
    # By default SIGTERM ends Python without unwinding: the S3 server, the API process and
    # the database would be left behind. SystemExit runs every `with` block's clean-up.
    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


# -- services ----------------------------------------------------------------------------


@contextlib.contextmanager
def work_dir(name: str) -> Iterator[Path]:
    """A temporary folder for the run (S3 data, logs, big files), removed at the end."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as path:
        yield Path(path)


@contextlib.contextmanager
def seaweedfs(base: Path) -> Iterator[S3Server]:
    log("starting SeaweedFS")
    server = start_seaweedfs(base / "s3")
    try:
        log(f"SeaweedFS S3 on {server.endpoint}")
        yield server
    finally:
        server.stop()  # takes 2-5 s: the volume server waits out a pre-stop delay


def minio_client(s3: S3Server) -> Minio:
    # region given: skips a bucket-location lookup before the first request.
    return Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=False, region="us-east-1")


def create_bucket(s3: S3Server, name: str) -> str:
    minio_client(s3).make_bucket(name)
    return name


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database migrated to head; its SQLAlchemy URL. Dropped at the end."""
    url = postgres.create_database(prefix)
    try:
        migrate.upgrade(url)
        log(f"database {make_url(url).database} migrated")
        yield url
    finally:
        postgres.drop_database(url)


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as a libpq URL psycopg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def http_client(base_url: str, *, timeout: float | None = 60) -> httpx.Client:
    # trust_env=False: no proxy from the environment may route loopback traffic elsewhere.
    return httpx.Client(base_url=base_url, timeout=timeout, trust_env=False)


@dataclass
class ApiServer:
    """`vault serve` running in its own process."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ps: psutil.Process = field(init=False)

    def __post_init__(self) -> None:
        self.ps = psutil.Process(self.process.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: PR_SET_PDEATHSIG (1) has the kernel send
    # SIGTERM to the API server if the benchmark itself is killed outright (SIGKILL), so no
    # uvicorn is left holding a port. Only the main thread starts servers, so the fork is
    # safe despite the usual preexec_fn caveat about threads.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)


def vault_env(
    *,
    database_url: str,
    s3: S3Server | None,
    bucket: str = "",
    storage_path: Path | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The server's environment: ours without any VAULT_* setting, plus the run's own.

    Objects go to `bucket` on `s3`, or with `s3=None` to the folder `storage_path`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env.update(
        VAULT_ENV="test",
        VAULT_DATABASE_URL=database_url,
        # A benchmark is one client hammering the API: a per-caller rate limit would
        # measure the limiter. (Settings ignore VAULT_* names they do not know.)
        VAULT_RATE_LIMIT_PER_MINUTE=str(10**9),
        VAULT_TOKEN_SIGNING_KEYS=json.dumps({TOKEN_KEY_ID: TOKEN_KEY_PEM}),
        VAULT_ACTIVE_TOKEN_KEY_ID=TOKEN_KEY_ID,
        VAULT_TOKEN_TTL_SECONDS=str(TOKEN_TTL_SECONDS),
        # Every answer says where its time went (Server-Timing); `StageTimes` reads it.
        VAULT_SERVER_TIMING="1",
    )
    if s3 is not None:
        env.update(
            VAULT_STORAGE_BACKEND="s3",
            VAULT_S3_ENDPOINT=s3.endpoint,
            VAULT_S3_ACCESS_KEY=s3.access_key,
            VAULT_S3_SECRET_KEY=s3.secret_key,
            VAULT_S3_BUCKET=bucket,
        )
    elif storage_path is not None:
        storage_path.mkdir(parents=True, exist_ok=True)
        env.update(VAULT_STORAGE_BACKEND="filesystem", VAULT_STORAGE_PATH=str(storage_path))
    else:
        raise ValueError("give either an S3 server or a storage path")
    env.update(extra or {})
    return env


def vault_serve() -> list[str]:
    """The API server's command line, less the --host/--port/--log-level flags."""
    return [str(Path(sys.executable).with_name("vault")), "serve"]


@contextlib.contextmanager
def api_server(
    base: Path,
    env: dict[str, str],
    *,
    command: Sequence[str] | None = None,
    # Importing the app alone takes over a minute when the shared machine is busy.
    timeout: float = 180,
) -> Iterator[ApiServer]:
    """Starts the API server (default: `vault serve`) on a free loopback port; yields once
    /readyz answers 200. `command` may be another server line taking the same trailing flags,
    e.g. `uvicorn --factory api.app:create_app --workers 2` for an experiment."""
    argv = list(command or vault_serve())
    log_path = base / "api.log"
    for attempt in range(3):
        port = free_port()
        with log_path.open("ab") as out:
            process = subprocess.Popen(
                [*argv, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                cwd=base,  # anything the server writes relative to its cwd stays in the run dir
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        server = ApiServer(f"http://127.0.0.1:{port}", process, log_path)
        try:
            if _wait_ready(server, timeout):
                break
        except BaseException:
            server.stop()
            raise
        # It exited before answering: most likely the port was taken in between.
        server.stop()
        log(f"API server exited at start (attempt {attempt + 1}); retrying on another port")
    else:
        raise RuntimeError(f"the API server would not start\n{server.log_tail()}")
    log(f"API server pid {process.pid} on {server.base_url}")
    try:
        yield server
    finally:
        server.stop()


def _wait_ready(server: ApiServer, timeout: float) -> bool:
    """True once /readyz says 200; False if the process exited first."""
    deadline = time.monotonic() + timeout
    with http_client(server.base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            with contextlib.suppress(httpx.TransportError):
                if client.get("/readyz").status_code == 200:
                    return True
            time.sleep(0.1)
    raise RuntimeError(f"the API server was not ready after {timeout:g} s\n{server.log_tail()}")


# -- accounts ----------------------------------------------------------------------------


@contextlib.contextmanager
def local_vault(database_url: str, base: Path) -> Iterator[Vault]:
    """The vault's services in this process, on the run's database and with the server's
    token key: to make accounts and issue their access tokens."""
    settings = Settings(
        env=Environment.TEST,
        database_url=database_url,
        storage_backend="filesystem",
        storage_path=base / "local-objects",
        token_signing_keys={TOKEN_KEY_ID: SecretStr(TOKEN_KEY_PEM)},
        active_token_key_id=TOKEN_KEY_ID,
        token_ttl_seconds=TOKEN_TTL_SECONDS,
    )
    vault = Vault.from_settings(settings)
    try:
        yield vault
    finally:
        vault.close()


def _bearer(vault: Vault, account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {vault.auth.token_for(account).token}"}


def add_officer(database_url: str, base: Path) -> dict[str, str]:
    """An officer of AGENCY who may register owners and store and read what AGENCY issues;
    returns the Authorization header to act as them."""
    with local_vault(database_url, base) as vault, vault.uows() as uow:
        vault.auth.add_agency(uow, AGENCY, "UBND phường Bến Nghé")
        account = vault.auth.add_officer(
            uow,
            username=OFFICER,
            full_name="Cán bộ đo hiệu năng",
            agency_code=AGENCY,
            roles=[Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER],
        )
        uow.commit()
        return _bearer(vault, account)


def add_owner_accounts(
    database_url: str, base: Path, owner_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    """An account for each owner, who may then list their own warehouse; the Authorization
    header of each, by owner id."""
    with local_vault(database_url, base) as vault, vault.uows() as uow:
        accounts = {
            owner_id: vault.auth.add_owner_account(
                uow, owner_id=uuid.UUID(owner_id), username=f"owner-{i}"
            )
            for i, owner_id in enumerate(owner_ids)
        }
        uow.commit()
        return {owner_id: _bearer(vault, account) for owner_id, account in accounts.items()}


def create_owner(client: httpx.Client, identifier: str = CITIZEN_ID) -> str:
    """Registers a citizen (as the signed-in officer of `client`); returns the owner id."""
    r = client.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": identifier, "display_name": "Nguyễn Thị Hương"},
    )
    if r.status_code not in (200, 201):
        raise RuntimeError(f"registering the owner answered {r.status_code}: {r.text[:300]}")
    owner_id: str = r.json()["id"]
    return owner_id


# -- measuring ---------------------------------------------------------------------------


class RssSampler:
    """Samples the resident set size of a process and its children on a background thread.

    Children are looked up again every half second only: walking /proc for them on every
    10 ms sample would cost more than the sample itself.
    """

    def __init__(
        self, process: psutil.Process, *, children: bool = True, interval: float = 0.01
    ) -> None:
        self._process = process
        self._children = children
        self._interval = interval
        self._samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _rss(self, children: list[psutil.Process]) -> int:
        total = self._process.memory_info().rss
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        children: list[psutil.Process] = []
        refreshed = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if self._children and now - refreshed > 0.5:
                children = self._process.children(recursive=True)
                refreshed = now
            try:
                self._samples.append((now, self._rss(children)))
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def window(self, start: float, end: float | None = None) -> list[int]:
        """RSS samples (bytes) taken between two `time.monotonic()` instants."""
        stop = time.monotonic() if end is None else end
        return [rss for t, rss in list(self._samples) if start <= t <= stop]

    def settled(self, seconds: float = 1.0) -> int:
        """The median RSS over the next `seconds` of idling (bytes)."""
        start = time.monotonic()
        time.sleep(seconds)
        samples = sorted(self.window(start))
        if not samples:
            raise RuntimeError("the RSS sampler took no samples")
        return samples[len(samples) // 2]

    @property
    def count(self) -> int:
        return len(self._samples)


def run_parallel(jobs: Sequence[T], workers: Sequence[Callable[[T], None]]) -> float:
    """Runs every job, worker i on thread i taking the next job as it gets free.

    Returns the wall-clock seconds from the moment all threads are ready to the last job's
    end. The first exception raised by a worker is raised here once all threads stopped.
    """
    lock = threading.Lock()
    position = 0
    errors: list[BaseException] = []
    ready = threading.Barrier(len(workers) + 1)

    def loop(worker: Callable[[T], None]) -> None:
        nonlocal position
        ready.wait()
        while not errors:
            with lock:
                if position >= len(jobs):
                    return
                job = jobs[position]
                position += 1
            try:
                worker(job)
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


class StageTimes:
    """Where the server says a request's time went: its Server-Timing header, per stage
    (token, account, ratelimit, sql, service, commit, audit, serialise, other; total), over
    a run. The client's own latency adds the HTTP round trip and parsing to `total`."""

    ORDER = (
        "token",
        "account",
        "ratelimit",
        "sql",
        "service",
        "commit",
        "audit",
        "serialise",
        "other",
    )

    def __init__(self) -> None:
        self.requests: list[dict[str, float]] = []

    def add(self, response: httpx.Response) -> None:
        header = response.headers.get("server-timing")
        if not header:
            return
        stages: dict[str, float] = {}
        for part in header.split(","):
            name, _, rest = part.strip().partition(";")
            if rest.startswith("dur="):
                stages[name] = stages.get(name, 0.0) + float(rest[4:])
        self.requests.append(stages)

    def report(self, label: str, client_ms: Sequence[float] | None = None) -> list[str]:
        """Lines: each stage's mean, p50 and p99 (ms), and the mean make-up of the slowest
        1 % of requests (by server total), which is where a p99 goes."""
        if not self.requests:
            return [f"{label}: the server sent no Server-Timing"]
        names = [n for n in self.ORDER if any(n in r for r in self.requests)]
        names += sorted({n for r in self.requests for n in r} - {*names, "total"})
        slow = sorted(self.requests, key=lambda r: r.get("total", 0.0))
        slow = slow[-max(1, len(slow) // 100) :]
        lines = [
            f"{label}: where a request's time goes, per stage (ms; {len(self.requests)} requests)"
        ]
        lines.append(f"    {'stage':<10} {'mean':>7} {'p50':>7} {'p99':>7}  {'slowest 1 %':>11}")
        for name in [*names, "total"]:
            values = [r.get(name, 0.0) for r in self.requests]
            slow_mean = sum(r.get(name, 0.0) for r in slow) / len(slow)
            lines.append(
                f"    {name:<10} {sum(values) / len(values):7.3f} {percentile(values, 50):7.3f} "
                f"{percentile(values, 99):7.3f}  {slow_mean:11.3f}"
            )
        if client_ms:
            server = [r.get("total", 0.0) for r in self.requests]
            outside = sum(client_ms) / len(client_ms) - sum(server) / len(server)
            lines.append(
                f"    {'client':<10} {sum(client_ms) / len(client_ms):7.3f} "
                f"{percentile(client_ms, 50):7.3f} {percentile(client_ms, 99):7.3f}  "
                f"(HTTP and the client: mean {outside:.3f})"
            )
        return lines


# -- content -----------------------------------------------------------------------------


@cache
def pdf_head() -> bytes:
    """A small valid one-page PDF (what `tests.factories.pdf_bytes` makes)."""
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def random_comment(size: int) -> bytes:
    """`size` random bytes with no line breaks: the body of a PDF comment line."""
    return os.urandom(size).replace(b"\n", b" ").replace(b"\r", b" ")


def padded_pdf(size: int) -> bytes:
    """A valid PDF of exactly `size` bytes, distinct each call: the small PDF, then a `%`
    comment line of random bytes (the layout of `tests.factories.padded_pdf`)."""
    head = pdf_head()
    pad = size - len(head) - 3
    if pad < 0:
        raise ValueError(f"a padded PDF cannot be smaller than {len(head) + 3} bytes")
    return head + b"\n%" + random_comment(pad) + b"\n"


def scan_pdf(size: int) -> bytes:
    """A scan as a one-page PDF: a JPEG of random grey noise (which barely
    compresses) sized to about `size` bytes, distinct each call. Unlike `padded_pdf`, its
    cross-reference table is intact, so checking it costs what a real scan's check costs
    (PDFium rebuilds the table of a file with bytes after its end, scanning all of it)."""
    side = max(64, int((size * 1.25) ** 0.5))
    for _ in range(6):
        image = Image.frombytes("L", (side, side), os.urandom(side * side))
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=75)
        if abs(len(jpeg.getvalue()) - size) < size * 0.03:
            break
        side = max(64, int(side * (size / len(jpeg.getvalue())) ** 0.5))
    pdf = pypdfium2.PdfDocument.new()
    page = pdf.new_page(595, 842)
    picture = pypdfium2.PdfImage.new(pdf)
    picture.load_jpeg(io.BytesIO(jpeg.getvalue()), inline=False)
    picture.set_matrix(pypdfium2.PdfMatrix().scale(595, 842))
    page.insert_obj(picture)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()
