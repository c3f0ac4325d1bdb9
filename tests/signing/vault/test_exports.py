"""The owner's own copy of their warehouse: asked for through the API, built by the export
job, sealed by the vault, downloaded once (resumable), deleted after, and verified offline.

Real everywhere: the CSC service with the office seal in SoftHSM2, the development TSA and
OCSP over HTTP, the vault on SQLite + folder and on PostgreSQL + S3. "Offline" is checked
two ways: the SDK's verifier builds its validation contexts with fetching switched off, and
the `vault verify --export` command is run in a network namespace of its own (`unshare -n`:
no interface but a loopback that is down), where any fetch would fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tracemalloc
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from vault_client.packages import verify_export

from signing.csc_server.dev_pki import DevPki
from signing.issuing.export_job import ExportJobHandler, VaultSealer
from signing.issuing.signer_settings import SignerSettings
from tests.conftest import Backend
from tests.factories import pdf_bytes, png_bytes, signer_certificate, upload
from tests.people import People
from tests.signing.vault.conftest import PINS
from tests.signing.vault.test_vault_signing import new_owner, stored_result
from vault.jobs import JobRegistry, JobRunner
from vault.runtime import Vault
from vault.services.exports import ExportService

OWNER = "huong"


def run_export_jobs(vault: Vault, settings: SignerSettings) -> int:
    sealer = VaultSealer(settings)
    try:
        handler = ExportJobHandler(vault, sealer)
        return JobRunner(vault.uows, JobRegistry([handler]), poll_seconds=0.1).run(once=True)
    finally:
        sealer.close()


def warehouse(api: TestClient, people: People) -> tuple[str, dict[str, object]]:
    """An owner with an account, a scan, a signed result (draft superseded) and a consent."""
    owner_id = new_owner(api, people)
    people.owner_account(owner_id, OWNER)
    upload(api, owner_id, png_bytes(), headers=people.auth("clerk"), title="Giấy khai sinh")
    draft = stored_result(api, people, owner_id)
    r = api.post(
        f"/api/v1/documents/{draft['id']}/sign",
        json={"pin": PINS["h57-officer-binh"]},
        headers=people.auth("issuer"),
    )
    assert r.status_code == 201, r.text
    r = api.post(
        "/api/v1/me/consents",
        json={
            "agency_code": "000.00.16.H57",
            "paper_types": ["birth_certificate"],
            "purpose": "Hồ sơ vay vốn",
            "days": 30,
        },
        headers=people.auth(OWNER),
    )
    assert r.status_code == 201, r.text
    return owner_id, r.json()


def ask(api: TestClient, people: People, **body: object) -> dict[str, object]:
    r = api.post("/api/v1/exports", json=body, headers=people.auth(OWNER))
    assert r.status_code == 202, r.text
    export: dict[str, object] = r.json()
    return export


def download(api: TestClient, url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    r = api.get(url, headers=headers)
    return r.status_code, r.content, dict(r.headers)


def stored_exports(vault: Vault) -> list[str]:
    with vault.uows() as uow:
        return [o.key for o in uow.blobs.list("exports/")]


def test_an_owner_exports_their_warehouse_downloads_it_once_and_verifies_it_offline(
    api: TestClient,
    people: People,
    vault: Vault,
    signer_settings: SignerSettings,
    pki: DevPki,
    tmp_path: Path,
) -> None:
    owner_id, consent = warehouse(api, people)
    export = ask(api, people, include_superseded=True)
    assert export["status"] == "pending" and export["job_id"]

    assert run_export_jobs(vault, signer_settings) == 1
    job = api.get(f"/api/v1/jobs/{export['job_id']}", headers=people.auth(OWNER)).json()
    assert job["status"] == "done" and job["progress"]["done"] == job["progress"]["total"] == 3
    ready = api.get(f"/api/v1/exports/{export['id']}", headers=people.auth(OWNER)).json()
    assert ready["status"] == "ready" and ready["documents"] == 3
    # At rest the package is encrypted: the stored object is not the zip.
    [key] = stored_exports(vault)
    with vault.uows() as uow:
        head = b"".join(uow.blobs.get(key, 0, 64))
    assert not head.startswith(b"PK") and head.startswith(b"VLT1")

    link = api.post(f"/api/v1/exports/{export['id']}/link", headers=people.auth(OWNER)).json()
    url = link["url"].replace("http://testserver", "")
    size = ready["size"]
    # The download breaks off halfway and is resumed with Range.
    half = size // 2
    code, first, headers = download(api, url, Range=f"bytes=0-{half - 1}")
    assert code == 206 and len(first) == half
    assert headers["content-range"] == f"bytes 0-{half - 1}/{size}"
    assert stored_exports(vault) == [key]  # not delivered yet: still there
    code, rest, _ = download(api, url, Range=f"bytes={half}-", **{"If-Range": headers["etag"]})
    assert code == 206
    package = first + rest
    assert len(package) == size
    import hashlib

    assert hashlib.sha256(package).hexdigest() == ready["sha256"]
    # Delivered whole once: the link is used up and the package deleted.
    code, _, _ = download(api, url)
    assert code == 404
    assert stored_exports(vault) == []
    after = api.get(f"/api/v1/exports/{export['id']}", headers=people.auth(OWNER)).json()
    assert after["status"] == "downloaded" and after["downloaded_at"]

    path = tmp_path / "export.zip"
    path.write_bytes(package)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        consents = json.loads(z.read("consents.json"))
        log = json.loads(z.read("access_log.json"))
    assert {"manifest.json", "manifest.json.p7s", "dossiers.json", "access_log.json"} <= names
    assert manifest["owner_id"] == owner_id
    assert {(d["version"], d["status"], d["signed"]) for d in manifest["documents"]} == {
        (1, "current", False),
        (1, "superseded", False),
        (2, "current", True),
    }
    assert consents[0]["id"] == consent["id"]
    assert consents[0]["receipt"]["consentReceiptID"] == consent["id"]
    assert {"export.request", "document.upload"} <= {e["action"] for e in log}
    # No personal ID number anywhere in the names or the manifest.
    assert "079203001234" not in json.dumps(manifest) and not any("0792030" in n for n in names)

    root = pki.cert_path("root")
    report = verify_export(path, [root])
    assert report.passed, report.problems
    assert report.seal is not None and report.seal.trusted and report.seal.timestamp
    assert [p.verification.verdict for p in report.signed_papers] == ["passed"]

    # The same with the network switched off for the verifying process.
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to take the network away")
    offline = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "api.cli", "verify", "--export", str(path),
         "--trust-root", str(root)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert offline.stdout.startswith("passed")
    assert "files checked: 6" in offline.stdout and "signed papers: 1" in offline.stdout


def rewritten(
    source: Path, target: Path, change: dict[str, bytes | None], add: dict[str, bytes]
) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                data = change[info.filename]
                if data is not None:
                    new.writestr(info.filename, data)
            else:
                new.writestr(info.filename, old.read(info.filename))
        for name, data in add.items():
            new.writestr(name, data)
    return target


def test_tampering_with_any_file_or_the_manifest_is_detected(
    api: TestClient,
    people: People,
    vault: Vault,
    signer_settings: SignerSettings,
    pki: DevPki,
    tmp_path: Path,
) -> None:
    warehouse(api, people)
    export = ask(api, people)
    run_export_jobs(vault, signer_settings)
    link = api.post(f"/api/v1/exports/{export['id']}/link", headers=people.auth(OWNER)).json()
    good = tmp_path / "good.zip"
    good.write_bytes(api.get(link["url"]).content)
    root = [pki.cert_path("root")]
    assert verify_export(good, root).passed

    with zipfile.ZipFile(good) as z:
        manifest = json.loads(z.read("manifest.json"))
        paper = next(d for d in manifest["documents"] if d["signed"])
        pdf = z.read(paper["path"])
        log = z.read("access_log.json")

    cases = {
        "a paper": ({paper["path"]: pdf.replace(b"%%EOF", b"%%EOF\n% x")}, {}),
        "the access log": (
            {"access_log.json": log.replace(b"export.request", b"export.xequest")},
            {},
        ),
        "a removed paper": ({paper["path"]: None}, {}),
        "an added file": ({}, {"documents/extra.pdf": pdf_bytes()}),
    }
    for name, (change, add) in cases.items():
        report = verify_export(rewritten(good, tmp_path / "t.zip", change, add), root)
        assert not report.passed, name
        assert report.seal is not None and report.seal.passed, name  # the manifest still holds

    # The manifest changed (a title), its signature kept: the seal no longer matches.
    forged = dict(manifest)
    forged["documents"] = [{**d, "title": "Bằng đại học"} for d in manifest["documents"]]
    report = verify_export(
        rewritten(good, tmp_path / "m.zip", {"manifest.json": json.dumps(forged).encode()}, {}),
        root,
    )
    assert not report.passed and report.seal is not None and not report.seal.intact
    # Against roots that are not the vault's (a throw-away test signer), nothing is trusted.
    stranger = tmp_path / "stranger.der"
    stranger.write_bytes(signer_certificate())
    report = verify_export(good, [stranger])
    assert not report.passed and report.seal is not None and not report.seal.trusted


def test_only_the_owner_may_ask_see_or_take_a_link(
    api: TestClient, people: People, vault: Vault, signer_settings: SignerSettings
) -> None:
    owner_id, _ = warehouse(api, people)
    other_owner = api.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": "001099012345", "display_name": "Trần Văn Bình"},
        headers=people.auth("clerk"),
    ).json()["id"]
    people.owner_account(other_owner, "binh")
    for officer in ("clerk", "admin", "auditor"):
        r = api.post("/api/v1/exports", json={}, headers=people.auth(officer))
        assert r.status_code == 403, (officer, r.text)
    export = ask(api, people)
    for who in ("binh", "clerk", "admin"):
        for method, path in (
            ("GET", f"/api/v1/exports/{export['id']}"),
            ("POST", f"/api/v1/exports/{export['id']}/link"),
        ):
            r = api.request(method, path, headers=people.auth(who))
            assert r.status_code in (403, 404), (who, path, r.text)
    assert api.get("/api/v1/exports", headers=people.auth("binh")).json() == []
    # Not built yet: no link.
    r = api.post(f"/api/v1/exports/{export['id']}/link", headers=people.auth(OWNER))
    assert r.status_code == 409
    # A made-up token opens nothing.
    assert api.get(f"/api/v1/export-downloads/{uuid.uuid4().hex}").status_code == 404
    # The request and the refusals are in the audit log.
    with vault.uows() as uow:
        entries = uow.audit.for_owner(uuid.UUID(owner_id), before_seq=None, limit=500)
    assert any(e.action == "export.request" and e.outcome == "ok" for e in entries)
    assert any(e.action == "export.read" and e.outcome == "denied" for e in entries)


def test_an_unused_link_expires_and_the_package_is_deleted(
    api: TestClient, people: People, vault: Vault, signer_settings: SignerSettings
) -> None:
    warehouse(api, people)
    export = ask(api, people)
    run_export_jobs(vault, signer_settings)
    link = api.post(f"/api/v1/exports/{export['id']}/link", headers=people.auth(OWNER)).json()
    # A second link replaces the first.
    second = api.post(f"/api/v1/exports/{export['id']}/link", headers=people.auth(OWNER)).json()
    assert api.get(link["url"]).status_code == 404
    assert len(stored_exports(vault)) == 1
    service = ExportService(vault.keyring, link_hours=vault.settings.export_link_hours)
    with vault.uows() as uow:
        assert service.sweep(uow, datetime.now(UTC) + timedelta(hours=1)) == 0
        assert service.sweep(uow, datetime.now(UTC) + timedelta(days=4)) == 1
        uow.commit()
    assert stored_exports(vault) == []
    assert api.get(second["url"]).status_code == 404
    got = api.get(f"/api/v1/exports/{export['id']}", headers=people.auth(OWNER)).json()
    assert got["status"] == "expired"


def test_packages_are_written_and_read_as_streams(
    api: TestClient,
    people: People,
    vault: Vault,
    signer_settings: SignerSettings,
    backend: Backend,
) -> None:
    """Sixty papers of 1 MiB: building and downloading the package allocates a bounded
    amount in Python at once (tracemalloc's peak), not the package. The bound is the
    store's: the folder store writes 256 KiB at a time; the S3 client buffers one 8 MiB part
    of a multipart upload (and copies of it while it signs and sends it)."""
    owner_id = new_owner(api, people)
    people.owner_account(owner_id, OWNER)
    import os

    blob = pdf_bytes() + b"%" + os.urandom(1024 * 1024)
    for i in range(60):
        upload(api, owner_id, blob + str(i).encode(), filename="a.pdf",
               content_type="application/pdf", headers=people.auth("clerk"))  # fmt: skip
    export = ask(api, people)
    tracemalloc.start()
    try:
        run_export_jobs(vault, signer_settings)
        _, build_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        link = api.post(f"/api/v1/exports/{export['id']}/link", headers=people.auth(OWNER)).json()
        received = 0
        with api.stream("GET", link["url"]) as r:
            assert r.status_code == 200
            for piece in r.iter_bytes():
                received += len(piece)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received > 60 * 1024 * 1024
    bound = (40 if backend.name == "postgres+s3" else 16) * 1024 * 1024
    assert build_peak < bound, build_peak
    assert download_peak < 16 * 1024 * 1024, download_peak
