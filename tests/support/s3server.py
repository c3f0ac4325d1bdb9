"""Start and stop a real SeaweedFS S3 server (``weed mini``) for tests and benchmarks.

Each server gets its own data directory, its own credentials and an explicitly chosen port
for every listener, so several can run side by side (pytest-xdist workers, a benchmark next
to a test run) and next to a developer's default-port instance.

Usage::

    with start_seaweedfs(tmp_path / "s3") as s3:
        client = Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=False)
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import urllib3
from minio import Minio

# Every TCP listener `weed mini` opens with the flags used below (checked with `ss -ltnp`
# against seaweedfs 4.48). The admin server and its gRPC port stay open even with
# -admin.ui=false, because mini's maintenance worker talks to it. Each gRPC port defaults to
# its HTTP port + 10000, so all are pinned explicitly; otherwise two instances could collide.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)

# Ports a default-configured `weed mini` would take (HTTP, gRPC, Iceberg, Lance, WebDAV,
# debug). Never hand these out, so a developer's own instance can still start.
_WEED_DEFAULT_PORTS = frozenset(
    {9333, 19333, 9340, 19340, 8888, 18888, 8333, 18333, 23646, 33646, 8181, 9101, 7333, 6060}
)

_LOG_NAME = "weed.log"
_RUN_MARKER = "\n--- weed run: "  # starts each run's section of the log
# mini names its local Unix sockets after the port (e.g. /tmp/seaweedfs-s3-grpc-PORT.sock),
# hard-coded under /tmp; a killed server leaves them behind.
_SOCKET_DIR = Path("/tmp")


@dataclass
class S3Server:
    """A running ``weed mini``; ``stop()`` (or leaving the ``with`` block) shuts it down."""

    endpoint: str  # "127.0.0.1:PORT", the form the minio SDK wants
    access_key: str
    secret_key: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    ports: dict[str, int] = field(default_factory=dict)  # weed flag name -> port

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL if the server has not exited after ``timeout`` seconds.

        A clean shutdown takes 2-5 s (the volume server waits out its pre-stop delay).
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._remove_sockets()

    def kill(self) -> None:
        """SIGKILL at once: simulates the storage server dying, e.g. mid-upload."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._remove_sockets()

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines this run wrote (the log is shared by restarts)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        run = text.rsplit(_RUN_MARKER, 1)[-1]
        return "\n".join(run.splitlines()[-lines:])

    def _remove_sockets(self) -> None:
        # Called once our process is gone. A port of ours may still belong to someone else
        # (weed found it busy and gave up), so remove only sockets nobody listens on.
        for port in self.ports.values():
            for sock in _SOCKET_DIR.glob(f"seaweedfs-*-{port}.sock"):
                if not _listening(sock):
                    sock.unlink(missing_ok=True)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_seaweedfs(
    base_dir: Path,
    *,
    weed: Path | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    timeout: float = 30,
) -> S3Server:
    """Start ``weed mini`` in ``base_dir`` and return once S3 answers a signed request.

    ``base_dir`` holds the data (``data/``), the identities file and ``weed.log``. Credentials
    are random unless given. Raises RuntimeError with the log tail if it does not come up.
    """
    weed = weed or Path(sys.executable).with_name("weed")
    access_key = access_key or "vault-" + secrets.token_hex(6)
    secret_key = secret_key or secrets.token_urlsafe(30)
    base_dir = base_dir.resolve()
    data_dir = base_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)

    # With an identities file every request must be signed; a wrong secret gets
    # SignatureDoesNotMatch instead of being let in anonymously.
    config = base_dir / "s3-identities.json"
    identity = {
        "name": "vault",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    # mini saves its flags to data/mini.options and re-applies them on the next start;
    # drop them so a reused data dir runs with exactly the flags below.
    (data_dir / "mini.options").unlink(missing_ok=True)

    # A port picked here can be taken before weed binds it. weed fails fast on a busy explicit
    # HTTP port (it silently moves a busy gRPC port), so retry with fresh ports.
    for _ in range(3):
        server = _launch(weed, base_dir, data_dir, config, access_key, secret_key)
        try:
            _wait_ready(server, timeout)
            return server
        except _PortTaken:
            server.stop()
        except BaseException:
            server.stop()
            raise
    raise RuntimeError(f"weed mini: its ports kept being taken\n{server.log_tail()}")


class _PortTaken(Exception):
    pass


def _launch(
    weed: Path, base_dir: Path, data_dir: Path, config: Path, access_key: str, secret_key: str
) -> S3Server:
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    log_path = base_dir / _LOG_NAME
    cmd = [
        str(weed),
        "-logtostderr",  # glog would otherwise write weed.* files into /tmp
        f"-config_dir={base_dir}",  # no stray security.toml etc. from the cwd or ~/.seaweedfs
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        "-s3.allowDeleteBucketNotEmpty=false",
        "-master.telemetry=false",  # it would phone home otherwise
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    # mini turns AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY into an extra admin identity:
    # keep the caller's AWS settings out of the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log_path.open("ab") as log:
        log.write(f"{_RUN_MARKER}{' '.join(cmd)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            cmd,
            cwd=base_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return S3Server(
        endpoint=f"127.0.0.1:{ports['s3.port']}",
        access_key=access_key,
        secret_key=secret_key,
        data_dir=data_dir,
        process=process,
        log_path=log_path,
        ports=ports,
    )


def _wait_ready(server: S3Server, timeout: float) -> None:
    # No retries and short timeouts: the loop below does the retrying.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=1, read=3), retries=urllib3.Retry(total=0)
    )
    client = Minio(
        server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=False,
        region="us-east-1",  # skips a bucket-location lookup
        http_client=http,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                if "is not available" in server.log_tail(400):
                    raise _PortTaken()
                raise RuntimeError(
                    f"weed mini exited with {server.process.returncode}\n{server.log_tail()}"
                )
            try:
                client.list_buckets()  # signed, so it also proves the identities are loaded
                # The admin server starts last; wait for it so nothing is still booting
                # (and using CPU) when a test or benchmark begins.
                socket.create_connection(("127.0.0.1", server.ports["admin.port"]), 1).close()
                return
            except Exception:
                time.sleep(0.1)
    finally:
        http.clear()
    raise RuntimeError(f"weed mini not ready after {timeout:g} s\n{server.log_tail()}")


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports that are free now.

    Picked below the kernel's ephemeral range, so outgoing connections (which take their
    local port from that range) cannot grab one before weed binds it.
    """
    low = _ephemeral_low()
    candidates = [p for p in range(20000, low) if p not in _WEED_DEFAULT_PORTS]
    chosen: list[int] = []
    for port in random.sample(candidates, len(candidates)):
        # weed checks both the bind address and the wildcard address, so do we (a bind
        # only, closed at once: nothing listens there).
        if _can_bind("127.0.0.1", port) and _can_bind("0.0.0.0", port):  # noqa: S104
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError("no free ports")


def _ephemeral_low() -> int:
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return low if low > 21000 else 32768


def _listening(unix_socket: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(unix_socket))
        except OSError:
            return False
    return True


def _can_bind(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
