"""An owner's export: building the sealed package and downloading it, against raw S3 reads.

value    = the owner's papers in MiB divided by the seconds from asking for the export to the
           last byte of its download (the job reads every paper from S3, checks and decrypts
           it, writes the zip encrypted back to S3; the download reads, decrypts and checks it
           again), in MiB/s;
baseline = the same objects read raw from S3 (minio, one after another, bytes dropped), MiB/s;
ratio    = value / baseline (goal >= 0.8).
Also printed: the RSS growth of the API server and of the export worker (`vault worker
--kinds export`) during the build and the download (goal <= 64 MiB each), and where the time
goes (build vs download).

Full: 2,000 papers of 1 MiB (2 GB); --quick: 120 papers of 512 KiB. The papers are PDFs
padded with random bytes (nothing compresses), stored through the API by an issuing officer.
The manifest is sealed by the development signing service (`python -m api.csc`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil

from bench import _common
from bench._common import MIB, RssSampler, log
from bench.sign import signing_service

NAME = "export"
FULL = (2000, MIB)
QUICK = (120, 512 * 1024)
TIMEOUT = httpx.Timeout(1800, connect=10)
SEAL = "h57-seal"


def signer_env(url: str, manifest: dict[str, object]) -> dict[str, str]:
    credentials = manifest["credentials"]
    assert isinstance(credentials, dict)
    seal = credentials[SEAL]
    client = manifest["client"]
    assert isinstance(client, dict)
    seal_json: dict[str, str] = {"credential_id": SEAL, "pin": seal["pin"]}
    if seal.get("otp_secret_base32"):
        seal_json["otp_secret"] = seal["otp_secret_base32"]
    return {
        "VAULT_SIGNER_SERVICE_URL": url,
        "VAULT_SIGNER_CLIENT_TOKEN": str(client["token"]),
        "VAULT_SIGNER_TSA_URL": str(manifest["tsa_url"]),
        "VAULT_SIGNER_TRUST_ROOTS": json.dumps([str(manifest["root_certificate"])]),
        "VAULT_SIGNER_SEALS": json.dumps({_common.AGENCY: seal_json}),
    }


def seed(client: httpx.Client, owner_id: str, count: int, size: int) -> int:
    head = _common.pdf_head() + b"\n%"
    total = 0
    for i in range(count):
        body = head + base64.b64encode(os.urandom((size - len(head)) * 3 // 4))[: size - len(head)]
        r = client.post(
            f"/api/v1/owners/{owner_id}/documents",
            data=_common.UPLOAD_FIELDS,
            files={"file": (f"p{i}.pdf", body, "application/pdf")},
        )
        if r.status_code != 201:
            raise RuntimeError(f"upload {i} answered {r.status_code}: {r.text[:300]}")
        total += len(body)
        if (i + 1) % 250 == 0:
            log(f"  {i + 1} papers stored")
    return total


def raw_read(s3: _common.S3Server, bucket: str) -> tuple[int, float]:
    """Every stored paper's object read raw from S3 (ciphertext, bytes dropped)."""
    minio = _common.minio_client(s3)
    keys = [
        o.object_name
        for o in minio.list_objects(bucket, recursive=True)
        if o.object_name and not o.object_name.startswith("exports/")
    ]
    started = time.monotonic()
    total = 0
    for key in keys:
        response = minio.get_object(bucket, key)
        try:
            for piece in response.stream(256 * 1024):
                total += len(piece)
        finally:
            response.close()
            response.release_conn()
    return total, time.monotonic() - started


WARM_ID = "001099012345"


def export_id_of(state: dict[str, object]) -> str:
    return str(state["id"])


def exported(
    client: httpx.Client, owner: dict[str, str], worker: subprocess.Popen[bytes], path: Path
) -> tuple[dict[str, object], float, float, float, str]:
    """Asks for an export as `owner`, waits for the worker to build it, downloads it to
    `path`; the export, the three instants (asked, ready, downloaded) and the SHA-256."""
    t0 = time.monotonic()
    export = client.post("/api/v1/exports", json={}, headers=owner).json()
    while True:
        state: dict[str, object] = client.get(
            f"/api/v1/exports/{export['id']}", headers=owner
        ).json()
        if state["status"] != "pending":
            break
        if worker.poll() is not None:
            raise RuntimeError("the export worker exited")
        time.sleep(0.1)
    t1 = time.monotonic()
    if state["status"] != "ready":
        raise RuntimeError(f"the export ended {state['status']}: {state['error']}")
    link = client.post(f"/api/v1/exports/{export['id']}/link", headers=owner).json()
    digest = hashlib.sha256()
    with path.open("wb") as out, client.stream("GET", link["url"]) as r:
        if r.status_code != 200:
            raise RuntimeError(f"download answered {r.status_code}")
        for piece in r.iter_bytes():
            digest.update(piece)
            out.write(piece)
    return state, t0, t1, time.monotonic(), digest.hexdigest()


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    count, size = QUICK if args.quick else FULL
    log(f"{NAME}: export of an owner with {count} papers of {size // 1024} KiB")
    with (
        _common.work_dir(NAME) as base,
        _common.seaweedfs(base) as s3,
        _common.fresh_database("bench_export") as db_url,
        signing_service(base) as (csc_url, manifest),
    ):
        bucket = _common.create_bucket(s3, "vault")
        officer = _common.add_officer(db_url, base)
        # The worker looks for new jobs every 0.25 s (default 2 s): the bench measures the
        # export, not the queue's polling.
        extra = {**signer_env(csc_url, manifest), "VAULT_OCR_POLL_SECONDS": "0.25"}
        env = _common.vault_env(database_url=db_url, s3=s3, bucket=bucket, extra=extra)
        with (
            _common.api_server(base, env) as server,
            _common.http_client(server.base_url, timeout=None) as client,
        ):
            client.timeout = TIMEOUT
            client.headers.update(officer)
            owner_id = _common.create_owner(client)
            started = time.monotonic()
            papers = seed(client, owner_id, count, size)
            log(
                f"{count} papers ({papers / MIB:.0f} MiB) stored in "
                f"{time.monotonic() - started:.0f} s"
            )
            # A second owner with two small papers, for a warm-up export (see below).
            warm_owner = _common.create_owner(client, WARM_ID)
            seed(client, warm_owner, 2, 64 * 1024)
            accounts = _common.add_owner_accounts(db_url, base, [owner_id, warm_owner])
            owner, warm_headers = accounts[owner_id], accounts[warm_owner]

            raw_bytes, raw_seconds = raw_read(s3, bucket)
            baseline = raw_bytes / MIB / raw_seconds
            log(
                f"raw S3 read: {raw_bytes / MIB:.0f} MiB in {raw_seconds:.2f} s "
                f"({baseline:.1f} MiB/s)"
            )

            worker_log = (base / "worker.log").open("ab")
            worker = subprocess.Popen(
                [str(Path(sys.executable).with_name("vault")), "worker", "--kinds", "export"],
                cwd=base, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                # A warm-up export of another owner: the worker has imported everything and
                # its signer has met the signing service, TSA and OCSP responder once.
                started = time.monotonic()
                exported(client, warm_headers, worker, base / "warm.zip")
                log(f"warm-up export done in {time.monotonic() - started:.1f} s")
                with (
                    RssSampler(server.ps) as api_rss,
                    RssSampler(psutil.Process(worker.pid)) as worker_rss,
                ):
                    api_rest, worker_rest = api_rss.settled(), worker_rss.settled()
                    path = base / "export.zip"
                    state, t0, t1, t2, sha = exported(client, owner, worker, path)
                    api_peak = max(api_rss.window(t0, t2))
                    worker_peak = max(worker_rss.window(t0, t1))
            finally:
                worker.terminate()
                worker.wait(30)
                worker_log.close()
        for line in (base / "worker.log").read_text(errors="replace").splitlines():
            if "seconds: gather" in line and export_id_of(state) in line:
                log("worker: " + line.split("signing.export_job ", 1)[-1])
        if sha != state["sha256"]:
            raise RuntimeError("the downloaded package's SHA-256 is not the vault's")
        with zipfile.ZipFile(path) as z:
            listed = len(json.loads(z.read("manifest.json"))["documents"])
        if listed != count:
            raise RuntimeError(f"the manifest lists {listed} papers, not {count}")
    build, download = t1 - t0, t2 - t1
    size_bytes = state["size"]
    assert isinstance(size_bytes, int)
    zip_mib = size_bytes / MIB
    log(
        f"build (job: read, check, zip, encrypt, store): {build:.2f} s "
        f"({zip_mib / build:.1f} MiB/s)"
    )
    log(f"download (read, decrypt, check, send): {download:.2f} s ({zip_mib / download:.1f} MiB/s)")
    log(f"package: {zip_mib:.0f} MiB, {listed} papers, SHA-256 matches")
    api_growth = (api_peak - api_rest) / MIB
    worker_growth = (worker_peak - worker_rest) / MIB
    log(
        f"RSS growth: API server {api_growth:.1f} MiB, export worker {worker_growth:.1f} MiB "
        "(goal <= 64)"
    )
    value = papers / MIB / (build + download)
    _common.print_result(NAME, value, "MiB/s", baseline, value / baseline)


if __name__ == "__main__":
    main()
